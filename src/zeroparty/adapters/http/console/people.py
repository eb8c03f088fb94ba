"""People in the console: finding a person by email and seeing what the workspace holds about them
(responses and answers, consents with the text shown, what each destination was sent), downloading
it as CSV, and erasing them here and in Braze (the plan shown first, the address typed again to
confirm). The audit log names a person by the erasure log's HMAC of the address, never the address."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.gate import ConsoleGate, Member, needs
from zeroparty.adapters.http.console.services import ServicesFor, WorkspaceServices
from zeroparty.adapters.http.console.shell import NO_STORE, ConsoleRoute, posted_form, render
from zeroparty.domain.csv_cells import csv_cell
from zeroparty.domain.emails import normalize_email
from zeroparty.domain.roles import Role
from zeroparty.errors import InvalidInput
from zeroparty.services.erasure import Lookup
from zeroparty.services.person_view import CSV_HEADER, export_rows

FIND = "/admin/w/{ws}/people"
EXPORT = "/admin/w/{ws}/people/export"
ERASE = "/admin/w/{ws}/people/erase"
MISMATCH = "this is not the address being erased: type it exactly as shown above"


def _address(raw: str) -> tuple[str | None, str | None]:
    """The normalised address, or why `raw` is not one."""
    try:
        return normalize_email(raw), None
    except ValueError as exc:
        return None, str(exc)


def _doomed(lookup: Lookup) -> str:
    """The profiles the plan deletes, as the confirm form carries them: a later look-up that finds
    others is shown again instead of acted on."""
    return ",".join(sorted(i for s in lookup.steps if s.plan is not None for i in s.plan.braze_ids))


class _Page:
    def __init__(self, gate: ConsoleGate) -> None:
        self.gate = gate

    def __call__(self, request: Request, member: Member, template: str, status: int = 200, **context: Any) -> Response:
        return render(request, template, {"section": "people", **context}, member=member, gate=self.gate, status=status)


def back_to_search(request: Request, ws: str, email: str = "") -> Response:
    """The search page (for `email`): where a link without a usable address lands."""
    path = request.url_for("console_people", ws=ws).path
    return RedirectResponse(f"{path}?email={quote(email)}" if email else path, status_code=303)


def router(gate: ConsoleGate, services_for: ServicesFor) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
    page = _Page(gate)

    @admin.get(FIND, name="console_people")
    @needs("GET", FIND, Role.VIEWER)
    async def find(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        raw = request.query_params.get("email", "").strip()
        context: dict[str, Any] = {"email": raw, "errors": {}, "person": None, "searched": bool(raw)}
        if not raw:
            return page(request, member, "admin/people.html", **context)
        address, problem = _address(raw)
        if address is None:
            context["errors"] = {"email": [problem]}
            return page(request, member, "admin/people.html", 422, **context)
        svc = services_for(member.workspace_id)
        context["person"] = await run_in_threadpool(svc.people.person, address)
        context["email"] = address
        return page(request, member, "admin/people.html", **context)

    @admin.get(EXPORT)
    @needs("GET", EXPORT, Role.VIEWER)
    async def export(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.VIEWER)
        address, _ = _address(request.query_params.get("email", ""))
        svc = services_for(member.workspace_id)
        person = None if address is None else await run_in_threadpool(svc.people.person, address)
        if address is None or person is None:
            return back_to_search(request, ws, request.query_params.get("email", ""))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        writer.writerows([csv_cell(v) for v in row] for row in export_rows(person))
        digest = svc.erasure.keys(address).hmac
        detail: dict[str, str | int | bool | None] = {
            "responses": len(person.responses),
            "consents": len(person.consents),
        }
        await run_in_threadpool(svc.audit.record, member.workspace_id, member.actor, "person.export", digest, detail)
        headers = {**NO_STORE, "Content-Disposition": 'attachment; filename="person.csv"'}
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)

    _erasing(admin, gate, services_for)
    return admin


def _erasing(admin: APIRouter, gate: ConsoleGate, services_for: ServicesFor) -> None:
    page = _Page(gate)

    async def plan(
        request: Request, member: Member, svc: WorkspaceServices, address: str, status: int = 200, **extra: Any
    ) -> Response:
        try:
            lookup = await run_in_threadpool(svc.erasure.look_up, address)
        except InvalidInput as exc:
            return page(request, member, "admin/person_erase.html", 409, email=address, busy=exc.errors[0].message)
        context = {"email": address, "lookup": lookup, "shown": _doomed(lookup), "errors": {}, **extra}
        return page(request, member, "admin/person_erase.html", status, **context)

    @admin.get(ERASE, name="console_person_erase")
    @needs("GET", ERASE, Role.OWNER)
    async def show(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.OWNER)
        address, _ = _address(request.query_params.get("email", ""))
        if address is None:
            return back_to_search(request, ws, request.query_params.get("email", ""))
        return await plan(request, member, services_for(member.workspace_id), address)

    @admin.post(ERASE)
    @needs("POST", ERASE, Role.OWNER)
    async def erase(request: Request, ws: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.OWNER)
        address, _ = _address(fields.get("email", ""))
        if address is None:
            return back_to_search(request, ws)
        svc = services_for(member.workspace_id)
        typed, _ = _address(fields.get("confirm", ""))
        if typed != address:
            return await plan(request, member, svc, address, 422, errors={"confirm": [MISMATCH]})
        try:
            lookup = await run_in_threadpool(svc.erasure.look_up, address)
        except InvalidInput as exc:
            return page(request, member, "admin/person_erase.html", 409, email=address, busy=exc.errors[0].message)
        if _doomed(lookup) != fields.get("shown", ""):
            changed = "What Braze holds changed since the plan was shown: check it again, then confirm."
            context = {"email": address, "lookup": lookup, "shown": _doomed(lookup), "errors": {}, "changed": changed}
            return page(request, member, "admin/person_erase.html", 409, **context)
        try:
            erasure = await run_in_threadpool(svc.erasure.erase, lookup)
        except InvalidInput as exc:
            return page(request, member, "admin/person_erase.html", 409, email=address, busy=exc.errors[0].message)
        detail: dict[str, str | int | bool | None] = {
            "erasure_id": erasure.local.erasure_id,
            "responses": erasure.local.responses,
            "not_done": ", ".join(erasure.failed),
        }
        await run_in_threadpool(
            svc.audit.record, member.workspace_id, member.actor, "person.erase", lookup.keys.hmac, detail
        )
        return page(request, member, "admin/person_erased.html", email=address, lookup=lookup, erasure=erasure)
