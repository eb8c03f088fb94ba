"""Hosted experience pages: one screen per request, plain HTML forms, no JavaScript needed.

Every submit is validated and stored (partial capture) before redirecting (303) to the next
screen; the last one shows the outcome. The response id in a page's URL is the respondent's
capability for their own screens while the response is in progress; once it is complete the link
shows and changes nothing, and only the browser that completed it may see the outcome again, for a
while (adapters/http/revisit.py). Nothing else about other responses is reachable from here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.forms import parse_form
from zeroparty.adapters.http.revisit import REVISIT_COOKIE
from zeroparty.domain.definition import IDENT, SLUG, Consent, Experience, MultiChoice, Screen
from zeroparty.domain.untrusted import is_canonical_uuid
from zeroparty.errors import FieldError, Gone, InvalidInput, MalformedInput, NotFound
from zeroparty.services.capture import TOKEN_FIELD, ResponseView, ScreenRefused
from zeroparty.services.ports import Published

log = logging.getLogger("zeroparty.http")

_SLUG = re.compile(SLUG)
_IDENT = re.compile(IDENT)
# The query parameter of the first screen's URL that carries a signed external id token
# (docs/experiences.md, "Signed external ids").
TOKEN_PARAM = "zp_id"

NO_EXPERIENCE = "There is no experience here."
NO_RESPONSE = "This response does not exist."
COMPLETE = "This response is complete"
SCREEN_CLOSED = "Nothing was changed: once complete, a response's answers are no longer shown or changed here."
OUTCOME_PRIVATE = "Its outcome is shown only in the browser that completed it, for {window} after."
BUSY = "This page could not be loaded or saved just now, and nothing was saved. Please try again in a moment."


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

    def closed(self, request: Request, slug: str, message: str) -> HTMLResponse:
        """A completed response, reached by its link: nothing about it is shown, nothing is changed."""
        context = {"heading": COMPLETE, "message": message, "again": path_for(request, "start", slug=slug)}
        return self.tpl.TemplateResponse(request, "error.html", context, status_code=410)

    def busy(self, request: Request) -> HTMLResponse:
        context = {"heading": "Please try again", "message": BUSY}
        return self.tpl.TemplateResponse(request, "error.html", context, status_code=503, headers={"Retry-After": "1"})

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
        return (await self.open_response(slug, response_id)).published  # it stays on the version it started on

    async def open_response(self, slug: str, response_id: str) -> ResponseView:
        """The response behind a screen's link, while it is in progress; Gone once it is complete."""
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        if view.completed:
            raise Gone(FieldError("response", f"response '{response_id}' is complete"))
        return view

    async def first(self, request: Request, slug: str) -> Response:
        pub = await run_in_threadpool(self.ctx.capture.published, slug)
        token = _token_param(request)
        if token is not None:  # a bad link is said at once, not after the first screen
            try:
                await run_in_threadpool(self.ctx.capture.check_external_id_token, slug, token)
            except NotFound:
                raise
            except InvalidInput as exc:
                return self.bad_link(request, _token_problem(exc) or "; ".join(str(e) for e in exc.errors))
        return self.render_screen(request, pub.experience, pub.experience.screens[0], {}, {}, None, token=token)

    async def screen_for(self, slug: str, response_id: str | None, screen_id: str | None) -> tuple[Published, Screen]:
        """The version and screen a submit is for (NotFound when the screen is not in it); read only
        on the way to an error page: a good submit reads them in its own transaction."""
        pub = await self.version_for(slug, response_id)
        screen_id = screen_id or pub.experience.screens[0].id
        screen = next((s for s in pub.experience.screens if s.id == screen_id), None)
        if screen is None:
            raise NotFound(FieldError("screen", f"no screen '{screen_id}'"))
        return pub, screen

    async def submit(self, request: Request, slug: str, response_id: str | None, screen_id: str | None) -> Response:
        """NotFound and Gone propagate (the caller answers 404 or 410), but for an unknown screen."""
        try:
            return await self.store_form(request, slug, response_id, screen_id)
        except NotFound as exc:
            if any(e.field == "screen" for e in exc.errors):
                return self.not_found(request, f"There is no screen '{screen_id}' here.")
            raise

    async def store_form(self, request: Request, slug: str, response_id: str | None, screen_id: str | None) -> Response:
        """The form is read first, then checked and stored in one transaction, which also reads the
        response and its version (once); only a refused form costs another read, to show it again."""
        token = _token_param(request) if response_id is None else None
        try:
            pairs = parse_form(request.headers.get("content-type"), await request.body())
            done = await run_in_threadpool(
                self.ctx.capture.submit_screen, slug, response_id, screen_id, lambda s: _form_values(s, pairs), token
            )
        except (NotFound, Gone):
            raise
        except MalformedInput as exc:
            await self.screen_for(slug, response_id, screen_id)  # an unknown response or screen says so first
            return self.bad_request(request, exc)
        except ScreenRefused as exc:
            errors = {e.field: e.message for e in exc.errors}
            return self.render_screen(
                request, exc.published.experience, exc.screen, exc.raw, errors, response_id, 422, token
            )
        except InvalidInput as exc:  # the token, or form text that cannot be accepted
            problem = _token_problem(exc)
            if problem is not None:
                return self.bad_link(request, problem)
            pub, screen = await self.screen_for(slug, response_id, screen_id)
            errors = {e.field: e.message for e in exc.errors}
            return self.render_screen(request, pub.experience, screen, {}, errors, response_id, 422, token)
        answer = RedirectResponse(self.next_url(request, slug, done.response_id, done.next_screen), status_code=303)
        if done.next_screen is None:  # complete: only this browser may see the outcome, and only for a while
            scope = path_for(request, "start", slug=slug) + "/"
            self.ctx.revisit.grant(answer, scope, slug, done.response_id, secure=request.url.scheme == "https")
        return answer

    async def show(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        view = await self.open_response(slug, response_id)
        exp = view.published.experience
        screen = next((s for s in exp.screens if s.id == screen_id), None)
        if screen is None:
            return self.not_found(request, f"There is no screen '{screen_id}' here.")
        return self.render_screen(request, exp, screen, view.answers, {}, response_id)

    async def outcome(self, request: Request, slug: str, response_id: str) -> Response:
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        exp = view.published.experience
        chosen = next((o for o in exp.outcomes if o.id == view.outcome_id), None)
        if chosen is None or not view.completed:  # nothing to show yet: back to answering
            return RedirectResponse(self.next_url(request, slug, response_id, exp.screens[0]), status_code=303)
        if not self.ctx.revisit.admits(request.cookies.get(REVISIT_COOKIE), slug, response_id):
            return self.closed(request, slug, OUTCOME_PRIVATE.format(window=self.ctx.revisit.window))
        return self.tpl.TemplateResponse(request, "outcome.html", {"exp": exp, "outcome": chosen})


Page = Callable[[], Awaitable[Response]]


class GuardedPages(Pages):
    """Each page refuses path parameters that cannot name anything and answers 404 for unknown ones,
    410 for a completed response, 503 while storage is unavailable. No cache may keep any of them:
    they show answers, and their URLs hold the response id."""

    async def guarded(self, request: Request, slug: str, valid: bool, missing: str, page: Page) -> Response:
        try:
            answer = await page() if valid else self.not_found(request, missing)
        except NotFound:
            answer = self.not_found(request, missing)
        except Gone:
            answer = self.closed(request, slug, SCREEN_CLOSED)
        except TokenRefused as exc:
            answer = self.bad_link(request, exc.message)
        except OperationalError as exc:  # locked past the busy timeout, or down: nothing was stored
            log.warning("storage unavailable: %s", type(exc).__name__, extra={"action": "storage_unavailable"})
            answer = self.busy(request)
        answer.headers["Cache-Control"] = "no-store"
        return answer

    async def start(self, request: Request, slug: str) -> Response:
        return await self.guarded(request, slug, _valid_path(slug), NO_EXPERIENCE, lambda: self.first(request, slug))

    async def submit_first(self, request: Request, slug: str) -> Response:
        valid = _valid_path(slug)
        return await self.guarded(request, slug, valid, NO_EXPERIENCE, lambda: self.submit(request, slug, None, None))

    async def show_screen(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        valid = _valid_path(slug, response_id, screen_id)
        page = lambda: self.show(request, slug, response_id, screen_id)  # noqa: E731
        return await self.guarded(request, slug, valid, NO_RESPONSE, page)

    async def submit_screen(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        valid = _valid_path(slug, response_id, screen_id)
        page = lambda: self.submit(request, slug, response_id, screen_id)  # noqa: E731
        return await self.guarded(request, slug, valid, NO_RESPONSE, page)

    async def show_outcome(self, request: Request, slug: str, response_id: str) -> Response:
        valid = _valid_path(slug, response_id)
        return await self.guarded(request, slug, valid, NO_RESPONSE, lambda: self.outcome(request, slug, response_id))


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
