"""A data folder (or database) holding what makes CLI tables hard to print: long names, long titles,
long reasons, several rows of each kind. Written straight through the adapters, no server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.support.definitions import sample_data
from zeroparty.adapters.crypto import SecretBox, load_or_create_key
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.capture import SqlCaptureStore
from zeroparty.adapters.db.destinations import SqlDestinations
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.schema import delivery_attempts, destinations, outbox
from zeroparty.adapters.db.tokens import SqlTokens
from zeroparty.config import Settings
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.services.capture import CaptureService

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LONG_REASON = (
    "Braze rejected this profile update: The value provided for the 'email' field is not a valid email, "
    "and the value provided for 'phone' is not a valid phone number in E.164 format either"
)
PAUSE_REASON = "Braze answered HTTP 404: check the destination's REST endpoint (instance); then resume"


@dataclass
class Seeded:
    """What was written, for the tests to find again in the output."""

    slugs: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    dead_ids: list[str] = field(default_factory=list)
    dead_users: set[str] = field(default_factory=set)
    users: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


def _experience(n: int) -> Experience:
    data = sample_data()
    data["slug"] = f"spring-skincare-routine-finder-with-a-long-name-{n}"
    data["title"] = f"Find the skincare routine that suits your skin in spring and summer, edition {n}"
    return Experience.model_validate(data)


def seed(settings: Settings) -> Seeded:
    engine = create_engine(settings.db_url)
    try:
        migrate.upgrade(engine)
        box = SecretBox(load_or_create_key(settings.secret_key, settings.data_dir / "secret.key"))
        return _fill(engine, box)
    finally:
        engine.dispose()


def _fill(engine: sa.Engine, box: SecretBox) -> Seeded:
    seeded = Seeded()
    experiences = SqlExperienceStore(engine)
    for n in (1, 2, 3):
        exp = _experience(n)
        experiences.publish(exp, T0)
        seeded.slugs.append(exp.slug)
        seeded.titles.append(exp.title)
    stored = SqlDestinations(engine, box, workspace_id=DEFAULT_WORKSPACE_ID)
    for n, endpoint in enumerate(("US-03", "EU-01", "http://127.0.0.1:18765/braze-sandbox")):
        name = f"braze-production-workspace-for-the-spring-campaign-{n}"
        url = {"US-03": "https://rest.iad-03.braze.com", "EU-01": "https://rest.fra-01.braze.eu"}.get(
            endpoint, endpoint
        )
        stored.add_braze(name, url, f"braze-rest-key-{n}-0123456789abcdef", T0)
        seeded.destinations.append(name)
        seeded.endpoints.append(url)
    with engine.begin() as conn:
        conn.execute(
            sa.update(destinations)
            .where(destinations.c.name == seeded.destinations[1])
            .values(paused_reason=PAUSE_REASON)
        )
    capture = CaptureService(SqlCaptureStore(engine), clock=lambda: T0)
    for n in range(4):
        email = f"a-rather-long-address-for-testing-{n}@customers.example.com"
        capture.submit_whole(
            seeded.slugs[0],
            {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"},
            {"email": email},
        )
        seeded.users.append(email)
    with engine.begin() as conn:
        rows = conn.execute(sa.select(outbox.c.id, outbox.c.user_key).order_by(outbox.c.seq)).all()
        for n, (item_id, user) in enumerate(rows[:4]):
            conn.execute(
                sa.update(outbox).where(outbox.c.id == item_id).values(state="dead", attempts=3, last_error=LONG_REASON)
            )
            conn.execute(
                sa.insert(delivery_attempts).values(
                    outbox_id=item_id, at=T0 + timedelta(minutes=n), outcome="dead", status_code=400, detail=LONG_REASON
                )
            )
            seeded.dead_ids.append(item_id)
            seeded.dead_users.add(user)
    tokens = SqlTokens(engine, workspace_id=DEFAULT_WORKSPACE_ID)
    for name in ("grafana-dashboards-for-the-operations-team", "ci", "nightly-export-to-the-data-warehouse"):
        tokens.create(name, T0)
        seeded.tokens.append(name)
    tokens.revoke("ci", T0 + timedelta(hours=1))
    return seeded
