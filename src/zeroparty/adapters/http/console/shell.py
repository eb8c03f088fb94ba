"""What every console page shares: its route class (which turns the console's refusals into pages),
rendering with the shell's context, and reading a form."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, RedirectResponse, Response

from zeroparty.adapters.http.console.gate import (
    CSRF_FIELD,
    MAX_AGE_S,
    ConsoleGate,
    CsrfRefused,
    Member,
    SignInRequired,
    Visitor,
    cookie_name,
)
from zeroparty.adapters.http.forms import parse_form
from zeroparty.domain.roles import Role
from zeroparty.errors import Forbidden, InvalidInput, NotFound

LOGIN_PATH = "/admin/login"
# Console pages are private and change often: never cached, never shown from history after logout.
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}

_templates: Jinja2Templates | None = None


def install_templates(templates: Jinja2Templates) -> None:
    global _templates
    _templates = templates


def local_next(value: str | None) -> str:
    """Where to go after signing in: a console path on this site only."""
    if value and value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin"


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    member: Member | None = None,
    visitor: Visitor | None = None,
    gate: ConsoleGate | None = None,
) -> HTMLResponse:
    assert _templates is not None
    who = member.visitor if member is not None else visitor
    shell: dict[str, Any] = {"member": member, "visitor": who, "csrf_field": CSRF_FIELD}
    if who is not None and gate is not None:
        shell["csrf"] = gate.csrf_token(who.session_id)
    return _templates.TemplateResponse(
        request, template, {**shell, **context}, status_code=status, headers=dict(NO_STORE)
    )


def _problem(request: Request, status: int, heading: str, message: str) -> Response:
    return render(request, "admin/problem.html", {"heading": heading, "message": message}, status=status)


def _refusal(request: Request, exc: Exception) -> Response | None:
    if isinstance(exc, SignInRequired):
        # Back to the page after signing in; a form's target cannot be opened as a page.
        back = request.url.path if request.method in ("GET", "HEAD") else "/admin"
        return RedirectResponse(f"{LOGIN_PATH}?next={quote(back)}", status_code=303, headers=NO_STORE)
    if isinstance(exc, CsrfRefused):
        return _problem(request, 403, "This form has expired", "Go back, reload the page and try again.")
    if isinstance(exc, Forbidden):
        return _problem(
            request, 403, "Not allowed", exc.errors[0].message[:1].upper() + exc.errors[0].message[1:] + "."
        )
    if isinstance(exc, NotFound):
        return _problem(request, 404, "Not found", "There is nothing here, or it is not yours to see.")
    return None


class ConsoleRoute(APIRoute):
    """A console route: a visitor without a session goes to the login page; a refused form, a role too
    low or another workspace's page get a console page that says so."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (SignInRequired, CsrfRefused, Forbidden, NotFound) as exc:
                answer = _refusal(request, exc)
                assert answer is not None
                return answer

        return guarded


async def posted_form(gate: ConsoleGate, request: Request, ws: str, needed: Role) -> tuple[Member, dict[str, str]]:
    """A form posted to a workspace's page: the member acting (with at least `needed`) and the form's
    fields, its CSRF token checked."""
    member = await gate.member(request, ws, needed)
    fields = await form_fields(request)
    await gate.check_csrf(request, member.visitor, fields)
    return member, fields


def start_session_cookie(request: Request, answer: Response, gate: ConsoleGate, session_id: str) -> Response:
    """Give the browser the signed cookie naming a new session."""
    answer.set_cookie(
        cookie_name(request),
        gate.cookie_value(session_id),
        max_age=MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return answer


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's fields (the last value of a repeated one); an unreadable form has none."""
    try:
        return dict(parse_form(request.headers.get("content-type"), await request.body()))
    except InvalidInput:
        return {}
