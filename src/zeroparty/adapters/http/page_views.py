"""What the hosted pages show, apart from what they do: a screen, an outcome, the error pages, and
the analytics event of each (adapters/http/pages.py decides which, and when)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.edge import WAS_HEAD
from zeroparty.adapters.http.embed import shown_experience
from zeroparty.adapters.http.outcome_view import image_src, product_card, redirect_target
from zeroparty.adapters.http.page_values import BUSY, COMPLETE, SHOWN_FIELD, TOKEN_PARAM, path_for, piped_screen
from zeroparty.adapters.http.respondent_pass import START_FIELD
from zeroparty.adapters.http.resume import RESTART_PARAM, VARIANT_FIELD, RespondentMemory
from zeroparty.adapters.http.screen_errors import date_example, date_placeholder, screen_problems
from zeroparty.domain.experience.funnel import Event, EventKind
from zeroparty.domain.experience.logic import pipe
from zeroparty.domain.experience.model import Experience, Screen
from zeroparty.domain.experience.outcomes import Result
from zeroparty.domain.experience.score import Reveal, max_score, reveal
from zeroparty.errors import MalformedInput
from zeroparty.services.capture import ExperienceClosed
from zeroparty.services.ports import Published


class PageViews:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.tpl = ctx.templates
        self.memory = RespondentMemory(ctx.passes, ctx.revisit)

    def record(
        self,
        request: Request,
        kind: EventKind,
        pub: Published,
        response_id: str | None = None,
        screen_id: str | None = None,
        outcome_id: str | None = None,
        variant: str | None = None,
    ) -> None:
        """An analytics event for what this page showed; returns at once (batched elsewhere). A HEAD
        request (a link checker, a monitor) shows nobody anything and is not counted."""
        if request.scope.get(WAS_HEAD):
            return
        now = datetime.now(UTC)
        slug = pub.experience.slug
        self.ctx.events.record(Event(kind, slug, now, pub.version, response_id, screen_id, outcome_id, variant))

    def not_found(self, request: Request, message: str) -> HTMLResponse:
        return self.tpl.TemplateResponse(request, "error.html", {"message": message}, status_code=404)

    def bad_request(self, request: Request, exc: MalformedInput) -> HTMLResponse:
        message = "The form could not be read: " + "; ".join(str(e) for e in exc.errors)
        return self.tpl.TemplateResponse(request, "error.html", {"message": message}, status_code=400)

    def closed(self, request: Request, slug: str, message: str) -> HTMLResponse:
        """A completed response, reached by its link: nothing about it is shown, nothing is changed."""
        context = {"heading": COMPLETE, "message": message, "again": path_for(request, "start", slug=slug)}
        return self.tpl.TemplateResponse(request, "error.html", context, status_code=410)

    def experience_closed(self, request: Request, exc: ExperienceClosed) -> HTMLResponse:
        """A closed experience: its closed message, 410 (it takes no responses; publishing it again reopens it)."""
        shown_experience(request, exc.experience)  # the message shows in its embeds too
        context = {"heading": exc.experience.title, "message": exc.message}
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
        hidden: Mapping[str, str] | None = None,
        revealed: list[Reveal] | None = None,
        piped: Mapping[str, Any] | None = None,
        variant: str | None = None,
        previous: str | None = None,
    ) -> HTMLResponse:
        shown_experience(request, exp)
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
        # The first submit carries what the link brought: its token and the declared hidden values.
        carried = {**({TOKEN_PARAM: token} if token is not None else {}), **(hidden or {})}
        if response_id is None and carried:
            action += "?" + urlencode(carried, quote_via=quote)
        # Problems with fields the screen does not show (a forged post) still need saying.
        other = [m for f, m in errors.items() if f not in here and f not in elements]
        problems, named = screen_problems(screen, errors)
        context = {
            "exp": exp,
            "screen": piped_screen(screen, piped or {}),
            "values": values,
            "errors": errors,
            "problems": problems,
            "named": named,
            "first_error": next((el.id for el in screen.elements if el.id in errors), None),
            "date_placeholder": date_placeholder(exp.date_order),
            "date_example": date_example(exp.date_order),
            "other_errors": other,
            "action": action,
            "back": back,
            "step": index + 1,
            "steps": len(exp.screens),
            "revealed": revealed or [],
            "shown_field": SHOWN_FIELD,
            "shown_ms": int(time.time() * 1000),
            "variant_field": VARIANT_FIELD,
            "variant": self.memory.form_variant(exp.slug, variant) if response_id is None else None,
            "start_field": START_FIELD,
            "start": self.memory.form_start(exp.slug) if response_id is None else None,
            "previous": previous,  # the screen before this one on the response's route: "Back"
            "restart": None
            if response_id is None
            else f"{path_for(request, 'start', slug=exp.slug)}?{RESTART_PARAM}=1",
        }
        return self.tpl.TemplateResponse(request, "screen.html", context, status_code=status)

    def show_chosen(
        self, request: Request, exp: Experience, shown: Result, answers: Mapping[str, Any], go: str | None = None
    ) -> Response:
        """The outcome page, or the redirect a redirect ending makes (with the response's hidden
        values when the outcome asks for them). `go` is the logged way to its call to action."""
        shown_experience(request, exp)
        if shown.outcome.ends_with == "redirect" and shown.outcome.redirect_url is not None:
            passed = exp.hidden() if shown.outcome.pass_values else []
            values = {f.key: answers[f.key] for f in passed if f.key in answers}
            return RedirectResponse(redirect_target(shown.outcome.redirect_url, values), status_code=303)
        outcome = shown.outcome.model_copy(
            update={
                "title": pipe(shown.outcome.title, answers),
                "description": None if shown.outcome.description is None else pipe(shown.outcome.description, answers),
            }
        )
        context = {
            "exp": exp,
            "outcome": outcome,
            "image": image_src(shown.outcome.image) if shown.outcome.image else None,
            "score": shown.score,
            "max_score": max_score(exp),
            "products": [product_card(p) for p in shown.products],
            "revealed": reveal(exp.screens[-1], answers) if exp.reveal_answers else [],
            "go": go,
        }
        return self.tpl.TemplateResponse(request, "outcome.html", context)
