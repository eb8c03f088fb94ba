"""The server-side session store on SQLite and PostgreSQL: a session lives until it is ended, its
principal's sessions are ended, or it expires; the table holds only digests of the ids."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.support.databases import database_url
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.sessions import SqlSessions, sessions
from zeroparty.domain.operator_tokens import SESSION_LIFETIME

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with database_url(request.param, tmp_path) as url:
        e = create_engine(url)
        migrate.upgrade(e)
        try:
            yield e
        finally:
            e.dispose()


def _rows(engine: Engine) -> list[tuple[str, str]]:
    """(id digest, principal) of every stored session."""
    with engine.connect() as conn:
        return [(r.id_sha256, r.principal) for r in conn.execute(sa.select(sessions.c.id_sha256, sessions.c.principal))]


def test_a_session_lives_until_logout_and_only_its_digest_is_stored(engine: Engine) -> None:
    store = SqlSessions(engine)
    sid = store.start("api-token:1", T0)
    found = store.find(sid, T0 + timedelta(hours=1))
    assert found is not None and (found.principal, found.created_at) == ("api-token:1", T0)
    assert found.expires_at == T0 + SESSION_LIFETIME
    assert [digest for digest, _ in _rows(engine)] == [hashlib.sha256(sid.encode()).hexdigest()]
    store.end(sid)
    assert store.find(sid, T0 + timedelta(hours=1)) is None
    store.end(sid)  # ending it again is harmless
    assert store.find("not-a-session", T0) is None


def test_a_session_expires_and_expired_ones_are_swept_when_another_starts(engine: Engine) -> None:
    store = SqlSessions(engine, lifetime=timedelta(minutes=30))
    old = store.start("api-token:1", T0)
    assert store.find(old, T0 + timedelta(minutes=29)) is not None
    assert store.find(old, T0 + timedelta(minutes=30)) is None
    new = store.start("api-token:2", T0 + timedelta(minutes=31))
    assert [owner for _, owner in _rows(engine)] == ["api-token:2"]
    assert store.find(new, T0 + timedelta(minutes=32)) is not None


def test_ending_a_principals_sessions_leaves_the_others(engine: Engine) -> None:
    store = SqlSessions(engine)
    mine = [store.start("api-token:1", T0) for _ in range(3)]
    theirs = store.start("api-token:2", T0)
    assert store.end_all("api-token:1") == 3
    assert all(store.find(s, T0) is None for s in mine)
    assert store.find(theirs, T0) is not None


def test_a_principal_must_be_named(engine: Engine) -> None:
    store = SqlSessions(engine)
    for bad in ("", "x" * 201):
        with pytest.raises(ValueError, match="principal"):
            store.start(bad, T0)
