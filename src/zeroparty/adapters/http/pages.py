"""Hosted experience pages: one screen per request, plain HTML forms, no JavaScript needed.

Every submit is validated and stored (partial capture) before redirecting (303) to the next
screen; the last one shows the outcome. The response id in a page's URL is the respondent's
capability for their own screens while the response is in progress; once it is complete the link
shows and changes nothing, and only the browser that completed it may see the outcome again, for a
while (adapters/http/revisit.py). Nothing else about other responses is reachable from here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.element_view import ORDER_FIELD, element_views, error_targets, order_seed
from zeroparty.adapters.http.embed import experience_policy, shown_experience
from zeroparty.adapters.http.forms import parse_form
from zeroparty.adapters.http.language import (
    LANG_PARAM,
    keep_language,
    language_headers,
    localized,
    page_language,
    with_lang,
)
from zeroparty.adapters.http.outcome_pages import OutcomePages
from zeroparty.adapters.http.page_intake import arrival, form_context, not_started
from zeroparty.adapters.http.page_values import (
    NO_EXPERIENCE,
    NO_RESPONSE,
    SCREEN_CLOSED,
    SHOWN_FIELD,
    TOKEN_PARAM,
    TokenRefused,
    declared,
    form_values,
    link_values,
    path_for,
    piped_screen,
    piped_values,
    token_param,
    token_problem,
    valid_path,
)
from zeroparty.adapters.http.resume import FirstSubmit
from zeroparty.adapters.http.screen_errors import date_example, date_placeholder, screen_problems
from zeroparty.domain.experience.funnel import EventKind, time_on_screen
from zeroparty.domain.experience.hidden import hidden_values
from zeroparty.domain.experience.model import Experience, Screen
from zeroparty.domain.experience.score import Reveal, reveal
from zeroparty.errors import Gone, InvalidInput, MalformedInput, NotFound, TooManyRequests
from zeroparty.services.admission import Discarded
from zeroparty.services.capture import ExperienceClosed
from zeroparty.services.capture_results import AlreadyComplete, ScreenRefused

log = logging.getLogger("zeroparty.http")


class Pages(OutcomePages):
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
        hidden: Mapping[str, str] | None = None,
        revealed: list[Reveal] | None = None,
        piped: Mapping[str, Any] | None = None,
        seed: str | None = None,
        variant: str | None = None,
        previous: str | None = None,
    ) -> HTMLResponse:
        shown_experience(request, exp)
        lang = page_language(request, exp)
        exp = localized(exp, lang)
        screen = next(s for s in exp.screens if s.id == screen.id)
        seed = order_seed(response_id, seed)
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
        # The first submit carries what the link brought: its token and the declared hidden values.
        carried = {**({TOKEN_PARAM: token} if token is not None else {}), **(hidden or {})}
        if response_id is None and carried:
            action += "?" + urlencode(carried, quote_via=quote)
        if response_id is None:  # the language chosen here is stored with the response it starts
            action = with_lang(action, lang)
        errors = {field: lang.t.message(message) for field, message in errors.items()}
        # Problems with fields the screen does not show (a forged post) still need saying.
        other = [m for f, m in errors.items() if f not in here and f not in elements]
        views = element_views(screen, values, seed)
        problems, named = screen_problems(screen, errors, error_targets(views))
        context = {
            "exp": exp,
            "screen": piped_screen(screen, piped or {}),
            "values": values,
            "errors": errors,
            "problems": problems,
            "named": named,
            "first_error": next((el.id for el in screen.elements if el.id in errors), None),
            "date_placeholder": date_placeholder(exp.date_order, lang.t),
            "date_example": date_example(exp.date_order),
            "other_errors": other,
            "action": action,
            "back": back,
            **form_context(self.ctx, request, exp, screen, {**(hidden or {}), **(piped or {})}),
            "revealed": revealed or [],
            "shown_field": SHOWN_FIELD,
            "shown_ms": int(time.time() * 1000),
            "t": lang.t,
            "lang": lang.code,
            "views": views,
            "order_field": ORDER_FIELD if response_id is None else None,
            "seed": seed,
            **self.memory.form_context(request, exp.slug, response_id, variant, previous, hidden or {}),
        }
        return self.tpl.TemplateResponse(request, "screen.html", context, status_code=status)

    async def first(self, request: Request, slug: str) -> Response:
        resumed = await self.memory.resumed(self.ctx.capture, request, slug)
        if resumed is not None:
            return resumed
        wanted = self.memory.wanted_variant(request, slug)
        pub, variant = await run_in_threadpool(self.ctx.capture.first_screen, slug, wanted)
        token = token_param(request)
        if token is not None:  # a bad link is said at once, not after the first screen
            try:
                await run_in_threadpool(self.ctx.capture.check_external_id_token, slug, token)
            except (NotFound, Gone):
                raise
            except InvalidInput as exc:
                return self.bad_link(request, token_problem(exc) or "; ".join(str(e) for e in exc.errors))
        hidden, problems = hidden_values(pub.experience.hidden(), link_values(request))
        if problems:
            return self.bad_link(request, "; ".join(f"{key}: {why}" for key, why in problems))
        first = pub.experience.screens[0]
        self.record(request, EventKind.LOAD, pub, variant=variant)
        self.record(request, EventKind.SCREEN_VIEW, pub, screen_id=first.id, variant=variant)
        exp = pub.experience
        answer = self.render_screen(request, exp, first, {}, {}, None, token=token, hidden=hidden, variant=variant)
        self.memory.shown_first(answer, request, slug, variant)
        return answer

    async def submit(self, request: Request, slug: str, response_id: str | None, screen_id: str | None) -> Response:
        """NotFound and Gone propagate (the caller answers 404 or 410), but for an unknown screen."""
        try:
            return await self.store_form(request, slug, response_id, screen_id)
        except NotFound as exc:
            if any(e.field == "screen" for e in exc.errors):
                return self.not_found(request, "no_screen", screen=str(screen_id))
            raise

    async def store_form(self, request: Request, slug: str, response_id: str | None, screen_id: str | None) -> Response:
        """The form is read first, then checked and stored in one transaction, which also reads the
        response and its version (once); only a refused form costs another read, to show it again."""
        token = token_param(request) if response_id is None else None
        # The link's other parameters: the service keeps those the experience declares as hidden fields.
        hidden = link_values(request) if response_id is None else {}
        pairs: list[tuple[str, str]] = []
        first = FirstSubmit(None, None)  # a later screen's form starts nothing
        try:
            pairs = parse_form(request.headers.get("content-type"), await request.body())
            spent = time_on_screen(next((v for k, v in pairs if k == SHOWN_FIELD), None), int(time.time() * 1000))
            came = arrival(self.ctx, request, pairs)
            if response_id is None:
                first = self.memory.first_submit(request, slug, pairs)
            submit = partial(
                self.ctx.capture.prepare_screen,
                hidden=hidden,
                time_on_screen_ms=spent,
                arrival=came,
                variant=first.variant,
                start_id=first.start_id,
                language=request.query_params.get(LANG_PARAM) if response_id is None else None,
            )
            prepared = submit(slug, response_id, screen_id, lambda s: form_values(s, pairs), token)
            done = await self.ctx.capture.commit_async(prepared)
        except (Discarded, TooManyRequests) as exc:  # spam protection's answers (page_intake.py)
            return not_started(self.ctx, request, exc)
        except NotFound:
            raise
        except AlreadyComplete as exc:  # submitted twice: the browser that holds its pass sees the outcome
            if not (self.memory.holds(request, slug, exc.response_id) or exc.response_id == first.start_id):
                await self.mark_experience(request, slug)
                raise
            return await self.memory.completion(self.ctx.capture, request, slug, exc.response_id, self.show_chosen)
        except Gone:  # its page keeps the experience's frame policy: a reload in an embed shows it
            await self.mark_experience(request, slug)
            raise
        except MalformedInput as exc:
            await self.screen_for(request, slug, response_id, screen_id)  # an unknown response or screen says so first
            return self.bad_request(request, exc)
        except ScreenRefused as exc:
            errors = {e.field: e.message for e in exc.errors}
            exp, carried = exc.published.experience, declared(exc.published.experience, hidden)
            keep_language(request, exc.language)
            seed = next((v for k, v in pairs if k == ORDER_FIELD), None)
            return self.render_screen(
                request, exp, exc.screen, exc.raw, errors, response_id, 422, token, carried, piped=exc.values, seed=seed
            )
        except InvalidInput as exc:  # the token or a hidden value (the link), or form text that cannot be accepted
            problem = token_problem(exc)
            if problem is not None:
                return self.bad_link(request, problem)
            pub, screen, piped = await self.screen_for(request, slug, response_id, screen_id)
            errors = {e.field: e.message for e in exc.errors}
            carried = declared(pub.experience, hidden)
            return self.render_screen(
                request, pub.experience, screen, {}, errors, response_id, 422, token, carried, piped=piped
            )
        if done.next_screen is None:
            return await self.memory.completion(self.ctx.capture, request, slug, done.response_id, self.show_chosen)
        answer = RedirectResponse(self.next_url(request, slug, done.response_id, done.next_screen), status_code=303)
        self.memory.in_progress(answer, request, slug, done.response_id, done.variant)
        return answer

    async def show(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        view = await self.open_response(request, slug, response_id)
        exp = localized(view.published.experience, page_language(request, view.published.experience))
        screen = next((s for s in exp.screens if s.id == screen_id), None)
        if screen is None:
            return self.not_found(request, "no_screen", screen=screen_id)
        index = exp.screens.index(screen)
        self.record(
            request, EventKind.SCREEN_VIEW, view.published, response_id, screen_id=screen.id, variant=view.variant
        )
        # Right or wrong for the screen just answered, when the author asks for it.
        revealed = reveal(exp.screens[index - 1], view.answers) if exp.reveal_answers and index > 0 else []
        back = self.memory.back(request, slug, response_id, view, screen.id)
        kept = declared(exp, view.answers)  # its hidden values: starting over keeps them
        values = piped_values(view)
        return self.render_screen(
            request,
            exp,
            screen,
            view.answers,
            {},
            response_id,
            hidden=kept,
            revealed=revealed,
            piped=values,
            previous=back,
        )


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
        except ExperienceClosed as exc:
            answer = self.experience_closed(request, exc)
        except Gone:
            answer = self.closed(request, slug, SCREEN_CLOSED)
        except TokenRefused as exc:
            answer = self.bad_link(request, exc.message)
        except OperationalError as exc:  # locked past the busy timeout, or down: nothing was stored
            log.warning("storage unavailable: %s", type(exc).__name__, extra={"action": "storage_unavailable"})
            answer = self.busy(request)
        answer.headers["Cache-Control"] = "no-store"
        language_headers(request, answer)
        policy = experience_policy(request, self.ctx.frame_ancestors)
        if policy is not None:  # who may frame this experience's pages (SecurityHeaders adds the default)
            answer.headers["Content-Security-Policy"] = policy
        return answer

    async def start(self, request: Request, slug: str) -> Response:
        return await self.guarded(request, slug, valid_path(slug), NO_EXPERIENCE, lambda: self.first(request, slug))

    async def submit_first(self, request: Request, slug: str) -> Response:
        valid = valid_path(slug)
        return await self.guarded(request, slug, valid, NO_EXPERIENCE, lambda: self.submit(request, slug, None, None))

    async def show_screen(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        valid = valid_path(slug, response_id, screen_id)
        page = lambda: self.show(request, slug, response_id, screen_id)  # noqa: E731
        return await self.guarded(request, slug, valid, NO_RESPONSE, page)

    async def submit_screen(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        valid = valid_path(slug, response_id, screen_id)
        page = lambda: self.submit(request, slug, response_id, screen_id)  # noqa: E731
        return await self.guarded(request, slug, valid, NO_RESPONSE, page)

    async def show_outcome(self, request: Request, slug: str, response_id: str) -> Response:
        valid = valid_path(slug, response_id)
        return await self.guarded(request, slug, valid, NO_RESPONSE, lambda: self.outcome(request, slug, response_id))

    async def follow_link(self, request: Request, slug: str, response_id: str) -> Response:
        valid = valid_path(slug, response_id)
        return await self.guarded(request, slug, valid, NO_RESPONSE, lambda: self.follow(request, slug, response_id))


def router(ctx: AppContext) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    p = GuardedPages(ctx)

    @pages.get("/", response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        found = await run_in_threadpool(ctx.experiences.list_listed)
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

    @pages.get("/e/{slug}/r/{response_id}/go", name="outcome_link")
    async def outcome_link(request: Request, slug: str, response_id: str) -> Response:
        return await p.follow_link(request, slug, response_id)

    return pages
