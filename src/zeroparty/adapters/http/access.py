"""Who may call what. Every route is either listed in PUBLIC_ROUTES with the reason it is open, or
refuses a request without an operator credential (tests/integration/test_access.py walks every route
of the assembled app to keep it so).

An operator credential is an API token (`zeroparty tokens create NAME`) sent as
`Authorization: Bearer <token>`, or — for reading in a browser — the signed session cookie that the
login page sets after checking such a token. The cookie is only honoured for safe methods (GET, HEAD),
so it can never be used to make a change on someone's behalf.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from zeroparty.adapters.db.tokens import SqlTokens, TokenView
from zeroparty.errors import FieldError, Unauthorized

# "METHOD /path" (as routed, with {params}) → why it is open to anonymous callers.
PUBLIC_ROUTES: dict[str, str] = {
    "GET /": "the index links the published experiences, which are public pages",
    "GET /healthz": "liveness probe for load balancers; reveals nothing",
    "GET /e/{slug}": "respondents take published experiences",
    "POST /e/{slug}": "respondents submit a published experience's first screen",
    "GET /e/{slug}/r/{response_id}/s/{screen_id}": "a respondent's own screens; the unguessable response id "
    "in the URL is their capability",
    "POST /e/{slug}/r/{response_id}/s/{screen_id}": "a respondent answers their own screens (same capability)",
    "GET /e/{slug}/r/{response_id}/outcome": "a respondent's own outcome (same capability)",
    "POST /api/v1/experiences/{slug}/responses": "respondents (or the brand's site) submit whole responses",
    "GET /api/v1/experience-schema": "the public JSON Schema of definitions, for editors",
    "GET /login": "where an operator presents a token to read /docs and the like in a browser",
    "POST /login": "checks the token presented on the login page",
    "POST /logout": "ends the browser session; harmless without one",
    "GET /static": "stylesheets and scripts of the public pages",
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
SESSION_MAX_AGE_S = 12 * 3600
_BEARER = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def bearer_token(authorization: str | None) -> str | None:
    match = _BEARER.match(authorization or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class OperatorAuth:
    tokens: SqlTokens
    session_secret: bytes
    clock: Callable[[], datetime]

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.session_secret, salt="zeroparty-operator-session")

    def session_cookie(self, token: TokenView) -> str:
        return self._serializer().dumps(token.id)

    def _from_cookie(self, value: str) -> TokenView | None:
        try:
            token_id = self._serializer().loads(value, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        return self.tokens.active_by_id(token_id, self.clock()) if isinstance(token_id, int) else None

    def identify(self, authorization: str | None, cookie: str | None, method: str) -> TokenView | None:
        """The operator behind these request parts, or None (blocking: call off the event loop)."""
        token = bearer_token(authorization)
        if token is not None:
            return self.tokens.verify(token, self.clock())
        if cookie and method in _SAFE_METHODS:
            return self._from_cookie(cookie)
        return None

    async def operator(self, request: Request) -> TokenView | None:
        return await run_in_threadpool(
            self.identify,
            request.headers.get("authorization"),
            request.cookies.get(SESSION_COOKIE),
            request.method,
        )

    async def require(self, request: Request) -> TokenView:
        """FastAPI dependency: the calling operator, or 401."""
        found = await self.operator(request)
        if found is None:
            raise Unauthorized(
                FieldError("authorization", "an operator API token is required: Authorization: Bearer <token>"),
                "authentication required",
            )
        return found
