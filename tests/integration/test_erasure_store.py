"""The erasure's storage side (adapters/db/people.py) on SQLite and PostgreSQL: what it reads of a
person before anything goes, the rows it deletes (keyed by the email or by an external id), the
erasure log under an HMAC, older plain-SHA-256 rows found and re-keyed, and migration 0010."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from tests.support.databases import database_url
from tests.support.definitions import sample
from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.destinations import SqlDestinations
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.people import SEALED_IDS, SqlPeople
from zeroparty.adapters.db.schema import delivery_queue, delivery_state, erasures, outbox, responses
from zeroparty.domain.erasure import Outcome, Sent, SentRow
from zeroparty.domain.verify import email_hmac_hex, email_sha256_hex
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.errors import InvalidInput
from zeroparty.services.people import Found, LogKeys

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ADA = "ada@example.com"
BOB = "bob@example.com"
KEYS = LogKeys(email_hmac_hex(b"s" * 32, ADA), email_sha256_hex(ADA))


@dataclass
class Store:
    engine: Engine
    people: SqlPeople
    box: SecretBox
    version_id: int
    destination_id: int


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        try:
            migrate.upgrade(engine)
            box = SecretBox(Fernet.generate_key())
            version = SqlExperienceStore(engine).publish(sample(), T0).version_id
            dest_id = SqlDestinations(engine, box, workspace_id=DEFAULT_WORKSPACE_ID).add_braze(
                "crm", "http://127.0.0.1:9", "k" * 20, T0
            )
            yield Store(engine, SqlPeople(engine, box, workspace_id=DEFAULT_WORKSPACE_ID), box, version, dest_id)
        finally:
            engine.dispose()


@pytest.fixture
def s(store: Store) -> Store:
    """The store, under a short name: the tests below read better with it."""
    return store


def respond(s: Store, email: str, external_id: str | None = None, *, user_key: str | None = None) -> str:
    """A response, and its outbox row for the destination delivered under `user_key`."""
    rid = str(uuid.uuid4())
    payload = {"attributes": {"skin_type": "dry"}, "completion": None, "external_id": external_id}
    with s.engine.begin() as conn:
        conn.execute(
            sa.insert(responses).values(
                id=rid, experience_version_id=s.version_id, channel="api", email=email, created_at=T0,
                updated_at=T0, completed_at=T0, external_id=external_id,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(outbox).values(
                id=str(uuid.uuid4()), destination_id=s.destination_id, response_id=rid,
                user_key=user_key or email, payload=payload, state="delivered", attempts=1, available_at=T0,
                created_at=T0, delivered_at=T0,
            )
        )  # fmt: skip
    return rid


def record(s: Store, user_key: str, values: dict[str, Any]) -> None:
    """The engine's record of what the destination accepted, and a queue row, for `user_key`."""
    with s.engine.begin() as conn:
        conn.execute(
            sa.insert(delivery_state).values(
                destination_id=s.destination_id, user_key=user_key, values=values, updated_at=T0
            )
        )
        conn.execute(
            sa.insert(delivery_queue).values(
                destination_id=s.destination_id, user_key=user_key, state="ready", available_at=T0, version=1,
                full_resend=False,
            )
        )  # fmt: skip


def keys_in(s: Store, table: sa.Table) -> list[str]:
    with s.engine.connect() as conn:
        return sorted(conn.execute(sa.select(table.c.user_key)).scalars())


def sent_of(name: str, found: Found) -> Sent:
    return Sent(ADA, frozenset(found.external_ids))


def test_records_keyed_by_the_email_or_by_an_external_id_of_the_person_are_read_then_deleted(s: Store) -> None:
    respond(s, ADA, "cust-42", user_key="cust-42")  # an external_id destination keys its rows by the id
    respond(s, ADA)
    respond(s, BOB, "cust-77", user_key="cust-77")
    record(s, ADA, {"skin_type": "dry"})
    record(s, "cust-42", {"skin_goals": ["x"], "$external_id": "cust-42"})
    record(s, "cust-77", {"skin_type": "oily"})

    found = s.people.find(ADA, KEYS, T0)
    assert (found.responses, found.external_ids, found.leftover) == (2, ("cust-42",), {})
    [(name, delivered)] = found.delivered.items()
    assert name == "crm" and delivered.user_keys == {ADA, "cust-42"}
    assert delivered.rows == (
        SentRow({"skin_type": "dry"}, False, "cust-42"),
        SentRow({"skin_type": "dry"}, False, None),
    )
    assert sorted(map(json.dumps, delivered.accepted)) == sorted(
        map(json.dumps, [{"skin_type": "dry"}, {"skin_goals": ["x"], "$external_id": "cust-42"}])
    )

    local = s.people.erase(ADA, KEYS, T0, ["crm"], found, sent_of)
    assert local.changed == frozenset() and local.responses == 2
    assert local.rows["delivery_state"] == 2 and local.rows["delivery_queue"] == 2 and local.rows["outbox"] == 2
    assert keys_in(s, delivery_state) == keys_in(s, delivery_queue) == keys_in(s, outbox) == ["cust-77"]


def test_the_log_keeps_an_hmac_and_what_was_sent_sealed_until_done(s: Store) -> None:
    respond(s, ADA, "cust-42")
    found = s.people.find(ADA, KEYS, T0)
    local = s.people.erase(ADA, KEYS, T0, ["crm"], found, sent_of)
    [(hmac_key, old, entries)] = logged(s)
    assert (hmac_key, old) == (KEYS.hmac, None)
    [entry] = entries
    assert entry["done"] is False and "cust-42" not in json.dumps(entry)
    assert s.people.find(ADA, KEYS, T0).leftover == {"crm": Sent(ADA, frozenset({"cust-42"}))}

    s.people.record_calls(local.erasure_id, [Outcome("crm", True, "deleted")], local.sealed)
    [(_, _, entries)] = logged(s)
    assert entries == [{"destination": "crm", "outcome": "deleted", "done": True}]
    assert s.people.find(ADA, KEYS, T0).leftover == {}


def logged(s: Store) -> list[tuple[str | None, str | None, list[dict[str, Any]]]]:
    with s.engine.connect() as conn:
        rows = conn.execute(
            sa.select(erasures.c.email_hmac, erasures.c.email_sha256, erasures.c.destinations).order_by(erasures.c.id)
        )
        return [(r.email_hmac, r.email_sha256, list(r.destinations)) for r in rows]


def test_a_row_logged_with_a_plain_sha256_is_found_by_a_later_erasure_and_rekeyed(s: Store) -> None:
    sealed = s.box.seal(json.dumps(["cust-42"]))
    entry = {"destination": "crm", "outcome": "failed (HTTP 503)", "done": False, SEALED_IDS: sealed}
    with s.engine.begin() as conn:
        conn.execute(
            sa.insert(erasures).values(
                workspace_id=1,
                at=T0,
                email_sha256=KEYS.sha256,
                responses=1,
                destinations=[entry, {"destination": "x", "done": True}],
            )
        )
    found = s.people.find(ADA, KEYS, T0)
    assert found.leftover == {"crm": Sent(ADA, frozenset({"cust-42"}))}
    s.people.erase(ADA, KEYS, T0, ["crm"], found, lambda name, f: found.leftover[name])
    first, second = logged(s)
    assert first[:2] == (KEYS.hmac, None)  # re-keyed: the plain hash is gone
    assert all(SEALED_IDS not in e for e in first[2])  # the new run's entry carries what is needed
    assert second[:2] == (KEYS.hmac, None) and second[2][0]["done"] is False


def test_a_delivery_between_the_look_up_and_the_erasure_is_reported(s: Store) -> None:
    rid = respond(s, ADA)
    with s.engine.begin() as conn:  # queued, not yet sent: nothing to look up
        conn.execute(sa.update(outbox).where(outbox.c.response_id == rid).values(state="pending", attempts=0))
    found = s.people.find(ADA, KEYS, T0)
    assert found.delivered == {}
    with s.engine.begin() as conn:  # a worker delivers it meanwhile
        conn.execute(sa.update(outbox).where(outbox.c.response_id == rid).values(state="delivered", attempts=1))
    local = s.people.erase(ADA, KEYS, T0, [], found, sent_of)
    assert local.changed == {"crm"} and set(local.sealed) == {"crm"}


def test_a_live_lease_on_a_row_keyed_by_an_external_id_refuses(s: Store) -> None:
    respond(s, ADA, "cust-42", user_key="cust-42")
    with s.engine.begin() as conn:
        conn.execute(
            sa.update(outbox).values(state="in_flight", lease_owner="w1", lease_expires_at=T0 + timedelta(minutes=1))
        )
    with pytest.raises(InvalidInput, match="a delivery for this address is in flight"):
        s.people.find(ADA, KEYS, T0)


def test_migration_0010_keeps_older_plain_hashes_and_goes_back_down(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        command.upgrade(migrate.alembic_config(engine), "0009")
        with engine.begin() as conn:
            conn.execute(
                sa.text("INSERT INTO erasures (at, email_sha256, responses, destinations) VALUES (:at, :h, 1, '[]')"),
                {"at": T0.replace(tzinfo=None), "h": KEYS.sha256},
            )
        migrate.upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(sa.select(erasures.c.email_hmac, erasures.c.email_sha256)).all() == [
                (None, KEYS.sha256)
            ]
            conn.execute(
                sa.insert(erasures).values(workspace_id=1, at=T0, email_hmac=KEYS.hmac, responses=0, destinations=[])
            )
        command.downgrade(migrate.alembic_config(engine), "0009")
        with engine.connect() as conn:
            hashes = conn.execute(sa.text("SELECT email_sha256 FROM erasures ORDER BY id")).scalars().all()
        assert hashes == [KEYS.sha256, KEYS.hmac]  # the older release needs a digest in every row
    finally:
        engine.dispose()
