"""A store with one destination and the sample experience, for the outbox contract tests on a real
SQLite file or PostgreSQL database (the `world` fixture in tests/integration/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from tests.support.definitions import sample
from zeroparty.adapters.crypto import SecretBox, load_or_create_key
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.capture import SqlCaptureStore
from zeroparty.adapters.db.destinations import SqlDestinations
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.outbox import SqlOutbox
from zeroparty.adapters.db.schema import delivery_queue, outbox
from zeroparty.delivery.ports import Claim
from zeroparty.domain.retry import RetryPolicy
from zeroparty.domain.settle import SettlePlan
from zeroparty.services.capture import CaptureService

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DEFAULT_POLICY = RetryPolicy()


class World:
    def __init__(self, url: str, tmp_path: Path) -> None:
        self.engine = create_engine(url)
        migrate.upgrade(self.engine)
        box = SecretBox(load_or_create_key(None, tmp_path / "k"))
        SqlExperienceStore(self.engine).publish(sample(), T0)
        self.dest_id = SqlDestinations(self.engine, box).add_braze("d", "http://127.0.0.1:1", "key-123456789", T0)
        self.capture = CaptureService(SqlCaptureStore(self.engine), clock=lambda: T0)
        self.outbox = SqlOutbox(self.engine, box)

    def respond(self, email: str, skin: str = "dry") -> None:
        self.capture.submit_whole(
            "skin-quiz",
            {"skin_type": skin, "skin_goals": ["hydration"], "routine_length": "short"},
            {"email": email},
        )

    def claim(
        self,
        owner: str,
        max_users: int = 75,
        at: datetime = T0,
        *,
        window_s: float = 0.0,
        settle_window_s: float = 0.0,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> Claim:
        return self.outbox.claim(
            self.dest_id, owner, max_users, 60, at, window_s=window_s, settle_window_s=settle_window_s, policy=policy
        )

    def deliver(self, owner: str, claim: Claim, at: datetime = T0) -> None:
        plan = SettlePlan(
            delivered=tuple(i.id for u in claim.users for i in u.items),
            accepted={u.user_key: {"skin_type": u.items[-1].attributes["skin_type"]} for u in claim.users},
        )
        self.outbox.settle(self.dest_id, owner, plan, {u.user_key: u.version for u in claim.users}, at)

    def states(self) -> list[tuple[str, str, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(outbox.c.user_key, outbox.c.state, outbox.c.attempts).order_by(outbox.c.seq))
            return [(r.user_key, r.state, r.attempts) for r in rows]

    def queue(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(delivery_queue.c.user_key, delivery_queue.c.state)).all()
        return {r.user_key: r.state for r in rows}
