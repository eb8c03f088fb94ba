"""The sandbox's HTTP surface: Braze's user-data paths at the root, the control API under
/_sandbox/, and an HTML profile browser under /_sandbox/ui/.

Transport rules (https://www.braze.com/docs/api/basics, https://www.braze.com/docs/api/errors):
Bearer key (401), key permission (403), JSON content type (415), parsable JSON (400), 4 MB body
(413), rate-limit headers on every answer (https://www.braze.com/docs/api/api_limits).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from starlette.types import Receive, Scope, Send

from zeroparty.sandbox.config import SandboxConfig
from zeroparty.sandbox.faults import Fault, FaultsIn
from zeroparty.sandbox.identity import IdentityStore
from zeroparty.sandbox.rules.validation import count_objects
from zeroparty.sandbox.state import LoggedRequest, SandboxState
from zeroparty.sandbox.store import SandboxStore
from zeroparty.sandbox.user_endpoints import Answer, Handler, identity_endpoints

INVALID_KEY = "Invalid API Key"
PARSE_ERROR = "Error while parsing request body. Please check your syntax."
NO_VALID_DATA = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."
_BEARER = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)


class _Drop(Exception):
    """Close the connection without a complete answer (the request was applied)."""


def create_sandbox_app(engine: Engine, config: SandboxConfig) -> Starlette:
    store = SandboxStore(engine, config.array_cap)
    state = SandboxState(config)
    templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

    async def track(body: dict[str, Any]) -> Answer:
        counts = count_objects(body)
        over = (
            any(n > config.max_objects for n in counts.values())
            if config.legacy_per_array
            else sum(counts.values()) > config.max_objects
        )
        if over:
            return 400, {"message": "Max Input Length Exceeded"}, 0
        if not counts or not any(counts.values()):
            return 400, {"message": NO_VALID_DATA}, 0
        outcome = await run_in_threadpool(store.track, body, datetime.now(UTC))
        if not any(outcome.processed.values()):
            return 400, {"message": NO_VALID_DATA, "errors": outcome.errors}, 0
        for array, n in outcome.processed.items():
            state.objects[array] += n
        answer: dict[str, Any] = {"message": "success"}
        answer.update({f"{array}_processed": n for array, n in outcome.processed.items()})
        if outcome.errors:
            answer["errors"] = outcome.errors
        return 201, answer, outcome.data_points

    async def export_ids(body: dict[str, Any]) -> Answer:
        ids = body.get("external_ids")
        aliases = body.get("user_aliases")
        if (isinstance(ids, list) and len(ids) > 50) or (isinstance(aliases, list) and len(aliases) > 50):
            return 400, {"message": "A maximum of 50 external_ids or user_aliases may be requested"}, 0
        users, invalid = await run_in_threadpool(store.export, body)
        answer: dict[str, Any] = {"message": "success", "users": users}
        if invalid:
            answer["invalid_user_ids"] = invalid
        return 201, answer, 0

    braze: dict[str, tuple[str, Handler]] = {
        "/users/track": ("users.track", track),
        "/users/export/ids": ("users.export.ids", export_ids),
        **identity_endpoints(IdentityStore(engine)),
    }

    async def braze_endpoint(request: Request) -> Response:
        started = time.perf_counter()
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        permission, handler = braze[path]
        raw = await request.body()
        body: Any = None
        dropped = False
        try:
            status, answer, points, headers = await _answer(request, path, permission, handler, raw)
        except _Drop:
            status, answer, points, headers, dropped = 0, {"message": "connection dropped (fault)"}, 0, {}, True
        try:
            body = json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = raw[:2000].decode(errors="replace")
        state.record(
            LoggedRequest(
                state.next_id(), datetime.now(UTC), request.method, path, status, body, answer,
                (time.perf_counter() - started) * 1000, points,
            )
        )  # fmt: skip
        if dropped:
            return _DroppedAnswer()
        return JSONResponse(answer, status_code=status, headers=headers)

    async def _answer(
        request: Request, path: str, permission: str, handler: Handler, raw: bytes
    ) -> tuple[int, dict[str, Any], int, dict[str, str]]:
        if config.instance_host and request.headers.get("host", "").split(":")[0] != config.instance_host:
            return 401, {"message": INVALID_KEY}, 0, {}
        match = _BEARER.match(request.headers.get("authorization", ""))
        key = match.group(1) if match else None
        if key is None or key not in config.api_keys:
            return 401, {"message": INVALID_KEY}, 0, {}
        if permission not in config.api_keys[key]:
            return 403, {"message": "Access Denied"}, 0, {}
        decision = state.limiters[path].take(key, time.time())
        if not decision.allowed:
            return 429, {"message": "API rate limit exceeded"}, 0, decision.headers
        fault = state.faults.next_for(path)
        if fault is not None and fault.kind == "status":
            headers = _fault_headers(fault) if fault.status == 429 else decision.headers
            return fault.status or 500, {"message": f"Injected fault: HTTP {fault.status}"}, 0, headers
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.seconds or 0)
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            return 415, {"message": "Content-Type must be application/json"}, 0, decision.headers
        if len(raw) > config.max_body_bytes:
            return 413, {"message": "Request Entity Too Large"}, 0, decision.headers
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return 400, {"message": PARSE_ERROR}, 0, decision.headers
        if not isinstance(body, dict):
            return 400, {"message": PARSE_ERROR}, 0, decision.headers
        status, answer, points = await handler(body)
        if fault is not None and fault.kind == "drop":
            raise _Drop
        return status, answer, points, decision.headers

    def _fault_headers(fault: Fault) -> dict[str, str]:
        if fault.status != 429:
            return {}
        wait = fault.retry_after if fault.retry_after is not None else 1
        if config.rate_limit_mode == "mau":
            return {"X-Ratelimit-Retry-After": str(wait)}
        return {
            "X-RateLimit-Limit": "0",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(math.ceil(time.time() + wait)),
        }

    # -- control API ---------------------------------------------------------------------------

    async def post_faults(request: Request) -> Response:
        try:
            specs = FaultsIn.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = [
                {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()
            ]
            return JSONResponse({"message": "invalid faults", "errors": errors}, status_code=422)
        state.faults.add(specs)
        return JSONResponse({"faults": state.faults.active()})

    async def get_faults(_request: Request) -> Response:
        return JSONResponse({"faults": state.faults.active()})

    async def delete_faults(_request: Request) -> Response:
        state.faults.clear()
        return JSONResponse({"faults": []})

    async def reset(_request: Request) -> Response:
        await run_in_threadpool(store.reset)
        state.reset()
        return JSONResponse({"message": "reset"})

    async def requests_log(request: Request) -> Response:
        try:
            limit = int(request.query_params.get("limit", "100"))
        except ValueError:
            return JSONResponse({"message": "limit must be a whole number"}, status_code=422)
        only = request.query_params.get("path")
        entries = [e.view() for e in state.log if only is None or e.path == only]
        return JSONResponse({"requests": entries[-limit:] if limit > 0 else []})

    async def stats(_request: Request) -> Response:
        profiles = await run_in_threadpool(store.count_profiles)
        return JSONResponse(state.stats(profiles))

    # -- HTML profile browser ------------------------------------------------------------------

    async def ui_index(request: Request) -> Response:
        q = request.query_params.get("q", "").strip()[:200]
        users = await run_in_threadpool(store.search, q)
        return templates.TemplateResponse(
            request, "profiles.html", {"q": q, "users": users, "stats": state.stats(len(users))}
        )

    async def ui_profile(request: Request) -> Response:
        users, _ = await run_in_threadpool(store.export, {"braze_id": request.path_params["braze_id"]})
        if not users:
            return templates.TemplateResponse(request, "profile.html", {"user": None}, status_code=404)
        return templates.TemplateResponse(request, "profile.html", {"user": users[0]})

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = "Not Found" if status == 404 else "Method Not Allowed" if status == 405 else "Error"
        return JSONResponse({"message": message}, status_code=status)

    routes = [Route(p, braze_endpoint, methods=["POST"]) for p in braze]
    routes += [
        Route("/_sandbox/faults", post_faults, methods=["POST"]),
        Route("/_sandbox/faults", get_faults, methods=["GET"]),
        Route("/_sandbox/faults", delete_faults, methods=["DELETE"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/requests", requests_log, methods=["GET"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/ui/", ui_index, methods=["GET"], name="ui_index"),
        Route("/_sandbox/ui/profiles/{braze_id}", ui_profile, methods=["GET"], name="ui_profile"),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: not_found})
    app.router.redirect_slashes = False  # Braze treats /users/track/ as a different, unknown path
    return app


class _DroppedAnswer(Response):
    """Starts an answer, then fails mid-body: the server closes the connection and the client
    sees no complete response, although the request was applied."""

    def __init__(self) -> None:
        super().__init__(status_code=201)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-length", b"1000")]})
        await send({"type": "http.response.body", "body": b'{"message"', "more_body": True})
        raise RuntimeError("sandbox fault: connection dropped after the request was applied")
