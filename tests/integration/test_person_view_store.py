"""One person as one workspace knows them (adapters/db/person_view.py) on SQLite and PostgreSQL:
their responses with the answers, each consent with the exact text shown, what each destination was
queued and sent and what it last accepted, and nothing of another workspace's responses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from tests.support.databases import database_url
from tests.support.definitions import sample_data
from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.destinations import SqlDestinations
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.person_view import SqlPersonReads
from zeroparty.adapters.db.schema import answers, consent_records, delivery_state, outbox, responses
from zeroparty.adapters.db.workspaces import SqlWorkspaces
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ADA = "ada@example.com"
CONSENT_TEXT = "Yes, send me news and offers by email. I can withdraw at any time."


@dataclass
class Store:
    engine: Engine
    version_id: int
    dest_id: int
    other_version_id: int
    other_dest_id: int

    def reads(self, workspace_id: int = DEFAULT_WORKSPACE_ID) -> SqlPersonReads:
        return SqlPersonReads(self.engine, workspace_id=workspace_id)


def _experience(slug: str) -> Experience:
    data = sample_data()
    data["slug"] = slug
    return Experience.model_validate(data)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        try:
            migrate.upgrade(engine)
            box = SecretBox(Fernet.generate_key())
            other = SqlWorkspaces(engine).create("other", "Other", T0).id
            yield Store(
                engine,
                SqlExperienceStore(engine).publish(_experience("skin-quiz"), T0).version_id,
                SqlDestinations(engine, box, workspace_id=DEFAULT_WORKSPACE_ID).add_braze(
                    "crm", "http://x", "k" * 20, T0
                ),
                SqlExperienceStore(engine, workspace_id=other).publish(_experience("their-quiz"), T0).version_id,
                SqlDestinations(engine, box, workspace_id=other).add_braze("theirs", "http://y", "k" * 20, T0),
            )
        finally:
            engine.dispose()


def respond(
    engine: Engine, version_id: int, dest_id: int, email: str, at: datetime, *, state: str = "delivered"
) -> str:
    rid = str(uuid.uuid4())
    done = at + timedelta(minutes=2)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(responses).values(
                id=rid, experience_version_id=version_id, channel="hosted", email=email, created_at=at,
                updated_at=done, completed_at=done, outcome_id="gentle",
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(answers),
            [
                {"response_id": rid, "element_id": "skin_type", "screen_id": "s1", "value": "dry", "answered_at": at},
                {"response_id": rid, "element_id": "skin_goals", "screen_id": "s2", "value": ["glow", "calm"],
                 "answered_at": done},
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(consent_records).values(
                response_id=rid, element_id="marketing_opt_in", purpose="marketing", consent_key="email_news",
                given=True, text=CONSENT_TEXT, recorded_at=done,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(outbox).values(
                id=str(uuid.uuid4()), destination_id=dest_id, response_id=rid, user_key=email,
                payload={"attributes": {"skin_type": "dry", "skin_goals": ["glow", "calm"]}}, state=state,
                attempts=1 if state == "delivered" else 0, available_at=at, created_at=at,
                delivered_at=done if state == "delivered" else None,
            )
        )  # fmt: skip
    return rid


def accepted(engine: Engine, dest_id: int, user_key: str, values: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(delivery_state).values(destination_id=dest_id, user_key=user_key, values=values, updated_at=T0)
        )


def test_a_person_is_read_with_responses_answers_consents_and_what_each_destination_received(s: Store) -> None:
    first = respond(s.engine, s.version_id, s.dest_id, ADA, T0)
    second = respond(s.engine, s.version_id, s.dest_id, ADA, T0 + timedelta(days=1), state="pending")
    respond(s.engine, s.version_id, s.dest_id, "bob@example.com", T0)
    accepted(s.engine, s.dest_id, ADA, {"skin_type": "dry", "$at": {"skin_type": 1772366400}})

    person = s.reads().person(ADA)

    assert person is not None and person.email == ADA
    assert [r.id for r in person.responses] == [first, second]
    one = person.responses[0]
    assert (one.experience, one.version, one.completed, one.outcome) == ("skin-quiz", 1, True, "gentle")
    assert [(a.element_id, a.value) for a in one.answers] == [("skin_type", "dry"), ("skin_goals", ["glow", "calm"])]
    assert [(c.response_id, c.given, c.text, c.purpose) for c in person.consents] == [
        (first, True, CONSENT_TEXT, "marketing"),
        (second, True, CONSENT_TEXT, "marketing"),
    ]
    [crm] = person.destinations
    assert crm.destination == "crm"
    assert [(i.response_id, i.state, i.delivered_at is not None) for i in crm.items] == [
        (first, "delivered", True),
        (second, "pending", False),
    ]
    assert crm.items[0].attributes == {"skin_type": "dry", "skin_goals": ["glow", "calm"]}
    assert crm.accepted == {ADA: {"skin_type": "dry"}}


def test_another_workspaces_responses_and_destinations_never_show(s: Store) -> None:
    theirs = respond(s.engine, s.other_version_id, s.other_dest_id, ADA, T0)
    accepted(s.engine, s.other_dest_id, ADA, {"skin_type": "oily"})

    assert s.reads().person(ADA) is None
    mine = respond(s.engine, s.version_id, s.dest_id, ADA, T0)
    person = s.reads().person(ADA)
    assert person is not None
    assert [r.id for r in person.responses] == [mine]
    assert [c.response_id for c in person.consents] == [mine]
    assert [d.destination for d in person.destinations] == ["crm"]
    assert [i.response_id for i in person.destinations[0].items] == [mine]
    other = next(w for w in SqlWorkspaces(s.engine).all() if w.slug == "other")
    seen_there = s.reads(other.id).person(ADA)
    assert seen_there is not None and [r.id for r in seen_there.responses] == [theirs]


def test_nobody_by_that_address_is_none(s: Store) -> None:
    respond(s.engine, s.version_id, s.dest_id, ADA, T0)
    assert s.reads().person("nobody@example.com") is None


@pytest.fixture
def s(store: Store) -> Store:
    return store
