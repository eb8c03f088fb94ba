"""The sandbox's HTTP surface: Braze's user-data paths at the root, the control API and the profile
browser under /_sandbox/ (control.py, behind the sandbox's key: auth.py).

Transport rules (https://www.braze.com/docs/api/basics, https://www.braze.com/docs/api/errors): Bearer
key (401, also for a key sent to another instance), key permission (403 Access Denied), JSON content
type (415), parsable JSON (400), 4 MB body (413), rate-limit headers on every answer to a known key
(https://www.braze.com/docs/api/api_limits); every error body is JSON with a `message`.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates
from starlette.types import Receive, Scope, Send

from zeroparty.adapters.db.sessions import SqlSessions
from zeroparty.sandbox import migrate
from zeroparty.sandbox.auth import INVALID_KEY, Access, bearer_key, known_key
from zeroparty.sandbox.config import SandboxConfig
from zeroparty.sandbox.control import TEMPLATES, control_routes
from zeroparty.sandbox.endpoints import Answer, Handler, braze_endpoints
from zeroparty.sandbox.faults import Fault
from zeroparty.sandbox.identity import IdentityStore
from zeroparty.sandbox.rules.nested import depth_over
from zeroparty.sandbox.rules.ratelimit import fault_headers
from zeroparty.sandbox.state import LoggedRequest, SandboxState
from zeroparty.sandbox.store import SandboxStore
from zeroparty.sandbox.tables import sandbox_sessions

Clock = Callable[[], float]  # seconds since the epoch
Headers = dict[str, str]
PARSE_ERROR = "Error while parsing request body. Please check your syntax."
_DRAIN_LIMIT = 64 * 1024 * 1024  # past this an oversized body is not even read to its end
_LOG_BODY_BYTES = 512 * 1024  # bodies kept in the request log; larger ones are logged as null
_LOG_DEPTH = 64


class _Drop(Exception):
    """Close the connection without a complete answer (the request was applied)."""


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, JSON does not


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: JSON's grammar allows it, no double holds it
        raise ValueError(f"{text} is out of range")
    return value


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) > sys.float_info.max:  # compared exactly: no conversion, so no OverflowError
        raise ValueError("integer out of range")
    return value


# A `\u` escape of a UTF-16 surrogate or of NUL: only then can the parsed text hold a bad character.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")


def parse_json(raw: bytes) -> Any:
    """The JSON document in `raw`; ValueError when there is none (NaN, bad UTF-8, absurd nesting).

    Also refused, as "Bad syntax" (https://www.braze.com/docs/api/errors, 400): a string or key holding
    a lone UTF-16 surrogate (`"\\ud800"`: not Unicode text, so it can be neither stored nor answered) or a
    NUL character (PostgreSQL cannot store it), and a number no 64-bit double holds (a sandbox choice:
    every number it keeps can be compared, incremented and written back as JSON)."""
    try:
        # Decoded here, strictly: given bytes, json.loads would also take UTF-16 and UTF-32.
        text = raw.decode("utf-8")
        doc = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except (RecursionError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from exc
    if _SUSPECT_ESCAPE.search(text) and _holds_bad_text(doc):
        raise ValueError("a lone surrogate or a NUL character in a string")
    return doc


def _bad_text(text: str) -> bool:
    return "\x00" in text or _LONE_SURROGATE.search(text) is not None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads joins a valid pair into one character


def _holds_bad_text(doc: Any) -> bool:
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and _bad_text(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit` (the rest is drained so the client reads our 413)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > _DRAIN_LIMIT:
            break
    return b"".join(chunks) if size <= limit else None


def create_sandbox_app(engine: Engine, config: SandboxConfig, *, clock: Clock = time.time) -> Starlette:
    """The Braze sandbox as an ASGI app over `engine`, whose sandbox schema it brings up to date
    first (its own tables and migration history: the database may be its own or shared)."""
    migrate.upgrade(engine)
    store = SandboxStore(engine, config.array_cap)
    state = SandboxState(config)
    gateway = _Gateway(config, state, braze_endpoints(store, IdentityStore(engine), config, state.faults), clock)
    templates = Jinja2Templates(directory=TEMPLATES)
    routes: list[BaseRoute] = [Route(p, gateway.endpoint, methods=["POST"]) for p in gateway.braze]
    access = Access(config.api_keys, templates, SqlSessions(engine, sandbox_sessions), clock)
    routes += control_routes(store, state, access, templates)
    app = Starlette(routes=routes, exception_handlers={HTTPException: _json_error, Exception: _json_error})
    app.router.redirect_slashes = False  # Braze treats /users/track/ as a different, unknown path
    return app


async def _json_error(_request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {404: "Not Found", 405: "Method Not Allowed"}.get(status, "Internal Server Error")
    return JSONResponse({"message": message}, status_code=status)


class _Gateway:
    """Braze's paths: the transport rules in Braze's order, then the endpoint, then the request log."""

    def __init__(
        self, config: SandboxConfig, state: SandboxState, braze: dict[str, tuple[str, Handler]], clock: Clock
    ) -> None:
        self.config = config
        self.state = state
        self.braze = braze
        self.clock = clock

    async def endpoint(self, request: Request) -> Response:
        started = time.perf_counter()
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        raw = await _read_body(request, self.config.max_body_bytes)
        now = self.clock()
        try:
            answer, headers = await self._answer(request, path, raw, now)
            dropped = False
        except _Drop:
            answer, headers, dropped = Answer(0, {"message": "connection dropped (fault)"}), {}, True
        self.state.record(
            LoggedRequest(
                self.state.next_id(), datetime.fromtimestamp(now, UTC), request.method, path, answer.status,
                _loggable(raw), answer.body, (time.perf_counter() - started) * 1000, answer.data_points,
                answer.notes,
            ),
            answer.objects,
        )  # fmt: skip
        if dropped:
            return _DroppedAnswer()
        return JSONResponse(answer.body, status_code=answer.status, headers=headers)

    async def _answer(self, request: Request, path: str, raw: bytes | None, now: float) -> tuple[Answer, Headers]:
        permission, handler = self.braze[path]
        refused, headers = self._admit(request, path, permission, now)
        if refused is not None:
            return refused, headers
        fault = self.state.faults.next_for(path)
        if fault is not None and fault.spec.kind == "status":
            return self._injected_status(fault, headers, now)
        if fault is not None and fault.spec.kind == "delay":
            await asyncio.sleep(fault.spec.seconds or 0)
        body = _json_body(request, raw)
        if isinstance(body, Answer):
            return body, headers
        answer = await handler(body, datetime.fromtimestamp(now, UTC))
        if fault is not None and fault.spec.kind == "drop":
            raise _Drop
        return answer, headers

    def _admit(self, request: Request, path: str, permission: str, now: float) -> tuple[Answer | None, Headers]:
        """Instance, key, permission and rate limit: a refusal, or None and the rate-limit headers."""
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].lower()
        if self.config.instance_host and host != self.config.instance_host.lower():
            return Answer(401, {"message": INVALID_KEY}), {}  # a key used against another instance
        key = known_key(bearer_key(request), self.config.api_keys)
        if key is None:
            return Answer(401, {"message": INVALID_KEY}), {}
        limiter = self.state.limiters[path]
        if permission not in self.config.api_keys[key]:
            return Answer(403, {"message": "Access Denied"}), limiter.peek(key, now)
        decision = limiter.take(key, now)
        if not decision.allowed:
            return Answer(429, {"message": "API rate limit exceeded"}), decision.headers
        return None, decision.headers

    def _injected_status(self, fault: Fault, headers: Headers, now: float) -> tuple[Answer, Headers]:
        status = fault.spec.status or 500
        if status == 429:
            retry_after = fault.spec.retry_after if fault.spec.retry_after is not None else 1
            headers = fault_headers(self.config.rate_limit_mode, retry_after, now)
        elif status == 401:
            headers = {}  # Braze's 401 comes before any key is known: no rate-limit headers
        return Answer(status, fault.status_body()), headers


def _json_body(request: Request, raw: bytes | None) -> dict[str, Any] | Answer:
    """The body as a JSON object, or the 415/413/400 answer Braze gives."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        return Answer(415, {"message": "Content-Type must be application/json"})
    if raw is None:
        return Answer(413, {"message": "Request Entity Too Large"})
    try:
        body = parse_json(raw)
    except ValueError:
        return Answer(400, {"message": PARSE_ERROR})
    if not isinstance(body, dict):
        return Answer(400, {"message": PARSE_ERROR})
    return body


def _loggable(raw: bytes | None) -> Any:
    """The request body for the log: parsed JSON, or null when it is not JSON or too big to keep."""
    if raw is None or len(raw) > _LOG_BODY_BYTES:
        return None
    try:
        body = parse_json(raw)
    except ValueError:
        return None
    return None if depth_over(body, _LOG_DEPTH) else body


class _DroppedAnswer(Response):
    """Starts an answer and stops mid-body: the server closes the connection and the client sees
    no complete response, although the request was applied."""

    def __init__(self) -> None:
        super().__init__(status_code=201)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-length", b"1000")]})
        await send({"type": "http.response.body", "body": b'{"message"', "more_body": True})
        # Returning with the body unfinished makes the server abort the connection.
