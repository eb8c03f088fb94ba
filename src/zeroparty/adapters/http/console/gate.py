"""Who is using the console, what their role lets them do, and the forms' CSRF protection.

- **Session.** Signing in starts a server-side session (`AccountService.start_session`); the
  browser holds its random id in a signed, HttpOnly, SameSite=Lax cookie (`__Host-` prefixed and
  Secure over HTTPS). Logout, a password reset and disabling the user end it for good.
- **Roles.** Every console route names the role it needs in a workspace (`needs`); the route table
  `ROUTE_ROLES` is walked by a test, so a route cannot be added without a decision. A workspace the
  user is not a member of answers 404, as if it did not exist.
- **CSRF.** Every form carries a token derived from the session (an HMAC of its id), checked on every
  POST; the login form, which has no session yet, uses a random token in a cookie and the form alike.
  A request a browser marks as cross-site (`Sec-Fetch-Site`), or whose `Origin` is another site's,
  is refused before any of that. State never changes on GET.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from zeroparty.domain.accounts import Membership, UserView
from zeroparty.domain.operator_tokens import SESSION_LIFETIME
from zeroparty.domain.roles import Role, allows
from zeroparty.errors import FieldError, Forbidden, NotFound
from zeroparty.services.accounts import AccountService

COOKIE = "zp_console"
SECURE_COOKIE = "__Host-zp_console"  # the prefix makes browsers refuse it unless Secure, host-only, Path=/
LOGIN_CSRF_COOKIE = "zp_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_AGE_S = int(SESSION_LIFETIME.total_seconds())

# "METHOD /admin/path" → the role it needs in the workspace named by the path (None: signed in is
# enough, the page shows only what the user's memberships allow). Filled by `needs`.
ROUTE_ROLES: dict[str, Role | None] = {}

F = TypeVar("F", bound=Callable[..., Any])


class CsrfRefused(Exception):
    """A state-changing request without proof that it came from our own form."""


class SignInRequired(Exception):
    """No console session: the browser is sent to the login page."""


def needs(method: str, path: str, role: Role | None) -> Callable[[F], F]:
    """Declare the role `METHOD path` needs (the route decorator stays FastAPI's)."""

    def declare(handler: F) -> F:
        ROUTE_ROLES[f"{method} {path}"] = role
        return handler

    return declare


@dataclass(frozen=True)
class Visitor:
    """A signed-in user, and the session their cookie names."""

    user: UserView
    session_id: str
    memberships: list[Membership]

    def membership(self, slug: str) -> Membership:
        """Their membership of workspace `slug`; NotFound when they have none (it may not exist)."""
        for m in self.memberships:
            if m.workspace.slug == slug:
                return m
        raise NotFound(FieldError("workspace", f"no workspace {slug!r}"))


@dataclass(frozen=True)
class Member:
    """A signed-in user acting in one workspace, with their role there."""

    visitor: Visitor
    membership: Membership

    @property
    def role(self) -> Role:
        return self.membership.role

    @property
    def workspace_id(self) -> int:
        return self.membership.workspace.id

    @property
    def actor(self) -> str:
        return self.visitor.user.email

    def may(self, needed: Role) -> bool:
        return allows(self.role, needed)


def cookie_name(request: Request) -> str:
    return SECURE_COOKIE if request.url.scheme == "https" else COOKIE


@dataclass(frozen=True)
class ConsoleGate:
    accounts: AccountService
    session_secret: bytes

    def _signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.session_secret, salt="zeroparty-console-session")

    def cookie_value(self, session_id: str) -> str:
        return self._signer().dumps(session_id)

    def session_id(self, request: Request) -> str | None:
        raw = request.cookies.get(cookie_name(request))
        if not raw:
            return None
        try:
            value = self._signer().loads(raw, max_age=MAX_AGE_S)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    async def visitor(self, request: Request) -> Visitor | None:
        session_id = self.session_id(request)
        if session_id is None:
            return None
        user = await run_in_threadpool(self.accounts.user_for_session, session_id)
        if user is None:
            return None
        memberships = await run_in_threadpool(self.accounts.memberships, user.id)
        return Visitor(user, session_id, memberships)

    async def require(self, request: Request) -> Visitor:
        found = await self.visitor(request)
        if found is None:
            raise SignInRequired
        return found

    async def member(self, request: Request, slug: str, needed: Role) -> Member:
        """The visitor acting in workspace `slug` with at least `needed`: SignInRequired, NotFound
        (not a member: the workspace is not theirs to know about) or Forbidden (role too low)."""
        visitor = await self.require(request)
        membership = visitor.membership(slug)
        if not allows(membership.role, needed):
            raise Forbidden(FieldError("role", f"this needs the {needed} role; yours is {membership.role}"))
        return Member(visitor, membership)

    def csrf_token(self, session_id: str) -> str:
        return hmac.new(self.session_secret, b"console csrf:" + session_id.encode(), hashlib.sha256).hexdigest()

    async def check_csrf(self, request: Request, visitor: Visitor | None, fields: dict[str, str]) -> None:
        """Refuse a POST that is not from our own form (CsrfRefused); `visitor` None: the login form."""
        same_origin(request)
        presented = fields.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
        if visitor is not None:
            expected = self.csrf_token(visitor.session_id)
        else:
            expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
            raise CsrfRefused


def same_origin(request: Request) -> None:
    """Refuse what a browser says came from elsewhere (Fetch Metadata, then Origin)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise CsrfRefused
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise CsrfRefused


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)
