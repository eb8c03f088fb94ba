"""A workspace at a glance: its experiences, responses, destinations and deliveries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from zeroparty.adapters.http.console.gate import ConsoleGate, needs
from zeroparty.adapters.http.console.shell import ConsoleRoute, render
from zeroparty.domain.roles import Role
from zeroparty.services.console_reads import WorkspaceOverview

OVERVIEW = "/admin/w/{ws}"


def router(gate: ConsoleGate, overview: WorkspaceOverview, clock: Callable[[], datetime]) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    @admin.get(OVERVIEW, name="console_overview")
    @needs("GET", OVERVIEW, Role.VIEWER)
    async def show(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        summary = await run_in_threadpool(overview.summary, member.workspace_id, clock())
        return render(request, "admin/overview.html", {"summary": summary}, member=member, gate=gate)

    return admin
