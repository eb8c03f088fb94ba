"""Console users: who they are, what a password must be, and the one-time reset links. Pure.

A user signs in to the console with an email and a password and has a role in each workspace they
belong to (a `Membership`). A signed-in browser holds one of the server-side operator sessions,
whose principal is `user:ID`. A forgotten password is replaced through a reset link that an owner
prints with the CLI: it carries a random token, of which only a SHA-256 digest is stored, that
works once within `RESET_LIFETIME`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from zeroparty.domain.emails import InvalidEmail, normalize_email
from zeroparty.domain.roles import Role
from zeroparty.domain.workspaces import Workspace

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte on every try would be a cheap way to keep the server busy
PRINCIPAL_PREFIX = "user:"
RESET_PREFIX = "zpr_"
RESET_LIFETIME = timedelta(hours=1)
WRONG_CREDENTIALS = "Wrong email or password."


@dataclass(frozen=True)
class UserView:
    """A user as the console and the CLI show one (never the password hash)."""

    id: int
    email: str
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class Membership:
    workspace: Workspace
    role: Role


def normalise_email(raw: str) -> str:
    """The address as it is stored and compared: trimmed, NFKC, lower case; `InvalidEmail` (a
    ValueError saying why) when it is not an address."""
    return normalize_email(raw.strip())


def email_problem(raw: str) -> str | None:
    """Why `raw` cannot be a user's email, or None."""
    try:
        normalise_email(raw)
    except InvalidEmail as exc:
        return str(exc)
    return None


def password_problem(password: str, email: str) -> str | None:
    """Why `password` cannot be `email`'s password, or None. Length is the rule that matters (no
    composition rules: they push people towards predictable patterns)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"
    if not password.strip():
        return "must not be only spaces"
    if password.strip().lower() == email.strip().lower():
        return "must not be the email address"
    return None


def user_principal(user_id: int) -> str:
    """The name a user's browser sessions belong to (adapters/db/sessions.py)."""
    return f"{PRINCIPAL_PREFIX}{user_id}"


def user_id_of(principal: str) -> int | None:
    """The user id behind a session principal, or None when it is not a user's."""
    digits = principal.removeprefix(PRINCIPAL_PREFIX)
    ok = principal.startswith(PRINCIPAL_PREFIX) and digits.isascii() and digits.isdigit() and len(digits) < 19
    return int(digits) if ok else None


def new_reset_token() -> str:
    """A reset token: 32 random bytes, URL-safe base64, behind `zpr_`."""
    return RESET_PREFIX + secrets.token_urlsafe(32)


def reset_digest(token: str) -> str:
    """What is stored of a reset token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
