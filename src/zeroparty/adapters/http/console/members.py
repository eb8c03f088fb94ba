"""Members of a workspace in the console (owners only): who they are and their role, adding one (a new
user gets a one-time reset link, shown once, to hand over: no mail server is assumed), changing a
role, removing a member (never the last owner) and a fresh reset link. The changes go through
AccountService, which writes them to the audit log."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.gate import ConsoleGate, Member, needs
from zeroparty.adapters.http.console.services import ServicesFor, WorkspaceServices
from zeroparty.adapters.http.console.shell import ConsoleRoute, posted_form, render
from zeroparty.domain.roles import Role
from zeroparty.errors import Conflict, FieldError, Forbidden, InvalidInput

LIST = "/admin/w/{ws}/members"
ROLE = "/admin/w/{ws}/members/role"
REMOVE = "/admin/w/{ws}/members/remove"
RESET = "/admin/w/{ws}/members/reset"
DONE = {"role": "The role is changed.", "removed": "The member is removed.", "added": "The member is added."}


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + "."


def _reset_url(request: Request, token: str) -> str:
    return str(request.url_for("console_reset").include_query_params(token=token))


def router(gate: ConsoleGate, services_for: ServicesFor) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    async def page(
        request: Request, member: Member, *, status: int = 200, errors: dict[str, list[str]] | None = None, **extra: Any
    ) -> Response:
        svc = services_for(member.workspace_id)
        members = await run_in_threadpool(svc.accounts.members, member.workspace_id)
        done = DONE.get(request.query_params.get("done", ""))
        context = {
            "section": "members",
            "members": members,
            "roles": [r.value for r in Role],
            "errors": errors or {},
            "values": {"role": "viewer"},
            "notice": done,
            **extra,
        }
        return render(request, "admin/members.html", context, member=member, gate=gate, status=status)

    def back(request: Request, ws: str, done: str) -> Response:
        return RedirectResponse(f"{request.url_for('console_members', ws=ws).path}?done={done}", status_code=303)

    async def posted(request: Request, ws: str) -> tuple[Member, WorkspaceServices, dict[str, str]]:
        member, fields = await posted_form(gate, request, ws, Role.OWNER)
        return member, services_for(member.workspace_id), fields

    @admin.get(LIST, name="console_members")
    @needs("GET", LIST, Role.OWNER)
    async def listing(request: Request, ws: str) -> Response:
        member = await gate.member(request, ws, Role.OWNER)
        return await page(request, member)

    @admin.post(LIST)
    @needs("POST", LIST, Role.OWNER)
    async def add(request: Request, ws: str) -> Response:
        member, svc, fields = await posted(request, ws)
        email, role = fields.get("email", "").strip(), fields.get("role", "")
        try:
            link = await run_in_threadpool(_add, svc, member, email, role)
        except InvalidInput as exc:
            errors = {e.field if e.field in ("email", "role") else "email": [e.message] for e in exc.errors}
            return await page(request, member, status=422, errors=errors, values={"email": email, "role": role})
        if link is None:
            return back(request, ws, "added")
        return await page(request, member, link=_reset_url(request, link), link_for=email, link_new=True)

    @admin.post(ROLE)
    @needs("POST", ROLE, Role.OWNER)
    async def change_role(request: Request, ws: str) -> Response:
        member, svc, fields = await posted(request, ws)
        try:
            email, role = fields.get("email", ""), fields.get("role", "")
            await run_in_threadpool(svc.accounts.set_role, email, member.workspace_id, role, member.actor)
        except InvalidInput as exc:
            return await page(request, member, status=422, problem=_sentence(exc.errors[0].message))
        return back(request, ws, "role")

    @admin.post(REMOVE)
    @needs("POST", REMOVE, Role.OWNER)
    async def remove(request: Request, ws: str) -> Response:
        member, svc, fields = await posted(request, ws)
        try:
            email = fields.get("email", "")
            await run_in_threadpool(svc.accounts.remove_member, email, member.workspace_id, member.actor)
        except InvalidInput as exc:
            return await page(request, member, status=422, problem=_sentence(exc.errors[0].message))
        return back(request, ws, "removed")

    @admin.post(RESET)
    @needs("POST", RESET, Role.OWNER)
    async def reset_link(request: Request, ws: str) -> Response:
        member, svc, fields = await posted(request, ws)
        email = fields.get("email", "")
        status, token, problem = await run_in_threadpool(_reset_link, svc, member, email)
        if token is None:
            return await page(request, member, status=status, problem=problem)
        return await page(request, member, link=_reset_url(request, token), link_for=email.strip().lower())

    return admin


def _reset_link(svc: WorkspaceServices, member: Member, email: str) -> tuple[int, str | None, str]:
    """A reset link for a member of this workspace (an owner here cannot reset a stranger's
    password), who belongs to no workspace the acting owner does not own: (status, token, problem)."""
    if not any(user.email == email.strip().lower() for user, _ in svc.accounts.members(member.workspace_id)):
        return 422, None, "That email is not a member of this workspace."
    try:
        return 200, svc.accounts.issue_reset_by(email, member.visitor.user.id, member.actor), ""
    except Forbidden as exc:
        return 403, None, _sentence(exc.errors[0].message)


def _add(svc: WorkspaceServices, member: Member, email: str, role: str) -> str | None:
    """Add `email` with `role`: an existing user becomes a member (None); a new one is created with a
    password nobody knows and a reset link is returned for them to choose their own."""
    if not email:
        raise InvalidInput(FieldError("email", "enter the new member's email"))
    try:
        svc.accounts.create_user(email, secrets.token_urlsafe(32), member.workspace_id, role, member.actor)
    except Conflict:  # a user already (of another workspace): they keep their password
        svc.accounts.add_member(email, member.workspace_id, role, member.actor)
        return None
    return svc.accounts.issue_reset(email, member.actor)
