"""The console's way in and out: sign in with email and password, sign out, set a new password with
a one-time link (`zeroparty users reset-link EMAIL`), pick a workspace."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.console.gate import (
    LOGIN_CSRF_COOKIE,
    ConsoleGate,
    cookie_name,
    needs,
    new_login_csrf,
)
from zeroparty.adapters.http.console.shell import (
    LOGIN_PATH,
    NO_STORE,
    ConsoleRoute,
    form_fields,
    local_next,
    render,
    start_session_cookie,
)
from zeroparty.errors import InvalidInput

RESET_PATH = "/admin/reset"
SIGNED_OUT = "You are signed out."
PASSWORD_SET = "Your password is set: sign in with it."


def _with_login_csrf(request: Request, answer: Response, token: str) -> Response:
    answer.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/admin",
    )
    return answer


def _login_form(
    request: Request,
    *,
    error: str | None = None,
    notice: str | None = None,
    status: int = 200,
    email: str = "",
    next_path: str = "/admin",
    retry_after_s: int = 0,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    context = {"error": error, "notice": notice, "email": email, "next": next_path, "csrf": token}
    answer = render(request, "admin/login.html", context, status=status)
    if retry_after_s:
        answer.headers["Retry-After"] = str(retry_after_s)
    return _with_login_csrf(request, answer, token)


def router(gate: ConsoleGate) -> APIRouter:
    admin = APIRouter(include_in_schema=False, route_class=ConsoleRoute)

    @admin.get(LOGIN_PATH, name="console_login")
    async def login_page(request: Request) -> Response:
        if await gate.visitor(request) is not None:
            return RedirectResponse(local_next(request.query_params.get("next")), status_code=303)
        notice = {"out": SIGNED_OUT, "reset": PASSWORD_SET}.get(request.query_params.get("done", ""))
        return _login_form(request, notice=notice, next_path=local_next(request.query_params.get("next")))

    @admin.post(LOGIN_PATH)
    async def login(request: Request) -> Response:
        fields = await form_fields(request)
        await gate.check_csrf(request, None, fields)
        email, password = fields.get("email", "").strip(), fields.get("password", "")
        next_path = local_next(fields.get("next"))
        if not email or not password:
            return _login_form(
                request, error="Enter your email and password.", status=400, email=email, next_path=next_path
            )
        client = request.client.host if request.client else None
        result = await gate.accounts.sign_in(email, password, client)
        if result.user is None:
            status = 429 if result.retry_after_s else 401
            return _login_form(
                request,
                error=result.problem,
                status=status,
                email=email,
                next_path=next_path,
                retry_after_s=result.retry_after_s,
            )
        session_id = await run_in_threadpool(gate.accounts.start_session, result.user)
        answer = RedirectResponse(next_path, status_code=303, headers=NO_STORE)
        start_session_cookie(request, answer, gate, session_id)
        answer.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin")
        return answer

    @admin.post("/admin/logout")
    async def logout(request: Request) -> Response:
        visitor = await gate.visitor(request)
        if visitor is not None:
            await gate.check_csrf(request, visitor, await form_fields(request))
            await run_in_threadpool(gate.accounts.end_session, visitor.session_id)
        answer = RedirectResponse(f"{LOGIN_PATH}?done=out", status_code=303, headers=NO_STORE)
        answer.delete_cookie(cookie_name(request), path="/", secure=request.url.scheme == "https", httponly=True)
        return answer

    @admin.get(RESET_PATH, name="console_reset")
    async def reset_page(request: Request) -> Response:
        token = request.query_params.get("token", "")
        csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
        answer = render(request, "admin/reset.html", {"token": token, "csrf": csrf, "error": None})
        answer.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's URL
        return _with_login_csrf(request, answer, csrf)

    @admin.post(RESET_PATH)
    async def reset(request: Request) -> Response:
        fields = await form_fields(request)
        await gate.check_csrf(request, None, fields)
        token, password = fields.get("token", ""), fields.get("password", "")
        error = None
        if password != fields.get("again", ""):
            error = "The two passwords differ."
        else:
            try:
                await run_in_threadpool(gate.accounts.reset_password, token, password)
            except InvalidInput as exc:
                error = exc.errors[0].message[:1].upper() + exc.errors[0].message[1:] + "."
        if error is None:
            return RedirectResponse(f"{LOGIN_PATH}?done=reset", status_code=303, headers=NO_STORE)
        context = {"token": token, "csrf": fields.get("csrf_token", ""), "error": error}
        answer = render(request, "admin/reset.html", context, status=422)
        answer.headers["Referrer-Policy"] = "no-referrer"
        return answer

    @admin.get("/admin", name="console_home")
    @needs("GET", "/admin", None)
    async def home(request: Request) -> Response:
        visitor = await gate.require(request)
        if len(visitor.memberships) == 1:
            slug = visitor.memberships[0].workspace.slug
            return RedirectResponse(request.url_for("console_overview", ws=slug).path, status_code=303)
        return render(request, "admin/picker.html", {}, visitor=visitor, gate=gate)

    return admin
