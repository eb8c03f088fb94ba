"""Browser sessions kept on the server, so that one ends for good when it is ended.

A session belongs to a *principal*: an opaque name its owner chooses (`api-token:12` for an operator
signed in with a token, a digest of the key for the Braze sandbox's browser). It ends at logout, when
its principal is revoked (`end_all`), or at its expiry, whichever comes first.

The browser holds a random session id (in a signed cookie); only a SHA-256 digest of it is stored, so
reading the table does not hand anyone a session. The table is declared by `session_table`, so the
product and the sandbox each keep one in their own schema with the same store code.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.metadata import UTCDateTime, metadata
from zeroparty.domain.operator_tokens import SESSION_LIFETIME, Session

MAX_PRINCIPAL = 200


def session_table(name: str, owner: sa.MetaData) -> sa.Table:
    return sa.Table(
        name,
        owner,
        sa.Column("id_sha256", sa.String(64), primary_key=True),
        sa.Column("principal", sa.String(MAX_PRINCIPAL), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
    )


sessions = session_table("sessions", metadata)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


class SqlSessions:
    def __init__(self, engine: Engine, table: sa.Table = sessions, lifetime: timedelta = SESSION_LIFETIME) -> None:
        self._engine = engine
        self._table = table
        self.lifetime = lifetime

    def start(self, principal: str, now: datetime) -> str:
        """A new session for `principal`; returns its id, which only the browser keeps."""
        if not principal or len(principal) > MAX_PRINCIPAL:
            raise ValueError(f"a principal is 1 to {MAX_PRINCIPAL} characters")
        session_id = secrets.token_urlsafe(32)
        t = self._table
        with self._engine.begin() as conn:
            # Sessions only start after a successful sign-in; sweeping the expired ones then keeps the
            # table as small as the sessions alive.
            conn.execute(sa.delete(t).where(t.c.expires_at <= now))
            conn.execute(
                sa.insert(t).values(
                    id_sha256=_digest(session_id), principal=principal, created_at=now, expires_at=now + self.lifetime
                )
            )
        return session_id

    def find(self, session_id: str, now: datetime) -> Session | None:
        """The live session with this id, or None (unknown, ended or expired)."""
        t = self._table
        with reader(self._engine).connect() as conn:
            row = conn.execute(
                sa.select(t.c.principal, t.c.created_at, t.c.expires_at).where(
                    t.c.id_sha256 == _digest(session_id), t.c.expires_at > now
                )
            ).first()
        return None if row is None else Session(row.principal, row.created_at, row.expires_at)

    def end(self, session_id: str) -> None:
        """End this session for good (logout); harmless when it is already over."""
        with self._engine.begin() as conn:
            conn.execute(sa.delete(self._table).where(self._table.c.id_sha256 == _digest(session_id)))

    def end_all(self, principal: str, conn: sa.Connection | None = None) -> int:
        """End every session of `principal` (its credential was revoked); in `conn`'s transaction if given."""
        statement = sa.delete(self._table).where(self._table.c.principal == principal)
        if conn is not None:
            return conn.execute(statement).rowcount
        with self._engine.begin() as own:
            return own.execute(statement).rowcount
