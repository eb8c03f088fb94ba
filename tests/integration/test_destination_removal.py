"""Removing a destination (adapters/db/destinations.py) on SQLite and PostgreSQL: everything it owns in
every delivery table goes with it, through the statements of `outbox_sql/`, and nothing of another
destination's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from tests.support.databases import database_url
from tests.support.definitions import sample
from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db import migrate, outbox_sql
from zeroparty.adapters.db.destinations import SqlDestinations
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.outbox_sql import counters, queue, records, rows
from zeroparty.adapters.db.schema import delivery_attempts, outbox, responses
from zeroparty.domain.profile_change import ProfileChange
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.services.destination_types import Removed

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        try:
            migrate.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def fill(engine: Engine, destination_id: int, version_id: int, email: str, *, delivered: bool) -> None:
    """A response for `email` queued for the destination, as capture and a worker leave it: the
    queue row, the outbox row and its attempt, the record of what was accepted, the counters."""
    rid = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            sa.insert(responses).values(
                id=rid, experience_version_id=version_id, channel="api", email=email, created_at=T0, updated_at=T0
            )
        )
        queue.enqueue_users(conn, [destination_id], [email], T0)
        rows.add(conn, [rows.NewRow(destination_id, rid, email, ProfileChange(email, {"skin_type": "dry"}))], T0)
        [row_id] = conn.execute(sa.select(outbox.c.id).where(outbox.c.response_id == rid)).scalars()
        if delivered:
            conn.execute(sa.update(outbox).where(outbox.c.id == row_id).values(state="delivered", attempts=1))
        rows.log_attempts(conn, [(row_id, "delivered" if delivered else "retry", "test")], T0)
        records.store(conn, destination_id, {email: {"skin_type": "dry"}}, T0)
        counters.add(conn, destination_id, requests=1, sent=1, saved=0, now=T0)


def held(engine: Engine) -> dict[str, list[int]]:
    """Per delivery table, the destination of each row (attempts: of the row they log)."""
    found: dict[str, list[int]] = {}
    with engine.connect() as conn:
        for table in outbox_sql.TABLES:
            if table is delivery_attempts:
                query = sa.select(outbox.c.destination_id).select_from(
                    delivery_attempts.join(outbox, outbox.c.id == delivery_attempts.c.outbox_id)
                )
            else:
                query = sa.select(table.c.destination_id)
            found[table.name] = sorted(conn.execute(query).scalars())
    return found


def test_removing_a_destination_empties_every_delivery_table_of_it_and_only_of_it(engine: Engine) -> None:
    box = SecretBox(Fernet.generate_key())
    version_id = SqlExperienceStore(engine).publish(sample(), T0).version_id
    store = SqlDestinations(engine, box, workspace_id=DEFAULT_WORKSPACE_ID)
    gone = store.add_braze("gone", "http://127.0.0.1:9", "k" * 20, T0)
    kept = store.add_braze("kept", "http://127.0.0.1:9", "k" * 20, T0)
    fill(engine, gone, version_id, "ada@example.com", delivered=True)
    fill(engine, gone, version_id, "bob@example.com", delivered=False)
    fill(engine, kept, version_id, "ada@example.com", delivered=True)
    assert {name: sorted(set(ids)) for name, ids in held(engine).items()} == {
        t.name: [gone, kept] for t in outbox_sql.TABLES
    }
    [listed_gone, _] = store.list()
    assert (listed_gone.pending, listed_gone.delivered, listed_gone.dead) == (1, 1, 0)

    assert store.remove("gone", force=True) == Removed(outbox_rows=2, waiting=1, attempts=2)

    assert held(engine) == {t.name: [kept] for t in outbox_sql.TABLES}
    assert [d.name for d in store.list()] == ["kept"]
