"""A signed-in user's own account: change their password (the current one given, the new one twice).
Every session of theirs ends with it, this browser's too, which is given a fresh one at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.gate import ConsoleGate, Visitor, needs
from zeroparty.adapters.http.console.shell import NO_STORE, ConsoleRoute, form_fields, render, start_session_cookie
from zeroparty.domain.accounts import MIN_PASSWORD
from zeroparty.errors import InvalidInput

ACCOUNT = "/admin/account"
CHANGED = "Your password is changed; your other sessions are ended."
LABELS = {"current": "Current password", "password": "New password", "again": "New password again"}


def router(gate: ConsoleGate) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    def page(request: Request, visitor: Visitor, status: int = 200, **extra: Any) -> Response:
        context = {"errors": {}, "labels": LABELS, "notice": None, "min_password": MIN_PASSWORD, **extra}
        return render(request, "admin/account.html", context, visitor=visitor, gate=gate, status=status)

    @admin.get(ACCOUNT, name="console_account")
    @needs("GET", ACCOUNT, None)
    async def show(request: Request) -> Response:
        visitor = await gate.require(request)
        done = request.query_params.get("done") == "password"
        return page(request, visitor, notice=CHANGED if done else None)

    @admin.post(ACCOUNT)
    @needs("POST", ACCOUNT, None)
    async def change(request: Request) -> Response:
        visitor = await gate.require(request)
        fields = await form_fields(request)
        await gate.check_csrf(request, visitor, fields)
        new = fields.get("password", "")
        if new != fields.get("again", ""):
            return page(request, visitor, 422, errors={"again": ["the two new passwords differ"]})
        try:
            await run_in_threadpool(gate.accounts.change_password, visitor.user.id, fields.get("current", ""), new)
        except InvalidInput as exc:
            errors: dict[str, list[str]] = {}
            for e in exc.errors:
                errors.setdefault(e.field if e.field in LABELS else "current", []).append(e.message)
            return page(request, visitor, 422, errors=errors)
        session_id = await run_in_threadpool(gate.accounts.start_session, visitor.user)
        answer = RedirectResponse(f"{ACCOUNT}?done=password", status_code=303, headers=NO_STORE)
        start_session_cookie(request, answer, gate, session_id)
        return answer

    return admin
