"""Operator API tokens: created once and shown once, stored as SHA-256 digests, revocable.

A token is 32 random bytes (URL-safe base64 behind a `zp_` prefix), so a plain digest is as strong as
a slow password hash would be and lets a request be checked with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import api_tokens
from zeroparty.errors import FieldError, InvalidInput, NotFound

PREFIX = "zp_"
MAX_NAME = 100
# Recording every use would turn each authenticated read into a write; once a minute is enough.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenView:
    """What may be shown of a token: never the token, only its last characters."""

    id: int
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _name_problem(name: str) -> str | None:
    if not name.strip() or len(name) > MAX_NAME:
        return f"must be 1 to {MAX_NAME} characters"
    if not all(c.isalnum() or c in "-_." for c in name):
        return "may hold letters, digits, '-', '_' and '.' only"
    return None


class SqlTokens:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, name: str, now: datetime) -> str:
        """A new token for `name`; the only time its value is ever available."""
        problem = _name_problem(name)
        if problem:
            raise InvalidInput(FieldError("NAME", problem))
        token = PREFIX + secrets.token_urlsafe(32)
        with self._engine.begin() as conn:
            if conn.execute(sa.select(api_tokens.c.id).where(api_tokens.c.name == name)).first():
                raise InvalidInput(FieldError("NAME", f"a token named '{name}' already exists"))
            conn.execute(
                sa.insert(api_tokens).values(
                    name=name, token_sha256=digest(token), hint="…" + token[-4:], created_at=now
                )
            )
        return token

    def list(self) -> list[TokenView]:
        with reader(self._engine).connect() as conn:
            rows = conn.execute(sa.select(api_tokens).order_by(api_tokens.c.name)).all()
        return [TokenView(r.id, r.name, r.hint, r.created_at, r.last_used_at, r.revoked_at) for r in rows]

    def revoke(self, name: str, now: datetime) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(
                sa.update(api_tokens)
                .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            if done.rowcount == 0:
                raise NotFound(FieldError("NAME", f"no active token named '{name}'"))

    def verify(self, token: str, now: datetime) -> TokenView | None:
        """The active token with this value, or None."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        return self._active(api_tokens.c.token_sha256 == digest(token), now)

    def active_by_id(self, token_id: int, now: datetime) -> TokenView | None:
        """The token a signed session cookie names, if it is still active."""
        return self._active(api_tokens.c.id == token_id, now)

    def _active(self, match: sa.ColumnElement[bool], now: datetime) -> TokenView | None:
        with reader(self._engine).connect() as conn:
            row = conn.execute(sa.select(api_tokens).where(match, api_tokens.c.revoked_at.is_(None))).first()
        if row is None:
            return None
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_GRANULARITY:
            with self._engine.begin() as conn:
                conn.execute(sa.update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
        return TokenView(row.id, row.name, row.hint, row.created_at, now, None)
