"""Operator API tokens and browser sessions, as the rest of zeroparty sees them: what may name a
token and what may be shown of one, the shape of one, its digest, and the name a token's browser
sessions belong to. Pure; the store is adapters/db/tokens.py and adapters/db/sessions.py, and
operators manage tokens through services/operator_tokens.py.

A token is 32 random bytes (URL-safe base64 behind a `zp_` prefix), so a plain digest is as strong as
a slow password hash would be and lets a request be checked with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from zeroparty.domain.roles import Role
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID

PREFIX = "zp_"
MAX_NAME = 100
PRINCIPAL_PREFIX = "api-token:"
SESSION_LIFETIME = timedelta(hours=12)  # a working day at most, whatever happens


@dataclass(frozen=True)
class TokenView:
    """What may be shown of a token: never the token, only its last characters."""

    id: int
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    workspace_id: int = DEFAULT_WORKSPACE_ID  # what a request carrying it may see and change
    role: Role = Role.OWNER  # what it may do there (domain/roles.py)


@dataclass(frozen=True)
class Session:
    """A browser session kept on the server: whose it is (its principal) and until when."""

    principal: str
    created_at: datetime
    expires_at: datetime


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a token, or None: it is shown in listings and typed in commands."""
    if not name.strip() or len(name) > MAX_NAME:
        return f"must be 1 to {MAX_NAME} characters"
    if not all(c.isalnum() or c in "-_." for c in name):
        return "may hold letters, digits, '-', '_' and '.' only"
    return None


_TOKEN_SHAPE = re.compile(r"^zp_[A-Za-z0-9_-]{43}$")


def looks_like_token(value: str) -> bool:
    """Whether `value` has the shape of a token this server makes (it may still be unknown)."""
    return _TOKEN_SHAPE.match(value) is not None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def principal(token_id: int) -> str:
    """The name a token's browser sessions belong to (adapters/db/sessions.py)."""
    return f"{PRINCIPAL_PREFIX}{token_id}"


def token_id_of(owner: str) -> int | None:
    """The token id behind a session principal, or None when it is not a token's."""
    digits = owner.removeprefix(PRINCIPAL_PREFIX)
    return int(digits) if owner.startswith(PRINCIPAL_PREFIX) and digits.isascii() and digits.isdigit() else None
