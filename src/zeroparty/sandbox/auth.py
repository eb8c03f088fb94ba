"""Who may use the sandbox's own surface (not Braze's): the control API and the profile browser.

Both hold profiles and can wipe them, so both need one of the sandbox's API keys, like Braze's own
paths do:

- the JSON control API (`/_sandbox/*`) takes `Authorization: Bearer KEY`, else 401 JSON;
- the profile browser (`/_sandbox/ui/*`) asks for the key once in a server-rendered form and then
  starts a session kept in the sandbox's database (`braze_sandbox_sessions`, the store of
  adapters/db/sessions.py), named by a random id in a signed, HttpOnly, SameSite=Strict cookie scoped
  to the browser's path under the mount prefix (`Secure` over https). Signing out ends the session
  for good, and so do 12 hours. The session belongs to the key (a digest of it) and the cookie is
  signed with the key itself, so both stop working when that key is no longer configured. No page
  ever shows a key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qs

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from zeroparty.adapters.db.sessions import SqlSessions
from zeroparty.domain.login_limits import LoginLimiter, client_key
from zeroparty.domain.operator_tokens import SESSION_LIFETIME

INVALID_KEY = "Invalid API Key"
COOKIE = "zeroparty_sandbox_ui"
UI_PATH = "/_sandbox/ui"
_BEARER = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)
_SALT = "zeroparty.sandbox.ui-session"
_FORM_LIMIT = 8 * 1024  # a login form is one short field; anything bigger is not one
_ACCOUNT = "sandbox"
# Profile pages hold personal data and the login form takes a key: not cached, not framed, no
# scripts, forms post only back to the sandbox.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

Endpoint = Callable[[Request], Awaitable[Response]]
Headers = dict[str, str]


def bearer_key(request: Request) -> str | None:
    """The key in `Authorization: Bearer KEY` (scheme in any case), or None."""
    match = _BEARER.match(request.headers.get("authorization", ""))
    return match.group(1) if match else None


def known_key(presented: str | None, keys: Iterable[str]) -> str | None:
    """`presented` when it is one of `keys`; compared in constant time so timing tells nothing."""
    if presented is None:
        return None
    given = presented.encode()
    found = None
    for key in keys:
        if hmac.compare_digest(given, key.encode()):
            found = key
    return found


def _serializer(secret: str | list[str]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256})


def key_principal(key: str) -> str:
    """Whose a browser session is: a digest of the key it was opened with (never the key)."""
    return "sandbox-key:" + hashlib.sha256(key.encode()).hexdigest()


class Access:
    """Guards for the sandbox's own routes, and the browser's login and logout routes."""

    def __init__(
        self,
        api_keys: Mapping[str, frozenset[str]],
        templates: Jinja2Templates,
        sessions: SqlSessions,
        clock: Callable[[], float],
    ) -> None:
        self._keys = list(api_keys)
        self._principals = frozenset(key_principal(k) for k in self._keys)
        self._templates = templates
        self._sessions = sessions
        self._clock = clock
        self._limiter = LoginLimiter()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- JSON control API ----------------------------------------------------------------------

    def api(self, endpoint: Endpoint) -> Endpoint:
        """`endpoint` behind the Bearer key: 401 JSON without one of the sandbox's keys."""

        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            if known_key(bearer_key(request), self._keys) is None:
                return JSONResponse({"message": INVALID_KEY}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
            return await endpoint(request)

        return guarded

    # -- profile browser -----------------------------------------------------------------------

    def page(self, endpoint: Endpoint) -> Endpoint:
        """`endpoint` behind the browser session: a 303 to the login form without a live one."""

        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            if not await self.signed_in(request):
                return RedirectResponse(_login_path(request), status_code=303, headers=PAGE_HEADERS)
            response = await endpoint(request)
            response.headers.update(PAGE_HEADERS)
            return response

        return guarded

    def _session_id(self, request: Request) -> str | None:
        token = request.cookies.get(COOKIE)
        if not token or not self._keys:
            return None
        try:
            # Verifies against every configured key; a cookie signed with a key since removed fails.
            session_id = _serializer(self._keys).loads(token, max_age=int(SESSION_LIFETIME.total_seconds()))
        except BadData:  # forged, tampered with, expired, or signed with a key no longer configured
            return None
        return session_id if isinstance(session_id, str) else None

    async def signed_in(self, request: Request) -> bool:
        session_id = self._session_id(request)
        if session_id is None:
            return False
        session = await run_in_threadpool(self._sessions.find, session_id, self._now())
        return session is not None and session.principal in self._principals

    def routes(self) -> list[BaseRoute]:
        return [
            Route(UI_PATH + "/login", self._login_form, methods=["GET"], name="ui_login"),
            Route(UI_PATH + "/login", self._log_in, methods=["POST"]),
            Route(UI_PATH + "/logout", self._log_out, methods=["POST"], name="ui_logout"),
        ]

    async def _login_form(self, request: Request) -> Response:
        return self._form(request, None, 200)

    async def _log_in(self, request: Request) -> Response:
        # Sign-in limits (docs/braze-sandbox.md): the sandbox's keys are one account, since a key is
        # all a guesser needs; a client that has not failed lately may always try (domain/login_limits.py).
        client = client_key(request.client.host if request.client else None)
        decision = self._limiter.admit(client, _ACCOUNT, self._clock())
        if not decision.allowed:
            problem = decision.refusal("to this sandbox")
            sentence = problem[:1].upper() + problem[1:] + "."
            return self._form(request, sentence, 429, {"Retry-After": str(decision.retry_after_s)})
        key = known_key(await _form_key(request), self._keys)
        if key is None:
            self._limiter.failed(_ACCOUNT, self._clock())
            return self._form(request, "That is not one of this sandbox's API keys.", 401)
        self._limiter.succeeded(client)
        session_id = await run_in_threadpool(self._sessions.start, key_principal(key), self._now())
        response = RedirectResponse(str(request.url_for("ui_index").path), status_code=303, headers=PAGE_HEADERS)
        response.set_cookie(
            COOKIE,
            _serializer(key).dumps(session_id),
            max_age=int(self._sessions.lifetime.total_seconds()),
            path=_cookie_path(request),
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return response

    async def _log_out(self, request: Request) -> Response:
        session_id = self._session_id(request)
        if session_id is not None:
            await run_in_threadpool(self._sessions.end, session_id)
        response = RedirectResponse(_login_path(request), status_code=303, headers=PAGE_HEADERS)
        response.delete_cookie(
            COOKIE, path=_cookie_path(request), secure=request.url.scheme == "https", httponly=True, samesite="strict"
        )
        return response

    def _form(self, request: Request, problem: str | None, status: int, extra: Headers | None = None) -> Response:
        # The form never carries the key back: a wrong one has to be typed again.
        return self._templates.TemplateResponse(
            request, "login.html", {"problem": problem}, status_code=status, headers={**PAGE_HEADERS, **(extra or {})}
        )


def _login_path(request: Request) -> str:
    return str(request.url_for("ui_login").path)


def _cookie_path(request: Request) -> str:
    # Only the browser's pages under this mount get the cookie: not the product it is mounted in,
    # not Braze's paths, not the JSON control API (which takes the Bearer key).
    return str(request.scope.get("root_path", "")).rstrip("/") + UI_PATH


async def _form_key(request: Request) -> str | None:
    """The `key` field of a urlencoded login form, or None (no form, no field, too big)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        return None
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > _FORM_LIMIT:
            return None
    try:
        values = parse_qs(raw.decode(), max_num_fields=10).get("key", [])
    except (UnicodeDecodeError, ValueError):
        return None
    return values[0].strip() if len(values) == 1 else None
