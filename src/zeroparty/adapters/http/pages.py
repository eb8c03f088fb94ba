"""Hosted experience pages: one screen per request, plain HTML forms, no JavaScript needed.

Every submit is validated and stored (partial capture) before redirecting (303) to the next
screen; the last one shows the outcome. The response id in a page's URL is the respondent's
capability for their own screens; nothing else about other responses is reachable from here.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.forms import parse_form
from zeroparty.domain.definition import IDENT, SLUG, Consent, Experience, MultiChoice, Screen
from zeroparty.domain.untrusted import is_canonical_uuid
from zeroparty.errors import InvalidInput, MalformedInput, NotFound
from zeroparty.services.capture import TOKEN_FIELD
from zeroparty.services.ports import Published

_SLUG = re.compile(SLUG)
_IDENT = re.compile(IDENT)
# The query parameter of the first screen's URL that carries a signed external id token
# (docs/experiences.md, "Signed external ids").
TOKEN_PARAM = "zp_id"


class TokenRefused(Exception):
    """The page's `zp_id` cannot be used; `message` says why without quoting it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _token_param(request: Request) -> str | None:
    given = request.query_params.getlist(TOKEN_PARAM)
    if len(given) > 1:
        raise TokenRefused(f"{TOKEN_PARAM}: is given more than once")
    return given[0] if given else None


def _token_problem(exc: InvalidInput) -> str | None:
    found = [e for e in exc.errors if e.field == TOKEN_FIELD]
    return f"{TOKEN_PARAM}: {found[0].message}" if found else None


def path_for(request: Request, name: str, **params: str) -> str:
    """The path of a named route, never a whole URL: the Host header a client sends must not shape
    the links and redirects it gets back."""
    return request.url_for(name, **params).path


def _form_values(screen: Screen, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    given: dict[str, list[str]] = {}
    for name, value in pairs:
        given.setdefault(name, []).append(value)
    raw: dict[str, Any] = {}
    for el in screen.elements:
        if isinstance(el, MultiChoice):
            raw[el.id] = given.get(el.id, [])
        elif isinstance(el, Consent):
            raw[el.id] = el.id in given
        elif el.id in given:
            raw[el.id] = given[el.id][0]
    return raw


def _valid_path(slug: str, response_id: str | None = None, screen_id: str | None = None) -> bool:
    """Path parameters that cannot name anything are refused before any lookup."""
    return (
        _SLUG.fullmatch(slug) is not None
        and (response_id is None or is_canonical_uuid(response_id))
        and (screen_id is None or _IDENT.fullmatch(screen_id) is not None)
    )


class Pages:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.tpl = ctx.templates

    def not_found(self, request: Request, message: str) -> HTMLResponse:
        return self.tpl.TemplateResponse(request, "error.html", {"message": message}, status_code=404)

    def bad_request(self, request: Request, exc: MalformedInput) -> HTMLResponse:
        message = "The form could not be read: " + "; ".join(str(e) for e in exc.errors)
        return self.tpl.TemplateResponse(request, "error.html", {"message": message}, status_code=400)

    def bad_link(self, request: Request, problem: str) -> HTMLResponse:
        # Nothing was stored: the brand's site has to hand out a fresh link.
        message = f"This link cannot be used ({problem}). Nothing was saved; please open it again from the site."
        return self.tpl.TemplateResponse(request, "error.html", {"message": message}, status_code=400)

    def render_screen(
        self,
        request: Request,
        exp: Experience,
        screen: Screen,
        values: dict[str, Any],
        errors: dict[str, str],
        response_id: str | None,
        status: int = 200,
        token: str | None = None,
    ) -> HTMLResponse:
        index = [s.id for s in exp.screens].index(screen.id)
        here = {el.id for el in screen.elements}
        elements = exp.elements()
        # Required answers missing on other screens (the respondent skipped ahead): link back.
        earlier = [elements[f][0] for f in errors if f not in here and f in elements]
        back = (
            path_for(request, "show_screen", slug=exp.slug, response_id=response_id, screen_id=earlier[0].id)
            if earlier and response_id is not None
            else None
        )
        action = (
            path_for(request, "submit_first", slug=exp.slug)
            if response_id is None
            else path_for(request, "submit_screen", slug=exp.slug, response_id=response_id, screen_id=screen.id)
        )
        if response_id is None and token is not None:  # the first submit carries the link's token
            action += f"?{TOKEN_PARAM}={quote(token, safe='')}"
        # Problems with fields the screen does not show (a forged post) still need saying.
        other = [m for f, m in errors.items() if f not in here and f not in elements]
        context = {
            "exp": exp,
            "screen": screen,
            "values": values,
            "errors": errors,
            "other_errors": other,
            "action": action,
            "back": back,
            "step": index + 1,
            "steps": len(exp.screens),
        }
        return self.tpl.TemplateResponse(request, "screen.html", context, status_code=status)

    def next_url(self, request: Request, slug: str, response_id: str, screen: Screen | None) -> str:
        if screen is None:
            return path_for(request, "outcome", slug=slug, response_id=response_id)
        return path_for(request, "show_screen", slug=slug, response_id=response_id, screen_id=screen.id)

    async def version_for(self, slug: str, response_id: str | None) -> Published:
        if response_id is None:
            return await run_in_threadpool(self.ctx.capture.published, slug)
        # A response stays on the version it started on.
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        return view.published

    async def submit(self, request: Request, slug: str, response_id: str | None, screen_id: str | None) -> Response:
        token = _token_param(request) if response_id is None else None
        pub = await self.version_for(slug, response_id)
        screen_id = screen_id or pub.experience.screens[0].id
        screen = next((s for s in pub.experience.screens if s.id == screen_id), None)
        if screen is None:
            return self.not_found(request, f"There is no screen '{screen_id}' here.")
        try:
            pairs = parse_form(request.headers.get("content-type"), await request.body())
        except MalformedInput as exc:
            return self.bad_request(request, exc)
        except InvalidInput as exc:
            errors = {e.field: e.message for e in exc.errors}
            return self.render_screen(request, pub.experience, screen, {}, errors, response_id, 422, token)
        raw = _form_values(screen, pairs)
        try:
            done = await run_in_threadpool(self.ctx.capture.submit_screen, slug, response_id, screen_id, raw, token)
        except NotFound:
            raise
        except InvalidInput as exc:  # NotFound propagates: the caller answers 404
            problem = _token_problem(exc)
            if problem is not None:
                return self.bad_link(request, problem)
            errors = {e.field: e.message for e in exc.errors}
            return self.render_screen(request, pub.experience, screen, raw, errors, response_id, 422, token)
        return RedirectResponse(self.next_url(request, slug, done.response_id, done.next_screen), status_code=303)

    async def show(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        exp = view.published.experience
        screen = next((s for s in exp.screens if s.id == screen_id), None)
        if screen is None:
            return self.not_found(request, f"There is no screen '{screen_id}' here.")
        return self.render_screen(request, exp, screen, view.answers, {}, response_id)

    async def outcome(self, request: Request, slug: str, response_id: str) -> Response:
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        exp = view.published.experience
        chosen = next((o for o in exp.outcomes if o.id == view.outcome_id), None)
        if chosen is None:
            return RedirectResponse(self.next_url(request, slug, response_id, exp.screens[0]), status_code=303)
        return self.tpl.TemplateResponse(request, "outcome.html", {"exp": exp, "outcome": chosen})


NO_EXPERIENCE = "There is no experience here."
NO_RESPONSE = "This response does not exist."


class GuardedPages(Pages):
    """Each page refuses path parameters that cannot name anything, and answers 404 for unknown ones."""

    async def start(self, request: Request, slug: str) -> Response:
        if not _valid_path(slug):
            return self.not_found(request, NO_EXPERIENCE)
        try:
            pub = await run_in_threadpool(self.ctx.capture.published, slug)
            token = _token_param(request)
            if token is not None:  # a bad link is said at once, not after the first screen
                await run_in_threadpool(self.ctx.capture.check_external_id_token, slug, token)
        except NotFound:
            return self.not_found(request, NO_EXPERIENCE)
        except TokenRefused as exc:
            return self.bad_link(request, exc.message)
        except InvalidInput as exc:
            return self.bad_link(request, _token_problem(exc) or "; ".join(str(e) for e in exc.errors))
        return self.render_screen(request, pub.experience, pub.experience.screens[0], {}, {}, None, token=token)

    async def submit_first(self, request: Request, slug: str) -> Response:
        if not _valid_path(slug):
            return self.not_found(request, NO_EXPERIENCE)
        try:
            return await self.submit(request, slug, None, None)
        except NotFound:
            return self.not_found(request, NO_EXPERIENCE)
        except TokenRefused as exc:
            return self.bad_link(request, exc.message)

    async def show_screen(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        if not _valid_path(slug, response_id, screen_id):
            return self.not_found(request, NO_RESPONSE)
        try:
            return await self.show(request, slug, response_id, screen_id)
        except NotFound:
            return self.not_found(request, NO_RESPONSE)

    async def submit_screen(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        if not _valid_path(slug, response_id, screen_id):
            return self.not_found(request, NO_RESPONSE)
        try:
            return await self.submit(request, slug, response_id, screen_id)
        except NotFound:
            return self.not_found(request, NO_RESPONSE)

    async def show_outcome(self, request: Request, slug: str, response_id: str) -> Response:
        if not _valid_path(slug, response_id):
            return self.not_found(request, NO_RESPONSE)
        try:
            return await self.outcome(request, slug, response_id)
        except NotFound:
            return self.not_found(request, NO_RESPONSE)


def router(ctx: AppContext) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    p = GuardedPages(ctx)

    @pages.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        found = await run_in_threadpool(lambda: list(ctx.experiences.list_published()))
        return p.tpl.TemplateResponse(request, "index.html", {"published": found})

    @pages.get("/e/{slug}", response_class=HTMLResponse)
    async def start(request: Request, slug: str) -> Response:
        return await p.start(request, slug)

    @pages.post("/e/{slug}", name="submit_first")
    async def submit_first(request: Request, slug: str) -> Response:
        return await p.submit_first(request, slug)

    @pages.get("/e/{slug}/r/{response_id}/s/{screen_id}", name="show_screen", response_class=HTMLResponse)
    async def show_screen(request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        return await p.show_screen(request, slug, response_id, screen_id)

    @pages.post("/e/{slug}/r/{response_id}/s/{screen_id}", name="submit_screen")
    async def submit_screen(request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        return await p.submit_screen(request, slug, response_id, screen_id)

    @pages.get("/e/{slug}/r/{response_id}/outcome", name="outcome", response_class=HTMLResponse)
    async def outcome(request: Request, slug: str, response_id: str) -> Response:
        return await p.show_outcome(request, slug, response_id)

    return pages
