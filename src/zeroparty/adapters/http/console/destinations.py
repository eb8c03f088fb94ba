"""Destinations in the console: the list, connecting Braze (the key checked with Braze before it is
saved, the verdict shown beside the key), and each destination's page: its key (shown masked only,
replaced or rotated), settings, and a paused destination resumed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.gate import ConsoleGate, Member, needs
from zeroparty.adapters.http.console.services import ServicesFor, WorkspaceServices
from zeroparty.adapters.http.console.settings_form import FIELDS, assignments, shown_values
from zeroparty.adapters.http.console.shell import ConsoleRoute, posted_form, render
from zeroparty.domain.braze_instances import INSTANCES
from zeroparty.domain.destination_config import change_settings
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.roles import Role
from zeroparty.errors import FieldError, InvalidInput, NotFound

LIST = "/admin/w/{ws}/destinations"
NEW = "/admin/w/{ws}/destinations/new"
ONE = "/admin/w/{ws}/destinations/{name}"
KEY = "/admin/w/{ws}/destinations/{name}/key"
SETTINGS = "/admin/w/{ws}/destinations/{name}/settings"
RESUME = "/admin/w/{ws}/destinations/{name}/resume"
PAUSE = "/admin/w/{ws}/destinations/{name}/pause"
CUSTOM = "custom"
# What an owner's form on a destination's page does, with the workspace's services, who acts and the form.
Act = Callable[[WorkspaceServices, str, dict[str, str]], object]
LABELS = {"api_key": "New REST API key", "reason": "Why pause", **{f.key: f.label for f in FIELDS}}


def _by_field(exc: InvalidInput) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for e in exc.errors:
        found.setdefault(e.field.split(".")[0], []).append(e.message)
    return found


def _granted(check: Any) -> str:
    if check is None:
        return ""
    granted = list(check.report.granted)
    return ", ".join(granted) or "nothing"


def router(gate: ConsoleGate, services_for: ServicesFor) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
    _connecting(admin, gate, services_for)
    _one_destination(admin, gate, services_for)
    return admin


class _Page:
    def __init__(self, gate: ConsoleGate) -> None:
        self.gate = gate

    def __call__(self, request: Request, member: Member, template: str, status: int = 200, **context: Any) -> Response:
        return render(
            request, template, {"section": "destinations", **context}, member=member, gate=self.gate, status=status
        )


def _connecting(admin: APIRouter, gate: ConsoleGate, services_for: ServicesFor) -> None:
    page = _Page(gate)

    @admin.get(LIST, name="console_destinations")
    @needs("GET", LIST, Role.VIEWER)
    async def listing(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        views = await run_in_threadpool(services_for(member.workspace_id).destinations.views)
        return page(request, member, "admin/destinations.html", destinations=views)

    def new_form(
        request: Request, member: Member, values: dict[str, str], errors: dict[str, list[str]], status: int = 200
    ) -> Response:
        instances = [(name, url) for name, url in INSTANCES.items()]
        return page(
            request,
            member,
            "admin/destination_new.html",
            status,
            instances=instances,
            values=values,
            errors=errors,
            custom=CUSTOM,
        )

    @admin.get(NEW, name="console_destination_new")
    @needs("GET", NEW, Role.OWNER)
    async def new(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.OWNER)
        return new_form(request, member, {"instance": "US-01", "batch_limits": "combined"}, {})

    @admin.post(NEW)
    @needs("POST", NEW, Role.OWNER)
    async def add(request: Request, ws: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.OWNER)
        instance = fields.get("instance", "")
        endpoint = fields.get("endpoint", "") if instance == CUSTOM else instance
        shown = {k: fields.get(k, "") for k in ("name", "instance", "endpoint", "batch_limits")}
        svc = services_for(member.workspace_id)
        try:
            wanted = change_settings(DestinationSettings(), [f"batch_limits={fields.get('batch_limits', '')}"])
            done = await run_in_threadpool(
                partial(svc.setup.add_braze, actor=member.actor),
                fields.get("name", ""),
                endpoint,
                fields.get("api_key", ""),
                wanted.settings,
            )
        except InvalidInput as exc:
            errors = _by_field(exc)
            if instance != CUSTOM and "endpoint" in errors:  # the picker gave it: say so beside the picker
                errors["instance"] = errors.pop("endpoint")
            return new_form(request, member, shown, errors, 422)
        return page(request, member, "admin/destination_added.html", done=done, granted=_granted(done.check))


def _one_destination(admin: APIRouter, gate: ConsoleGate, services_for: ServicesFor) -> None:
    page = _Page(gate)

    async def one(request: Request, member: Member, name: str, status: int = 200, **extra: Any) -> Response:
        svc = services_for(member.workspace_id)
        view = await run_in_threadpool(svc.destinations.find, name)
        if view is None:
            raise NotFound(FieldError("name", f"no destination named {name!r}"))
        values = extra.pop("values", None) or shown_values(view.settings)
        return page(
            request,
            member,
            "admin/destination.html",
            status,
            dest=view,
            fields=FIELDS,
            values=values,
            labels=LABELS,
            errors=extra.pop("errors", {}),
            **extra,
        )

    @admin.get(ONE, name="console_destination")
    @needs("GET", ONE, Role.VIEWER)
    async def show(request: Request, ws: str, name: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        notice = {
            "key": "The new key is checked and saved.",
            "settings": "Settings saved.",
            "resumed": "Resumed: deliveries continue.",
            "paused": "Paused: nothing is sent until it is resumed.",
        }.get(request.query_params.get("done", ""))
        return await one(request, member, name, notice=notice)

    def back(request: Request, ws: str, name: str, done: str) -> Response:
        path = request.url_for("console_destination", ws=ws, name=name).path
        return RedirectResponse(f"{path}?done={done}", status_code=303)

    async def change(
        request: Request, ws: str, name: str, done: str, act: Act, *, keep_values: bool = False
    ) -> Response:
        """An owner's form on a destination's page: done, back to the page saying so; refused, the
        page again with each problem beside its field (and the form's values, with `keep_values`)."""
        member, fields = await posted_form(gate, request, ws, Role.OWNER)
        try:
            await run_in_threadpool(act, services_for(member.workspace_id), member.actor, fields)
        except InvalidInput as exc:
            values = {f.key: fields.get(f.key, "") for f in FIELDS} if keep_values else None
            return await one(request, member, name, 422, errors=_by_field(exc), values=values)
        return back(request, ws, name, done)

    @admin.post(KEY)
    @needs("POST", KEY, Role.OWNER)
    async def replace_key(request: Request, ws: str, name: str) -> Response:
        return await change(
            request,
            ws,
            name,
            "key",
            lambda svc, actor, f: svc.setup.replace_key(name, f.get("api_key", ""), actor=actor),
        )

    @admin.post(SETTINGS)
    @needs("POST", SETTINGS, Role.OWNER)
    async def save_settings(request: Request, ws: str, name: str) -> Response:
        return await change(
            request,
            ws,
            name,
            "settings",
            lambda svc, actor, f: svc.setup.assign(name, assignments(f), actor=actor),
            keep_values=True,
        )

    @admin.post(RESUME)
    @needs("POST", RESUME, Role.OWNER)
    async def resume(request: Request, ws: str, name: str) -> Response:
        return await change(
            request, ws, name, "resumed", lambda svc, actor, _f: svc.destinations.resume(name, actor=actor)
        )

    @admin.post(PAUSE)
    @needs("POST", PAUSE, Role.OWNER)
    async def pause(request: Request, ws: str, name: str) -> Response:
        return await change(
            request,
            ws,
            name,
            "paused",
            lambda svc, actor, f: svc.destinations.pause(name, f.get("reason", ""), actor=actor),
        )
