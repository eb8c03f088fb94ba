"""Operator API tokens: created once and shown once, stored as SHA-256 digests, revocable. What a
token is (its name, shape, digest and view) is domain/operator_tokens.py; operators manage tokens
through services/operator_tokens.py (the `TokenAdmin` port this implements)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import api_tokens
from zeroparty.adapters.db.sessions import SqlSessions
from zeroparty.domain.operator_tokens import PREFIX, TokenView, digest, name_problem, principal
from zeroparty.domain.roles import Role, parse_role
from zeroparty.errors import FieldError, InvalidInput, NotFound

# Recording every use would turn each authenticated read into a write; once a minute is enough.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class SqlTokens:
    """Tokens are made, listed and revoked within one workspace (another's names are unknown here);
    a token presented to the server is looked up whichever workspace it belongs to, and carries it."""

    def __init__(self, engine: Engine, *, workspace_id: int) -> None:
        self._engine = engine
        self._sessions = SqlSessions(engine)
        self._workspace_id = workspace_id

    def create(self, name: str, now: datetime, *, role: Role = Role.OWNER, replace: bool = False) -> str:
        """A new token for `name` in the workspace, with `role`; the only time its value is ever
        available. With `replace`, the active token of that name (if any) is revoked in the same
        transaction, its sessions ended."""
        problem = name_problem(name)  # whoever writes a token, the store keeps no bad name
        if problem:
            raise InvalidInput(FieldError("NAME", problem))
        token = PREFIX + secrets.token_urlsafe(32)
        try:
            with self._engine.begin() as conn:
                if replace:
                    self._revoke(conn, name, now)
                elif self._active_id(conn, name) is not None:
                    raise InvalidInput(FieldError("NAME", _taken(name)))
                conn.execute(
                    sa.insert(api_tokens).values(
                        workspace_id=self._workspace_id,
                        role=role.value,
                        name=name,
                        token_sha256=digest(token),
                        hint="…" + token[-4:],
                        created_at=now,
                    )
                )
        except IntegrityError:  # another process made a token of that name meanwhile
            raise InvalidInput(FieldError("NAME", _taken(name))) from None
        return token

    def list(self) -> list[TokenView]:
        with reader(self._engine).connect() as conn:
            rows = conn.execute(
                sa.select(api_tokens)
                .where(api_tokens.c.workspace_id == self._workspace_id)
                .order_by(api_tokens.c.name, api_tokens.c.id)
            ).all()
        return [_view(r, r.last_used_at) for r in rows]

    def revoke(self, name: str, now: datetime) -> None:
        """Revoke the active token of `name`: requests carrying it are refused, its sessions end."""
        with self._engine.begin() as conn:
            if not self._revoke(conn, name, now):
                raise NotFound(FieldError("NAME", f"no active token named '{name}'"))

    def _revoke(self, conn: sa.Connection, name: str, now: datetime) -> bool:
        token_id = self._active_id(conn, name)
        if token_id is None:
            return False
        conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=now))
        self._sessions.end_all(principal(token_id), conn)
        return True

    def _active_id(self, conn: sa.Connection, name: str) -> int | None:
        match = sa.select(api_tokens.c.id).where(
            api_tokens.c.workspace_id == self._workspace_id,
            api_tokens.c.name == name,
            api_tokens.c.revoked_at.is_(None),
        )
        found = conn.execute(match).scalar()
        return None if found is None else int(found)

    def look_up(self, token: str, now: datetime) -> TokenView | None:
        """The token with this value, active or revoked (see `revoked_at`), or None when unknown."""
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        return self._find(api_tokens.c.token_sha256 == digest(token), now)

    def active_by_id(self, token_id: int, now: datetime) -> TokenView | None:
        """The token a browser session belongs to, if it is still active."""
        found = self._find(api_tokens.c.id == token_id, now)
        return found if found is not None and found.revoked_at is None else None

    def _find(self, match: sa.ColumnElement[bool], now: datetime) -> TokenView | None:
        with reader(self._engine).connect() as conn:
            row = conn.execute(sa.select(api_tokens).where(match)).first()
        if row is None:
            return None
        if row.revoked_at is not None:
            return _view(row, row.last_used_at)
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_GRANULARITY:
            with self._engine.begin() as conn:
                conn.execute(sa.update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
        return _view(row, now)


def _view(row: sa.Row[Any], last_used_at: datetime | None) -> TokenView:
    # A role the store does not know (written by a newer release) may do the least.
    role = parse_role(str(row.role)) or Role.VIEWER
    return TokenView(
        row.id, row.name, row.hint, row.created_at, last_used_at, row.revoked_at, int(row.workspace_id), role
    )


def _taken(name: str) -> str:
    return (
        f"an active token named '{name}' already exists; "
        f"`zeroparty tokens create {name} --replace` revokes it and prints a new one"
    )
