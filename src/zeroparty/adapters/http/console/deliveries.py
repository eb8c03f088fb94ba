"""Deliveries in the console: the workspace's counters (captured, waiting, in flight, delivered,
dead, paused), each destination's figures (latency, data points sent, saved and budgeted, paused and
why), the dead letters with Braze's reason, replayed one by one or all at once, and the latest
attempts with Braze's answers. The counters and figures refresh themselves while the page is open
(static/console-live.js); without scripts a reload does it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.gate import ConsoleGate, needs
from zeroparty.adapters.http.console.services import ServicesFor
from zeroparty.adapters.http.console.shell import ConsoleRoute, posted_form, render
from zeroparty.adapters.http.forms import parse_form
from zeroparty.domain.roles import Role
from zeroparty.errors import InvalidInput
from zeroparty.services.console_reads import WorkspaceOverview
from zeroparty.services.deliveries import DestinationStats

LIST = "/admin/w/{ws}/deliveries"
REPLAY = "/admin/w/{ws}/deliveries/replay"
HISTORY = "/admin/w/{ws}/deliveries/responses/{response_id}"
RECENT_SHOWN = 50
DEAD_SHOWN = 200  # the newest dead letters listed; a replay of all takes every one


def totals(stats: list[DestinationStats]) -> dict[str, int]:
    """The workspace's items in each state, over its destinations."""
    return {
        "pending": sum(s.pending for s in stats),
        "in_flight": sum(s.in_flight for s in stats),
        "delivered": sum(s.delivered for s in stats),
        "dead": sum(s.dead for s in stats),
        "paused": sum(1 for s in stats if s.paused_reason),
    }


def router(
    gate: ConsoleGate, services_for: ServicesFor, overview: WorkspaceOverview, clock: Callable[[], datetime]
) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    @admin.get(LIST, name="console_deliveries")
    @needs("GET", LIST, Role.VIEWER)
    async def show(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        svc = services_for(member.workspace_id).deliveries
        stats = await run_in_threadpool(svc.stats)
        dead = await run_in_threadpool(svc.dead)
        recent = await run_in_threadpool(svc.recent, RECENT_SHOWN)
        summary = await run_in_threadpool(overview.summary, member.workspace_id, clock())
        done = request.query_params.get("replayed")
        context = {
            "section": "deliveries",
            "summary": summary,
            "now": clock(),
            "totals": totals(stats),
            "stats": stats,
            "dead": dead[:DEAD_SHOWN],
            "dead_total": len(dead),
            "recent": recent,
            "replayed": int(done) if done and done.isdigit() else None,
        }
        return render(request, "admin/deliveries.html", context, member=member, gate=gate)

    @admin.get(HISTORY, name="console_delivery_history")
    @needs("GET", HISTORY, Role.VIEWER)
    async def history(request: Request, ws: str, response_id: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        attempts = await run_in_threadpool(services_for(member.workspace_id).deliveries.history, response_id)
        context = {"section": "deliveries", "response_id": response_id, "attempts": attempts}
        return render(request, "admin/delivery_history.html", context, member=member, gate=gate)

    @admin.post(REPLAY)
    @needs("POST", REPLAY, Role.EDITOR)
    async def replay(request: Request, ws: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.EDITOR)
        try:
            pairs = parse_form(request.headers.get("content-type"), await request.body())
        except InvalidInput:
            pairs = []
        ids = [value for key, value in pairs if key == "id"]
        every = fields.get("all") == "1"
        svc = services_for(member.workspace_id)
        replay = partial(svc.deliveries.replay, actor=member.actor)
        done = await run_in_threadpool(replay, None if every else ids)
        path = request.url_for("console_deliveries", ws=ws).path
        return RedirectResponse(f"{path}?replayed={done.replayed}", status_code=303)

    return admin
