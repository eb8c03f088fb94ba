"""The sandbox's own surface (not Braze's): the control API under /_sandbox/ (faults, reset, request
log, stats, profiles as JSON) and the HTML profile browser under /_sandbox/ui/. Every route needs
one of the sandbox's keys (auth.py): the JSON API as a Bearer key, the browser through its login
form. No page ever shows an API key."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from zeroparty.sandbox.auth import UI_PATH, Access, Endpoint
from zeroparty.sandbox.faults import FaultsIn
from zeroparty.sandbox.state import SandboxState
from zeroparty.sandbox.store import SandboxStore

_SEARCH_MAX = 200
TEMPLATES = Path(__file__).parent / "templates"


_LIMIT_MAX = 1_000_000
_LIMIT_PROBLEM = f"limit must be a whole number from 0 to {_LIMIT_MAX}"


def _limit(request: Request, default: int) -> int | None:
    """The `limit` query parameter: ASCII digits only (int() would take "٣" and " 5"), bounded."""
    raw = request.query_params.get("limit", str(default))
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(_LIMIT_MAX))):
        return None
    value = int(raw)
    return value if value <= _LIMIT_MAX else None


def _search_text(request: Request) -> str:
    return request.query_params.get("q", "").strip()[:_SEARCH_MAX]


class _Control:
    """The handlers; access checks are added where the routes are built, for all of them at once."""

    def __init__(self, store: SandboxStore, state: SandboxState, templates: Jinja2Templates) -> None:
        self.store = store
        self.state = state
        self.templates = templates

    async def post_faults(self, request: Request) -> Response:
        try:
            specs = FaultsIn.model_validate_json(await request.body())
        except ValidationError as exc:
            errors = [
                {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()
            ]
            names = ", ".join(sorted({e["field"] for e in errors}))
            return JSONResponse({"message": f"invalid faults: {names}", "errors": errors}, status_code=422)
        self.state.faults.add(specs)
        return JSONResponse({"faults": self.state.faults.active()})

    async def get_faults(self, _request: Request) -> Response:
        return JSONResponse({"faults": self.state.faults.active()})

    async def delete_faults(self, _request: Request) -> Response:
        self.state.faults.clear()
        return JSONResponse({"faults": []})

    async def reset(self, _request: Request) -> Response:
        await run_in_threadpool(self.store.reset)
        self.state.reset()
        return JSONResponse({"message": "reset"})

    async def requests_log(self, request: Request) -> Response:
        limit = _limit(request, 100)
        if limit is None:
            errors = [{"field": "limit", "message": _LIMIT_PROBLEM}]
            return JSONResponse({"message": _LIMIT_PROBLEM, "errors": errors}, status_code=422)
        only = request.query_params.get("path")
        entries = [e.view() for e in self.state.log if only is None or e.path == only]
        return JSONResponse({"requests": entries[-limit:] if limit else []})

    async def stats(self, _request: Request) -> Response:
        return JSONResponse(self.state.stats(await run_in_threadpool(self.store.count_profiles)))

    async def profiles(self, request: Request) -> Response:
        return JSONResponse({"profiles": await run_in_threadpool(self.store.search, _search_text(request))})

    async def profile(self, request: Request) -> Response:
        found = await run_in_threadpool(self.store.profile, request.path_params["braze_id"])
        if found is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        return JSONResponse(found)

    # -- HTML ----------------------------------------------------------------------------------

    async def ui_index(self, request: Request) -> Response:
        text = _search_text(request)
        users = await run_in_threadpool(self.store.search, text)
        total = await run_in_threadpool(self.store.count_profiles)
        context = {"q": text, "users": users, "stats": self.state.stats(total)}
        return self.templates.TemplateResponse(request, "profiles.html", context)

    async def ui_profile(self, request: Request) -> Response:
        user = await run_in_threadpool(self.store.profile, request.path_params["braze_id"])
        return self.templates.TemplateResponse(
            request, "profile.html", {"user": user}, status_code=200 if user else 404
        )

    async def ui_requests(self, request: Request) -> Response:
        entries = [e.view() for e in self.state.log][-100:]
        entries.reverse()  # newest first on the page
        return self.templates.TemplateResponse(request, "requests.html", {"entries": entries})


def control_routes(
    store: SandboxStore, state: SandboxState, access: Access, templates: Jinja2Templates
) -> list[BaseRoute]:
    """Every route of the sandbox's own surface, each behind its guard: the JSON API behind the
    Bearer key, the browser's pages behind its session; only the login and logout are open."""
    c = _Control(store, state, templates)
    api: list[tuple[str, str, Endpoint]] = [
        ("/_sandbox/faults", "POST", c.post_faults),
        ("/_sandbox/faults", "GET", c.get_faults),
        ("/_sandbox/faults", "DELETE", c.delete_faults),
        ("/_sandbox/reset", "POST", c.reset),
        ("/_sandbox/requests", "GET", c.requests_log),
        ("/_sandbox/stats", "GET", c.stats),
        ("/_sandbox/profiles", "GET", c.profiles),
        ("/_sandbox/profiles/{braze_id}", "GET", c.profile),
    ]
    pages: list[tuple[str, str, Endpoint]] = [
        (UI_PATH + "/", "ui_index", c.ui_index),
        (UI_PATH + "/profiles/{braze_id}", "ui_profile", c.ui_profile),
        (UI_PATH + "/requests", "ui_requests", c.ui_requests),
    ]
    return [
        *(Route(path, access.api(handler), methods=[method]) for path, method, handler in api),
        *(Route(path, access.page(handler), methods=["GET"], name=name) for path, name, handler in pages),
        *access.routes(),
    ]
