"""A destination's attribute mapping in the console: each attribute the workspace's published
experiences set, the name Braze gets it under and whether it is sent, saved in one form; beside it
the `/users/track` body a sample response would send and its data points (re-drawn as you type by
static/console-mapping.js when scripts run; the form works without it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.gate import ConsoleGate, Member, needs
from zeroparty.adapters.http.console.services import ServicesFor
from zeroparty.adapters.http.console.shell import ConsoleRoute, posted_form, render
from zeroparty.domain.roles import Role
from zeroparty.errors import InvalidInput
from zeroparty.services.attribute_mapping import DestinationMapping

PAGE = "/admin/w/{ws}/destinations/{name}/mapping"
PREVIEW = "/admin/w/{ws}/destinations/{name}/mapping/preview"
NAME = "braze."  # a row's Braze name field: braze.<attribute ID>
EXCLUDE = "exclude."  # a row's checkbox: exclude.<attribute ID>


def posted(fields: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
    """The form's Braze names (by attribute ID) and the attribute IDs it excludes."""
    names = {k.removeprefix(NAME): v for k, v in fields.items() if k.startswith(NAME)}
    excluded = {k.removeprefix(EXCLUDE) for k, v in fields.items() if k.startswith(EXCLUDE) and v == "true"}
    return names, excluded


def _errors(exc: InvalidInput) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for e in exc.errors:
        found.setdefault(e.field, []).append(e.message)
    return found


def router(gate: ConsoleGate, services_for: ServicesFor) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    def page(
        request: Request,
        member: Member,
        found: DestinationMapping,
        *,
        status: int = 200,
        values: dict[str, str] | None = None,
        excluded: set[str] | None = None,
        errors: dict[str, list[str]] | None = None,
        notice: str | None = None,
    ) -> Response:
        shown = values if values is not None else {a.id: a.braze_name for a in found.attributes}
        ticked = excluded if excluded is not None else {a.id for a in found.attributes if a.excluded}
        context: dict[str, Any] = {
            "section": "destinations",
            "mapping": found,
            "preview": found.preview,
            "values": shown,
            "excluded": ticked,
            "errors": errors or {},
            "notice": notice,
            "name_prefix": NAME,
            "exclude_prefix": EXCLUDE,
        }
        return render(request, "admin/mapping.html", context, status=status, member=member, gate=gate)

    @admin.get(PAGE, name="console_mapping")
    @needs("GET", PAGE, Role.VIEWER)
    async def show(request: Request, ws: str, name: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        found = await run_in_threadpool(services_for(member.workspace_id).mapping.mapping, name)
        notice = "Mapping saved." if request.query_params.get("done") == "saved" else None
        return page(request, member, found, notice=notice)

    @admin.get(PREVIEW, name="console_mapping_preview")
    @needs("GET", PREVIEW, Role.VIEWER)
    async def preview(request: Request, ws: str, name: str) -> Response:
        """The preview fragment for the form's values (the query), or for the stored mapping."""
        member = await gate.member(request, ws, Role.VIEWER)
        svc = services_for(member.workspace_id).mapping
        names, excluded = posted(dict(request.query_params))
        errors: dict[str, list[str]] = {}
        settings = None
        if names:
            try:
                settings = await run_in_threadpool(svc.proposed, name, names, excluded)
            except InvalidInput as exc:
                errors = _errors(exc)
        found = await run_in_threadpool(svc.mapping, name, settings)
        context = {"preview": found.preview, "errors": errors}
        return render(
            request, "admin/mapping_preview.html", context, status=422 if errors else 200, member=member, gate=gate
        )

    @admin.post(PAGE)
    @needs("POST", PAGE, Role.OWNER)
    async def save(request: Request, ws: str, name: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.OWNER)
        svc = services_for(member.workspace_id)
        before = await run_in_threadpool(svc.mapping.mapping, name)
        names, excluded = posted(fields)
        try:
            await run_in_threadpool(svc.mapping.save, name, names, excluded)
        except InvalidInput as exc:
            return page(request, member, before, status=422, values=names, excluded=excluded, errors=_errors(exc))
        after = await run_in_threadpool(svc.mapping.mapping, name)
        was = {a.id: (a.braze_name, a.excluded) for a in before.attributes}
        changed: dict[str, str | int | bool | None] = {
            a.id: ("excluded" if a.excluded else a.braze_name)
            for a in after.attributes
            if was.get(a.id) != (a.braze_name, a.excluded)
        }
        await run_in_threadpool(
            svc.audit.record, member.workspace_id, member.actor, "destination.mapping", name, changed
        )
        path = request.url_for("console_mapping", ws=ws, name=name).path
        return RedirectResponse(f"{path}?done=saved", status_code=303)

    return admin
