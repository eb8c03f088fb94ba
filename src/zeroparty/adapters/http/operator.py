"""Operator surfaces that are not the JSON API proper: the login page (a token in, a signed session
cookie out), the API documentation (/docs, /openapi.json) and Prometheus metrics (/metrics). All but
the login page need an operator credential (docs/security.md)."""

from __future__ import annotations

import importlib.resources
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from zeroparty.adapters.http.access import SESSION_COOKIE, SESSION_MAX_AGE_S
from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.forms import parse_form
from zeroparty.adapters.http.token_roles import instance_owner
from zeroparty.errors import InvalidInput

# Swagger UI's own files, shipped in a wheel, so /docs needs no CDN.
_SWAGGER = importlib.resources.files("fastapi_offline") / "static"
_DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


FORM_REQUIRED = "A token is required: paste one made with `zeroparty tokens create NAME`."


def _sentence(problem: str) -> str:
    return problem[:1].upper() + problem[1:] + "."


def _local_path(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never `//host` or a full URL)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/docs"


def router(ctx: AppContext, registry: CollectorRegistry, app: FastAPI) -> APIRouter:
    ops = APIRouter(include_in_schema=False)
    operator_only = [Depends(ctx.auth.require)]

    def login_page(
        request: Request, next_path: str, error: str | None, status: int, retry_after_s: int = 0
    ) -> HTMLResponse:
        context = {"action": request.url_for("login").path, "next": next_path, "error": error}
        headers = {"Retry-After": str(retry_after_s)} if retry_after_s else None
        return ctx.templates.TemplateResponse(request, "login.html", context, status_code=status, headers=headers)

    @ops.get("/login", name="login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        return login_page(request, _local_path(request.query_params.get("next")), None, 200)

    @ops.post("/login", name="login_submit")
    async def login(request: Request) -> Response:
        try:
            fields = dict(parse_form(request.headers.get("content-type"), await request.body()))
        except InvalidInput:
            return login_page(request, "/docs", "The form could not be read.", 400)
        next_path = _local_path(fields.get("next"))
        presented = fields.get("token", "").strip()
        if not presented:
            return login_page(request, next_path, FORM_REQUIRED, 400)
        attempt = await ctx.auth.sign_in(presented, request.client.host if request.client else None)
        if attempt.retry_after_s:
            return login_page(request, next_path, _sentence(attempt.verdict.problem), 429, attempt.retry_after_s)
        if attempt.verdict.token is None:
            return login_page(request, next_path, _sentence(attempt.verdict.problem), 401)
        answer = RedirectResponse(next_path, status_code=303)
        answer.set_cookie(
            SESSION_COOKIE,
            await run_in_threadpool(ctx.auth.start_session, attempt.verdict.token),
            max_age=SESSION_MAX_AGE_S,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return answer

    @ops.post("/logout")
    async def logout(request: Request) -> Response:
        await run_in_threadpool(ctx.auth.end_session, request.cookies.get(SESSION_COOKIE))
        answer = RedirectResponse(request.url_for("login").path, status_code=303)
        answer.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return answer

    @ops.get("/docs", response_class=HTMLResponse)
    async def docs(request: Request) -> Response:
        if await ctx.auth.operator(request) is None:
            return RedirectResponse(f"{request.url_for('login').path}?next=/docs", status_code=303)
        return ctx.templates.TemplateResponse(request, "docs.html", {})

    @ops.get("/docs/assets/{name}", name="docs_asset", dependencies=operator_only)
    async def docs_asset(name: str) -> Response:
        if name not in _DOCS_ASSETS:
            return JSONResponse({"detail": "not found", "errors": []}, status_code=404)
        content = await run_in_threadpool((_SWAGGER / name).read_bytes)
        return Response(content, media_type=_DOCS_ASSETS[name], headers={"Cache-Control": "private, max-age=3600"})

    @ops.get("/openapi.json", name="openapi", dependencies=operator_only)
    async def openapi() -> dict[str, Any]:
        return app.openapi()

    # Instance-wide counts, not one workspace's: only an owner token (of any workspace) reads them.
    @ops.get("/metrics", dependencies=[instance_owner(ctx)])
    async def metrics() -> PlainTextResponse:
        text = await run_in_threadpool(generate_latest, registry)
        return PlainTextResponse(text.decode(), media_type=CONTENT_TYPE_LATEST)

    return ops
