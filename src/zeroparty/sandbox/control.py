"""The sandbox's own surface (not Braze's): the control API under /_sandbox/ (faults, reset, request
log, stats, profiles as JSON) and the HTML profile browser under /_sandbox/ui/. No Bearer key: it is
meant for tests and the demo, and it never shows an API key."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from zeroparty.sandbox.faults import FaultsIn
from zeroparty.sandbox.state import SandboxState
from zeroparty.sandbox.store import SandboxStore

_SEARCH_MAX = 200


def _limit(request: Request, default: int) -> int | None:
    try:
        return max(0, int(request.query_params.get("limit", str(default))))
    except ValueError:
        return None


def control_routes(store: SandboxStore, state: SandboxState) -> list[BaseRoute]:
    templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

    async def post_faults(request: Request) -> Response:
        try:
            specs = FaultsIn.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = [
                {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()
            ]
            names = ", ".join(sorted({e["field"] for e in errors}))
            return JSONResponse({"message": f"invalid faults: {names}", "errors": errors}, status_code=422)
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
        limit = _limit(request, 100)
        if limit is None:
            return JSONResponse({"message": "limit must be a whole number"}, status_code=422)
        only = request.query_params.get("path")
        entries = [e.view() for e in state.log if only is None or e.path == only]
        return JSONResponse({"requests": entries[-limit:] if limit else []})

    async def stats(_request: Request) -> Response:
        return JSONResponse(state.stats(await run_in_threadpool(store.count_profiles)))

    async def profiles(request: Request) -> Response:
        text = request.query_params.get("q", "").strip()[:_SEARCH_MAX]
        return JSONResponse({"profiles": await run_in_threadpool(store.search, text)})

    async def profile(request: Request) -> Response:
        found = await run_in_threadpool(store.profile, request.path_params["braze_id"])
        if found is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return JSONResponse(found)

    # -- HTML ----------------------------------------------------------------------------------

    async def ui_index(request: Request) -> Response:
        text = request.query_params.get("q", "").strip()[:_SEARCH_MAX]
        users = await run_in_threadpool(store.search, text)
        total = await run_in_threadpool(store.count_profiles)
        context = {"q": text, "users": users, "stats": state.stats(total)}
        return templates.TemplateResponse(request, "profiles.html", context)

    async def ui_profile(request: Request) -> Response:
        user = await run_in_threadpool(store.profile, request.path_params["braze_id"])
        return templates.TemplateResponse(request, "profile.html", {"user": user}, status_code=200 if user else 404)

    async def ui_requests(request: Request) -> Response:
        entries = [e.view() for e in state.log][-100:]
        entries.reverse()  # newest first on the page
        return templates.TemplateResponse(request, "requests.html", {"entries": entries})

    return [
        Route("/_sandbox/faults", post_faults, methods=["POST"]),
        Route("/_sandbox/faults", get_faults, methods=["GET"]),
        Route("/_sandbox/faults", delete_faults, methods=["DELETE"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/requests", requests_log, methods=["GET"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/profiles", profiles, methods=["GET"]),
        Route("/_sandbox/profiles/{braze_id}", profile, methods=["GET"]),
        Route("/_sandbox/ui/", ui_index, methods=["GET"], name="ui_index"),
        Route("/_sandbox/ui/profiles/{braze_id}", ui_profile, methods=["GET"], name="ui_profile"),
        Route("/_sandbox/ui/requests", ui_requests, methods=["GET"], name="ui_requests"),
    ]
