"""Hosted experience pages: one screen per request, plain HTML forms, no JavaScript needed.

Every submit is validated and stored (partial capture) before redirecting (303) to the next
screen; the last one shows the outcome.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from zeroparty.adapters.http.context import AppContext
from zeroparty.domain.definition import Consent, Experience, MultiChoice, Screen
from zeroparty.errors import InvalidInput, NotFound

MAX_FORM_FIELDS = 200


def _form_values(screen: Screen, form: FormData) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for el in screen.elements:
        if isinstance(el, MultiChoice):
            raw[el.id] = [v for v in form.getlist(el.id) if isinstance(v, str)]
        elif isinstance(el, Consent):
            raw[el.id] = el.id in form
        elif el.id in form and isinstance(form[el.id], str):
            raw[el.id] = form[el.id]
    return raw


def router(ctx: AppContext) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    tpl = ctx.templates

    def render_screen(
        request: Request,
        exp: Experience,
        screen: Screen,
        values: dict[str, Any],
        errors: dict[str, str],
        response_id: str | None,
        status: int = 200,
    ) -> HTMLResponse:
        index = [s.id for s in exp.screens].index(screen.id)
        here = {el.id for el in screen.elements}
        elements = exp.elements()
        # Required answers missing on other screens (the respondent skipped ahead): link back.
        earlier = [elements[f][0] for f in errors if f not in here and f in elements]
        back = (
            request.url_for("show_screen", slug=exp.slug, response_id=response_id, screen_id=earlier[0].id)
            if earlier and response_id is not None
            else None
        )
        action = (
            request.url_for("submit_first", slug=exp.slug)
            if response_id is None
            else request.url_for("submit_screen", slug=exp.slug, response_id=response_id, screen_id=screen.id)
        )
        return tpl.TemplateResponse(
            request,
            "screen.html",
            {
                "exp": exp,
                "screen": screen,
                "values": values,
                "errors": errors,
                "action": action,
                "back": back,
                "step": index + 1,
                "steps": len(exp.screens),
            },
            status_code=status,
        )

    def next_url(request: Request, slug: str, response_id: str, screen: Screen | None) -> str:
        if screen is None:
            return str(request.url_for("outcome", slug=slug, response_id=response_id))
        return str(request.url_for("show_screen", slug=slug, response_id=response_id, screen_id=screen.id))

    async def submit(request: Request, slug: str, response_id: str | None, screen_id: str) -> Response:
        if response_id is None:
            pub = await run_in_threadpool(ctx.capture.published, slug)
        else:  # a response stays on the version it started on
            pub, _answers, _outcome = await run_in_threadpool(ctx.capture.progress, slug, response_id)
        screen = next((s for s in pub.experience.screens if s.id == screen_id), None)
        if screen is None:
            return not_found(request, f"There is no screen '{screen_id}' here.")
        async with request.form(max_fields=MAX_FORM_FIELDS, max_files=0) as form:
            raw = _form_values(screen, form)
        try:
            done = await run_in_threadpool(ctx.capture.submit_screen, slug, response_id, screen_id, raw)
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
            return render_screen(request, pub.experience, screen, raw, errors, response_id, status=422)
        return RedirectResponse(next_url(request, slug, done.response_id, done.next_screen), status_code=303)

    def not_found(request: Request, message: str) -> HTMLResponse:
        return tpl.TemplateResponse(request, "error.html", {"message": message}, status_code=404)

    @pages.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        found = await run_in_threadpool(lambda: list(ctx.experiences.list_published()))
        return tpl.TemplateResponse(request, "index.html", {"published": found})

    @pages.get("/e/{slug}", response_class=HTMLResponse)
    async def start(request: Request, slug: str) -> Response:
        try:
            pub = await run_in_threadpool(ctx.capture.published, slug)
        except NotFound:
            return not_found(request, f"There is no experience '{slug}'.")
        return render_screen(request, pub.experience, pub.experience.screens[0], {}, {}, None)

    @pages.post("/e/{slug}", name="submit_first")
    async def submit_first(request: Request, slug: str) -> Response:
        try:
            pub = await run_in_threadpool(ctx.capture.published, slug)
            return await submit(request, slug, None, pub.experience.screens[0].id)
        except NotFound:
            return not_found(request, f"There is no experience '{slug}'.")

    @pages.get("/e/{slug}/r/{response_id}/s/{screen_id}", name="show_screen", response_class=HTMLResponse)
    async def show_screen(request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        try:
            pub, answers, _outcome = await run_in_threadpool(ctx.capture.progress, slug, response_id)
        except NotFound:
            return not_found(request, "This response does not exist.")
        screen = next((s for s in pub.experience.screens if s.id == screen_id), None)
        if screen is None:
            return not_found(request, f"There is no screen '{screen_id}' here.")
        return render_screen(request, pub.experience, screen, answers, {}, response_id)

    @pages.post("/e/{slug}/r/{response_id}/s/{screen_id}", name="submit_screen")
    async def submit_screen(request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        try:
            return await submit(request, slug, response_id, screen_id)
        except NotFound:
            return not_found(request, "This response does not exist.")

    @pages.get("/e/{slug}/r/{response_id}/outcome", name="outcome", response_class=HTMLResponse)
    async def outcome(request: Request, slug: str, response_id: str) -> Response:
        try:
            pub, _answers, outcome_id = await run_in_threadpool(ctx.capture.progress, slug, response_id)
        except NotFound:
            return not_found(request, "This response does not exist.")
        chosen = next((o for o in pub.experience.outcomes if o.id == outcome_id), None)
        if chosen is None:
            first = pub.experience.screens[0]
            return RedirectResponse(next_url(request, slug, response_id, first), status_code=303)
        return tpl.TemplateResponse(request, "outcome.html", {"exp": pub.experience, "outcome": chosen})

    return pages
