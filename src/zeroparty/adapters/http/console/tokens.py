"""The workspace's API tokens in the console (owners only): each one's name, role, last characters
and use, creating one (its value shown on this page once, never again) and revoking one. Through
OperatorTokenService, which writes `token.create` and `token.revoke` to the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.gate import ConsoleGate, Member, needs
from zeroparty.adapters.http.console.services import ServicesFor
from zeroparty.adapters.http.console.shell import ConsoleRoute, posted_form, render
from zeroparty.domain.roles import ROLE_PROBLEM, Role, parse_role
from zeroparty.errors import FieldError, InvalidInput

LIST = "/admin/w/{ws}/tokens"
REVOKE = "/admin/w/{ws}/tokens/revoke"


def router(gate: ConsoleGate, services_for: ServicesFor) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    async def page(request: Request, member: Member, *, status: int = 200, **extra: Any) -> Response:
        tokens = await run_in_threadpool(services_for(member.workspace_id).tokens.tokens)
        revoked = request.query_params.get("revoked")
        context = {
            "section": "tokens",
            "tokens": sorted(tokens, key=lambda t: (t.revoked_at is not None, t.name)),
            "roles": [r.value for r in Role],
            "errors": {},
            "values": {"role": "viewer"},
            "notice": f"Token {revoked!r} is revoked: requests carrying it are refused." if revoked else None,
            **extra,
        }
        return render(request, "admin/tokens.html", context, member=member, gate=gate, status=status)

    @admin.get(LIST, name="console_tokens")
    @needs("GET", LIST, Role.OWNER)
    async def listing(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.OWNER)
        return await page(request, member)

    @admin.post(LIST)
    @needs("POST", LIST, Role.OWNER)
    async def create(request: Request, ws: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.OWNER)
        name, raw_role = fields.get("name", "").strip(), fields.get("role", "")
        svc = services_for(member.workspace_id).tokens
        try:
            role = parse_role(raw_role)
            if role is None:
                raise InvalidInput(FieldError("role", ROLE_PROBLEM))
            token = await run_in_threadpool(lambda: svc.create(name, role=role, actor=member.actor))
        except InvalidInput as exc:
            errors: dict[str, list[str]] = {}
            for e in exc.errors:
                errors.setdefault("role" if e.field == "role" else "name", []).append(e.message)
            return await page(request, member, status=422, errors=errors, values={"name": name, "role": raw_role})
        # Shown on this answer only: it is not in any URL, and only a digest of it is kept.
        return await page(request, member, created=token, created_name=name, created_role=role.value)

    @admin.post(REVOKE)
    @needs("POST", REVOKE, Role.OWNER)
    async def revoke(request: Request, ws: str) -> Response:
        member, fields = await posted_form(gate, request, ws, Role.OWNER)
        name = fields.get("name", "")
        svc = services_for(member.workspace_id).tokens
        try:
            await run_in_threadpool(lambda: svc.revoke(name, actor=member.actor))
        except InvalidInput as exc:
            return await page(request, member, status=422, problem=exc.errors[0].message)
        path = request.url_for("console_tokens", ws=ws).path
        return RedirectResponse(f"{path}?{_query(name)}", status_code=303)

    return admin


def _query(name: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"revoked": name})
