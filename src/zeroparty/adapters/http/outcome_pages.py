"""The outcome pages: the outcome a completed response reached (only for the browser that
completed it, for a while: adapters/http/revisit.py), a redirect ending, and the logged way to the
outcome's call to action."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from zeroparty.adapters.http.embed import shown_experience
from zeroparty.adapters.http.language import (
    keep_language,
    localized,
    page_language,
)
from zeroparty.adapters.http.outcome_view import image_src, product_card, redirect_target
from zeroparty.adapters.http.page_base import PageBase
from zeroparty.adapters.http.page_values import (
    OUTCOME_PRIVATE,
    call_to_action,
    path_for,
    piped_values,
)
from zeroparty.adapters.http.revisit import REVISIT_COOKIE
from zeroparty.domain.experience.funnel import EventKind
from zeroparty.domain.experience.logic import pipe
from zeroparty.domain.experience.model import Experience, Outcome
from zeroparty.domain.experience.outcomes import Result, result
from zeroparty.domain.experience.score import max_score, reveal


class OutcomePages(PageBase):
    async def outcome(self, request: Request, slug: str, response_id: str) -> Response:
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        keep_language(request, view.language)
        exp = view.published.experience
        shown_experience(request, exp)
        shown = result(exp, view.answers, view.outcome_id) if view.outcome_id is not None else None
        if shown is None or not view.completed:  # nothing to show yet: back to answering
            return RedirectResponse(self.next_url(request, slug, response_id, exp.screens[0]), status_code=303)
        if not self.ctx.revisit.admits(request.cookies.get(REVISIT_COOKIE), slug, response_id):
            return self.closed(request, slug, OUTCOME_PRIVATE, window=self.ctx.revisit.window)
        outcome_id, variant = shown.outcome.id, view.variant
        self.record(
            request, EventKind.OUTCOME_SHOWN, view.published, response_id, outcome_id=outcome_id, variant=variant
        )
        go = path_for(request, "outcome_link", slug=slug, response_id=response_id)
        values = piped_values(view)
        return self.show_chosen(request, exp, shown, values, go if call_to_action(shown.outcome) else None)

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
        lang = page_language(request, exp)
        exp = localized(exp, lang)
        chosen = next(o for o in exp.outcomes if o.id == shown.outcome.id)
        outcome = chosen.model_copy(
            update={
                "title": pipe(chosen.title, answers),
                "description": None if chosen.description is None else pipe(chosen.description, answers),
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
            "t": lang.t,
            "lang": lang.code,
        }
        return self.tpl.TemplateResponse(request, "outcome.html", context)

    async def follow(self, request: Request, slug: str, response_id: str) -> Response:
        """The outcome's call to action: logged, then a 303 to the outcome's own link and nowhere
        else (the target comes from the published definition, never from the request)."""
        view = await run_in_threadpool(self.ctx.capture.progress, slug, response_id)
        chosen: Outcome | None = next((o for o in view.published.experience.outcomes if o.id == view.outcome_id), None)
        target = call_to_action(chosen) if chosen is not None else None
        if chosen is None or target is None or not view.completed:
            return self.not_found(request, "no_link")
        if not self.ctx.revisit.admits(request.cookies.get(REVISIT_COOKIE), slug, response_id):
            return self.closed(request, slug, OUTCOME_PRIVATE, window=self.ctx.revisit.window)
        self.record(
            request, EventKind.CTA_CLICK, view.published, response_id, outcome_id=chosen.id, variant=view.variant
        )
        return RedirectResponse(target, status_code=303)
