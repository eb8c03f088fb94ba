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
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.embed import experience_policy, framed, shown_experience
from zeroparty.adapters.http.forms import parse_form
from zeroparty.adapters.http.page_values import (
    NO_EXPERIENCE,
    NO_RESPONSE,
    OUTCOME_PRIVATE,
    SCREEN_CLOSED,
    SHOWN_FIELD,
    TokenRefused,
    call_to_action,
    declared,
    form_values,
    link_values,
    path_for,
    piped_values,
    token_param,
    token_problem,
    valid_path,
)
from zeroparty.adapters.http.page_views import PageViews
from zeroparty.adapters.http.resume import FirstSubmit
from zeroparty.adapters.http.revisit import REVISIT_COOKIE
from zeroparty.domain.experience.funnel import EventKind, time_on_screen
from zeroparty.domain.experience.hidden import hidden_values
from zeroparty.domain.experience.model import Outcome, Screen
from zeroparty.domain.experience.outcomes import result
from zeroparty.domain.experience.resume import previous_screen, resume_screen
from zeroparty.domain.experience.score import reveal
from zeroparty.errors import FieldError, Gone, InvalidInput, MalformedInput, NotFound
from zeroparty.services.capture import AlreadyComplete, ExperienceClosed, ResponseView, ScreenRefused
from zeroparty.services.ports import Published

log = logging.getLogger("zeroparty.http")


class Pages(PageViews):
    def next_url(self, request: Request, slug: str, response_id: str, screen: Screen | None) -> str:
        if screen is None:
            return path_for(request, "outcome", slug=slug, response_id=response_id)
        return path_for(request, "show_screen", slug=slug, response_id=response_id, screen_id=screen.id)

    async def version_for(
        self, request: Request, slug: str, response_id: str | None
    ) -> tuple[Published, ResponseView | None]:
        if response_id is None:
            return await run_in_threadpool(self.ctx.capture.published, slug), None
        view = await self.open_response(request, slug, response_id)
        return view.published, view  # it stays on the version it started on

    async def open_response(self, request: Request, slug: str, response_id: str) -> ResponseView:
        """The response behind a screen's link, while it is in progress; Gone once it is complete."""
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        if view.completed:
            shown_experience(request, view.published.experience)  # its "complete" page shows in its embeds
            raise Gone(FieldError("response", f"response '{response_id}' is complete"))
        return view

    async def first(self, request: Request, slug: str) -> Response:
        left = self.memory.resumable(request, slug)
        if left is not None:
            resumed = await self.resume(request, slug, left)
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
        answer = self.render_screen(
            request, pub.experience, first, {}, {}, None, token=token, hidden=hidden, variant=variant
        )
        self.memory.shown_first(answer, request, slug, variant)
        return answer

    async def resume(self, request: Request, slug: str, response_id: str) -> Response | None:
        """303 to where the response this browser left continues; None when it cannot continue
        (gone, complete, another experience's): the respondent starts afresh."""
        try:
            view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        except (NotFound, Gone):
            return None
        if view.completed:
            return None
        at = resume_screen(view.published.experience, view.answers, view.path)
        return RedirectResponse(path_for(request, "show_screen", slug=slug, response_id=response_id, screen_id=at), 303)

    async def mark_experience(self, request: Request, slug: str) -> None:
        """Name the experience a page is for (its frame policy), when there is one to name."""
        try:
            shown_experience(request, (await run_in_threadpool(self.ctx.capture.published, slug)).experience)
        except ExperienceClosed as exc:
            shown_experience(request, exc.experience)
        except (NotFound, Gone):
            pass

    async def screen_for(
        self, request: Request, slug: str, response_id: str | None, screen_id: str | None
    ) -> tuple[Published, Screen, dict[str, Any]]:
        """The version and screen a submit is for, and the values its texts pipe (NotFound when the
        screen is not in it); read only on the way to an error page: a good submit reads them in its
        own transaction."""
        pub, view = await self.version_for(request, slug, response_id)
        screen_id = screen_id or pub.experience.screens[0].id
        screen = next((s for s in pub.experience.screens if s.id == screen_id), None)
        if screen is None:
            raise NotFound(FieldError("screen", f"no screen '{screen_id}'"))
        return pub, screen, piped_values(view)

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
        token = token_param(request) if response_id is None else None
        # The link's other parameters: the service keeps those the experience declares as hidden fields.
        hidden = link_values(request) if response_id is None else {}
        first = FirstSubmit(None, None)  # a later screen's form starts nothing
        try:
            pairs = parse_form(request.headers.get("content-type"), await request.body())
            spent = time_on_screen(next((v for k, v in pairs if k == SHOWN_FIELD), None), int(time.time() * 1000))
            if response_id is None:
                first = self.memory.first_submit(request, slug, pairs)
            submit = partial(
                self.ctx.capture.submit_screen,
                hidden=hidden,
                time_on_screen_ms=spent,
                variant=first.variant,
                start_id=first.start_id,
            )
            done = await run_in_threadpool(submit, slug, response_id, screen_id, lambda s: form_values(s, pairs), token)
        except NotFound:
            raise
        except AlreadyComplete as exc:  # submitted twice: the browser that holds its pass sees the outcome
            if not (self.memory.holds(request, slug, exc.response_id) or exc.response_id == first.start_id):
                await self.mark_experience(request, slug)
                raise
            return await self.completion(request, slug, exc.response_id)
        except Gone:  # its page keeps the experience's frame policy: a reload in an embed shows it
            await self.mark_experience(request, slug)
            raise
        except MalformedInput as exc:
            await self.screen_for(request, slug, response_id, screen_id)  # an unknown response or screen says so first
            return self.bad_request(request, exc)
        except ScreenRefused as exc:
            errors = {e.field: e.message for e in exc.errors}
            exp, carried = exc.published.experience, declared(exc.published.experience, hidden)
            return self.render_screen(
                request, exp, exc.screen, exc.raw, errors, response_id, 422, token, carried, piped=exc.values
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
            return await self.completion(request, slug, done.response_id)
        answer = RedirectResponse(self.next_url(request, slug, done.response_id, done.next_screen), status_code=303)
        self.memory.in_progress(answer, request, slug, done.response_id, done.variant)
        return answer

    async def completion(self, request: Request, slug: str, response_id: str) -> Response:
        """The answer to the submit that completed a response (or found it complete, from this browser)."""
        if framed(request):
            # In a frame on another site the pass below is a third-party cookie, which browsers may
            # refuse: the outcome is shown in this answer instead of after a redirect.
            done_view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
            exp = done_view.published.experience
            chosen = None if done_view.outcome_id is None else result(exp, done_view.answers, done_view.outcome_id)
            if chosen is not None:
                shown = self.show_chosen(request, exp, chosen, piped_values(done_view))
                self.memory.finished(shown, request, slug)
                return shown
        answer = RedirectResponse(self.next_url(request, slug, response_id, None), status_code=303)
        self.memory.completed(answer, request, slug, response_id)
        return answer

    async def show(self, request: Request, slug: str, response_id: str, screen_id: str) -> Response:
        view = await self.open_response(request, slug, response_id)
        exp = view.published.experience
        screen = next((s for s in exp.screens if s.id == screen_id), None)
        if screen is None:
            return self.not_found(request, f"There is no screen '{screen_id}' here.")
        index = exp.screens.index(screen)
        self.record(
            request, EventKind.SCREEN_VIEW, view.published, response_id, screen_id=screen.id, variant=view.variant
        )
        # Right or wrong for the screen just answered, when the author asks for it.
        revealed = reveal(exp.screens[index - 1], view.answers) if exp.reveal_answers and index > 0 else []
        before = previous_screen(view.path, screen.id)
        back = (
            None
            if before is None
            else path_for(request, "show_screen", slug=slug, response_id=response_id, screen_id=before)
        )
        return self.render_screen(
            request,
            exp,
            screen,
            view.answers,
            {},
            response_id,
            revealed=revealed,
            piped=piped_values(view),
            previous=back,
        )

    async def outcome(self, request: Request, slug: str, response_id: str) -> Response:
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        exp = view.published.experience
        shown_experience(request, exp)
        shown = result(exp, view.answers, view.outcome_id) if view.outcome_id is not None else None
        if shown is None or not view.completed:  # nothing to show yet: back to answering
            return RedirectResponse(self.next_url(request, slug, response_id, exp.screens[0]), status_code=303)
        if not self.ctx.revisit.admits(request.cookies.get(REVISIT_COOKIE), slug, response_id):
            return self.closed(request, slug, OUTCOME_PRIVATE.format(window=self.ctx.revisit.window))
        outcome_id = shown.outcome.id
        self.record(
            request, EventKind.OUTCOME_SHOWN, view.published, response_id, outcome_id=outcome_id, variant=view.variant
        )
        go = path_for(request, "outcome_link", slug=slug, response_id=response_id)
        values = piped_values(view)
        return self.show_chosen(request, exp, shown, values, go if call_to_action(shown.outcome) else None)

    async def follow(self, request: Request, slug: str, response_id: str) -> Response:
        """The outcome's call to action: logged, then a 303 to the outcome's own link and nowhere
        else (the target comes from the published definition, never from the request)."""
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        chosen: Outcome | None = next((o for o in view.published.experience.outcomes if o.id == view.outcome_id), None)
        target = call_to_action(chosen) if chosen is not None else None
        if chosen is None or target is None or not view.completed:
            return self.not_found(request, "There is no link to follow here.")
        if not self.ctx.revisit.admits(request.cookies.get(REVISIT_COOKIE), slug, response_id):
            return self.closed(request, slug, OUTCOME_PRIVATE.format(window=self.ctx.revisit.window))
        self.record(
            request, EventKind.CTA_CLICK, view.published, response_id, outcome_id=chosen.id, variant=view.variant
        )
        return RedirectResponse(target, status_code=303)


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
