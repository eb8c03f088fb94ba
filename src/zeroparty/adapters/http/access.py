"""Who may call what. Every route is either listed in PUBLIC_ROUTES with the reason it is open, or
refuses a request without an operator credential (tests/integration/test_access.py walks every route
of the assembled app to keep it so).

An operator credential is an API token (`zeroparty tokens create NAME`) sent as
`Authorization: Bearer <token>`, or — for reading in a browser — the session the login page starts
after checking such a token: the cookie holds a signed random session id, and the session itself is
kept on the server (`OperatorSessions`), so logout and revoking the token end it for good. The
cookie is only honoured for safe methods (GET, HEAD), so it can never be used to make a change on
someone's behalf.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from zeroparty.domain.login_limits import LoginLimiter, client_key
from zeroparty.domain.operator_tokens import (
    SESSION_LIFETIME,
    TokenView,
    digest,
    looks_like_token,
    principal,
    token_id_of,
)
from zeroparty.errors import FieldError, Unauthorized
from zeroparty.services.read_ports import OperatorSessions, OperatorTokens

# "METHOD /path" (as routed, with {params}) → why it is open to anonymous callers.
PUBLIC_ROUTES: dict[str, str] = {
    "GET /": "the index links the published experiences that opted in to being listed (public pages)",
    "GET /healthz": "liveness probe for load balancers; reveals nothing",
    "GET /readyz": "readiness probe for load balancers: ok, or why the store cannot take writes (no data)",
    "GET /e/{slug}": "respondents take published experiences",
    "POST /e/{slug}": "respondents submit a published experience's first screen",
    "GET /e/{slug}/r/{response_id}/s/{screen_id}": "a respondent's own screens while the response is in "
    "progress; the unguessable response id in the URL is their capability (a completed one answers 410)",
    "POST /e/{slug}/r/{response_id}/s/{screen_id}": "a respondent answers their own screens (same capability)",
    "GET /e/{slug}/r/{response_id}/outcome": "a respondent's own outcome, shown only to the browser holding the "
    "signed pass set when it completed the response, for ZEROPARTY_REVISIT_SECONDS",
    "GET /e/{slug}/theme.css": "a published experience's colours, type and corners, shown by its public pages anyway",
    "GET /embed.js": "the script brands' pages load to embed a published experience",
    "GET /e/{slug}/embed.json": "what embed.js needs of a published experience: its title and the URL "
    "parameters it takes, all shown by its public page anyway",
    "GET /e/{slug}/r/{response_id}/go": "a respondent follows their own outcome's call to action (logged, then "
    "303 to that outcome's URL only), with the same signed pass as the outcome page",
    "POST /api/v1/experiences/{slug}/responses": "respondents (or the brand's site) submit whole responses",
    "GET /api/v1/experience-schema": "the public JSON Schema of definitions, for editors",
    "GET /login": "where an operator presents a token to read /docs and the like in a browser",
    "POST /login": "checks the token presented on the login page",
    "POST /logout": "ends the browser session; harmless without one",
    "GET /static": "stylesheets and scripts of the public pages and the console",
    "GET /admin/login": "where a console user signs in with email and password",
    "POST /admin/login": "checks the email and password presented (CSRF token and sign-in limits apply)",
    "POST /admin/logout": "ends the console session (CSRF token checked when there is one); harmless without",
    "GET /admin/reset": "the form a one-time reset link (`zeroparty users reset-link`) opens; its token is the key",
    "POST /admin/reset": "sets a new password with a valid one-time reset token (CSRF token checked)",
    "GET /assets/{asset}": "images the public pages show (`zeroparty assets add`); a name is the hash of its bytes",
    # The Braze sandbox (mounted only by the demo and `serve --sandbox`) guards everything else itself.
    "GET /braze-sandbox/_sandbox/ui/login": "where a developer presents the sandbox key to browse profiles",
    "POST /braze-sandbox/_sandbox/ui/login": "checks the sandbox key presented on its login page",
    "POST /braze-sandbox/_sandbox/ui/logout": "ends the sandbox browser session; harmless without one",
}
# Mounted apps with their own access rules: the Braze sandbox checks its key on every route
# (Braze's endpoints and its control API alike).
SELF_GUARDED_MOUNTS: dict[str, str] = {
    "/braze-sandbox": "the Braze sandbox requires its API key on every route (docs/braze-sandbox.md)",
}

SESSION_COOKIE = "zp_session"
SESSION_MAX_AGE_S = int(SESSION_LIFETIME.total_seconds())
_BEARER = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)
_SAFE_METHODS = frozenset({"GET", "HEAD"})
REQUIRED = "an operator API token is required: Authorization: Bearer <token>"
UNKNOWN = "unknown token"
SESSION_OVER = "the browser session has ended (signed out, expired or its token revoked): sign in again"


def bearer_token(authorization: str | None) -> str | None:
    match = _BEARER.match(authorization or "")
    return match.group(1) if match else None


def revoked_message(revoked_at: datetime) -> str:
    # Only the token's holder can be told this: it answers a request that carries the token itself.
    return f"this token was revoked (at {revoked_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC)"


@dataclass(frozen=True)
class Verdict:
    """Who is calling: the active token, or why there is none (the 401's message)."""

    token: TokenView | None
    problem: str = REQUIRED


def token_verdict(found: TokenView | None) -> Verdict:
    """What a presented token is worth: the token, else 'unknown' or 'revoked (at …)'."""
    if found is None:
        return Verdict(None, UNKNOWN)
    if found.revoked_at is not None:
        return Verdict(None, revoked_message(found.revoked_at))
    return Verdict(found)


@dataclass(frozen=True)
class SignIn:
    """What the login form gets for a token: the verdict, and how long to wait when refused for too
    many failures (`retry_after_s` > 0: answer 429 with `Retry-After`)."""

    verdict: Verdict
    retry_after_s: int = 0


@dataclass(frozen=True)
class OperatorAuth:
    tokens: OperatorTokens
    sessions: OperatorSessions
    session_secret: bytes
    clock: Callable[[], datetime]
    # Failed sign-ins per client and per token presented (docs/security.md, "Sign-in limits"); touched
    # on the event loop only, so it needs no lock.
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    monotonic: Callable[[], float] = time.monotonic

    async def sign_in(self, presented: str, client_host: str | None) -> SignIn:
        """Check a token typed into the login form, within the sign-in limits. `client_host` is the
        peer address as the server saw it (behind a trusted proxy, uvicorn's --proxy-headers put the
        original client there); X-Forwarded-For is never read here."""
        client = client_key(client_host)
        # The "account" of a token-shaped value is that value: a leaked token replayed from many
        # addresses is slowed down however many there are. Random guesses each have their own, so
        # only the client's allowance binds them (a 256-bit token cannot be guessed anyway).
        account = "token:" + digest(presented) if looks_like_token(presented) else None
        decision = self.limiter.admit(client, account, self.monotonic())
        if not decision.allowed:
            return SignIn(Verdict(None, decision.refusal("with this token")), decision.retry_after_s)
        verdict = token_verdict(await run_in_threadpool(self.tokens.look_up, presented, self.clock()))
        if verdict.token is None:
            self.limiter.failed(account, self.monotonic())
        else:
            self.limiter.succeeded(client)
        return SignIn(verdict)

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.session_secret, salt="zeroparty-operator-session")

    def start_session(self, token: TokenView) -> str:
        """A new server-side session for `token`; returns the cookie value (blocking)."""
        return self._serializer().dumps(self.sessions.start(principal(token.id), self.clock()))

    def end_session(self, cookie: str | None) -> None:
        """End the session this cookie names, for good (blocking); harmless without one."""
        session_id = self._session_id(cookie)
        if session_id is not None:
            self.sessions.end(session_id)

    def _session_id(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            session_id = self._serializer().loads(cookie, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        return session_id if isinstance(session_id, str) else None

    def _from_cookie(self, cookie: str) -> TokenView | None:
        session_id = self._session_id(cookie)
        now = self.clock()
        session = self.sessions.find(session_id, now) if session_id is not None else None
        token_id = token_id_of(session.principal) if session is not None else None
        return self.tokens.active_by_id(token_id, now) if token_id is not None else None

    def identify(self, authorization: str | None, cookie: str | None, method: str) -> Verdict:
        """The operator behind these request parts, or why none (blocking: call off the event loop)."""
        token = bearer_token(authorization)
        if token is not None:
            return token_verdict(self.tokens.look_up(token, self.clock()))
        if cookie and method in _SAFE_METHODS:
            found = self._from_cookie(cookie)
            return Verdict(found) if found is not None else Verdict(None, SESSION_OVER)
        return Verdict(None)

    async def verdict(self, request: Request) -> Verdict:
        return await run_in_threadpool(
            self.identify,
            request.headers.get("authorization"),
            request.cookies.get(SESSION_COOKIE),
            request.method,
        )

    async def operator(self, request: Request) -> TokenView | None:
        return (await self.verdict(request)).token

    async def require(self, request: Request) -> TokenView:
        """FastAPI dependency: the calling operator, or 401 saying why."""
        found = await self.verdict(request)
        if found.token is None:
            raise Unauthorized(FieldError("authorization", found.problem), "authentication required")
        return found.token
