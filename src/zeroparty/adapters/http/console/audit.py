"""The workspace's audit log in the console (owners only): newest first, a page at a time, and the
whole log downloaded as CSV or JSON lines."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import Response, StreamingResponse

from zeroparty.adapters.http.console.gate import ConsoleGate, needs
from zeroparty.adapters.http.console.services import ServicesFor
from zeroparty.adapters.http.console.shell import NO_STORE, ConsoleRoute, render
from zeroparty.domain.roles import Role

LIST = "/admin/w/{ws}/audit"
EXPORT = "/admin/w/{ws}/audit/export"
PAGE = 50
FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"), "jsonl": ("application/x-ndjson", "jsonl")}


def router(gate: ConsoleGate, services_for: ServicesFor) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    @admin.get(LIST, name="console_audit")
    @needs("GET", LIST, Role.OWNER)
    async def listing(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.OWNER)
        raw = request.query_params.get("before", "")
        before = int(raw) if raw.isdigit() else None
        audit = services_for(member.workspace_id).audit
        # One more than shown: whether there is an older page.
        entries = await run_in_threadpool(audit.list, member.workspace_id, PAGE + 1, before)
        context = {
            "section": "audit",
            "entries": entries[:PAGE],
            "older": entries[PAGE - 1].id if len(entries) > PAGE else None,
            "paged": before is not None,
        }
        return render(request, "admin/audit.html", context, member=member, gate=gate)

    @admin.get(EXPORT, name="console_audit_export")
    @needs("GET", EXPORT, Role.OWNER)
    async def export(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.OWNER)
        media, ext = FORMATS.get(request.query_params.get("format", "csv"), FORMATS["csv"])
        audit = services_for(member.workspace_id).audit
        lines = audit.csv_rows(member.workspace_id) if ext == "csv" else audit.json_lines(member.workspace_id)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="audit-{ws}-{stamp}.{ext}"'}
        return StreamingResponse(iterate_in_threadpool(lines), media_type=media, headers=headers)

    return admin
