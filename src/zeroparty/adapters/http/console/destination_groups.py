"""A destination's consent and subscription groups in the console: each consent key the workspace's
experiences ask for, the Braze subscription group (id and channel) it opts people into at this
destination, and the keys left unmapped (a consent given there reaches no group). Saved as the CLI's
`destinations set NAME subscription_groups.KEY=UUID` assignments, through the same checks."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.gate import ConsoleGate, Member, needs
from zeroparty.adapters.http.console.services import ServicesFor
from zeroparty.adapters.http.console.shell import ConsoleRoute, posted_form, render
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.roles import Role
from zeroparty.errors import FieldError, InvalidInput, NotFound

PAGE = "/admin/w/{ws}/destinations/{name}/groups"
GROUP, CHANNEL = "group.", "channel."  # a row's fields: group.<consent key>, channel.<consent key>


@dataclass(frozen=True)
class GroupRow:
    key: str
    used_by: list[str]  # the experiences asking for it (none: mapped, but no longer asked for)
    group_id: str
    channel: str


def rows(settings: DestinationSettings, used: dict[str, list[str]]) -> list[GroupRow]:
    """Every key asked for, then every key mapped but no longer asked for."""
    keys = list(used) + [k for k in settings.subscription_groups if k not in used]
    mapped = settings.subscription_groups
    return [
        GroupRow(k, used.get(k, []), mapped[k].id if k in mapped else "", mapped[k].channel if k in mapped else "email")
        for k in keys
    ]


def assignments(posted: dict[str, str]) -> list[str]:
    """The `subscription_groups.…` assignments a posted form makes: an emptied id unmaps the key."""
    made: list[str] = []
    for field, value in posted.items():
        if not field.startswith(GROUP):
            continue
        key, group_id = field.removeprefix(GROUP), value.strip()
        made.append(f"subscription_groups.{key}={group_id}")
        if group_id:
            made.append(f"subscription_groups.{key}.channel={posted.get(CHANNEL + key, 'email')}")
    return made


def _by_key(exc: InvalidInput) -> dict[str, list[str]]:
    """Each problem under the form field it is about (`subscription_groups.KEY.id` → `group.KEY`)."""
    found: dict[str, list[str]] = {}
    for e in exc.errors:
        parts = e.field.split(".")
        field = (CHANNEL if parts[-1] == "channel" else GROUP) + parts[1] if len(parts) > 1 else e.field
        found.setdefault(field, []).append(e.message)
    return found


def router(gate: ConsoleGate, services_for: ServicesFor) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    async def page(request: Request, member: Member, name: str, status: int = 200, **extra: Any) -> Response:
        svc = services_for(member.workspace_id).destinations
        view = await run_in_threadpool(svc.find, name)
        if view is None:
            raise NotFound(FieldError("name", f"no destination named {name!r}"))
        used = await run_in_threadpool(svc.consent_keys)
        context = {"section": "destinations", "dest": view, "rows": rows(view.settings, used), **extra}
        context.setdefault("errors", {})
        return render(request, "admin/destination_groups.html", context, status=status, member=member, gate=gate)

    @admin.get(PAGE, name="console_destination_groups")
    @needs("GET", PAGE, Role.VIEWER)
    async def show(request: Request, ws: str, name: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        saved = request.query_params.get("done") == "saved"
        return await page(request, member, name, notice="Subscription groups saved." if saved else None)

    @admin.post(PAGE)
    @needs("POST", PAGE, Role.OWNER)
    async def save(request: Request, ws: str, name: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.OWNER)
        svc = services_for(member.workspace_id)
        try:
            await run_in_threadpool(partial(svc.setup.assign, actor=member.actor), name, assignments(fields))
        except InvalidInput as exc:
            if isinstance(exc, NotFound):
                raise
            return await page(request, member, name, 422, errors=_by_key(exc), posted=fields)
        path = request.url_for("console_destination_groups", ws=ws, name=name).path
        return RedirectResponse(f"{path}?done=saved", status_code=303)

    return admin
