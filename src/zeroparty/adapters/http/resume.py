"""The hosted pages' memory of a respondent, in their browser (adapters/http/respondent_pass.py):
which response they are in the middle of, and which A/B variant they were served.

- Landing on `/e/{slug}` with a current resume pass for a response of that experience still in
  progress answers 303 to the screen where it continues (`resume_screen`), answers filled in.
  `?restart=1` (the "Start over" link of the screens) ignores and withdraws the pass: a new
  response starts. A link that carries an external id token starts afresh too: it may name
  someone else than the person who left the response on this device.
- A first screen is shown as the variant of the variant pass while that variant exists, else as
  one drawn by weight; its form carries the variant, signed, so its submit starts the response on
  the version shown, even where the browser keeps no cookie.
- Completing withdraws the resume pass; the outcome's revisit pass (revisit.py) takes over. A
  submit that finds its response completed already (a double click, a second tab, a retry after a
  timeout) shows the outcome to the browser holding either pass for it, and nothing changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from zeroparty.adapters.http.embed import framed
from zeroparty.adapters.http.language import keep_language
from zeroparty.adapters.http.page_values import TOKEN_PARAM, path_for, piped_values
from zeroparty.adapters.http.respondent_pass import START_FIELD, RespondentPasses
from zeroparty.adapters.http.revisit import REVISIT_COOKIE, RevisitPass
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.outcomes import Result, result
from zeroparty.domain.experience.resume import previous_screen, resume_screen
from zeroparty.domain.untrusted import is_canonical_uuid
from zeroparty.errors import Gone, NotFound
from zeroparty.services.capture import CaptureService
from zeroparty.services.capture_results import ResponseView

RESTART_PARAM = "restart"
VARIANT_FIELD = "zp_variant"  # the first screen's form: the variant it was shown as, signed


def _secure(request: Request) -> bool:
    return request.scope.get("scheme") == "https"  # what `request.url` would say, without building it


@dataclass(frozen=True)
class FirstSubmit:
    """What a first screen's form says about the response it starts: the variant it was shown as
    (else the browser's), and the id it was given (so a second submit of it joins that response)."""

    variant: str | None
    start_id: str | None


@dataclass(frozen=True)
class RespondentMemory:
    passes: RespondentPasses
    revisit: RevisitPass

    @staticmethod
    def scope(request: Request, slug: str) -> str:
        """`/e/{slug}`: the browser sends the pass there and to the pages below it, to no other experience."""
        return path_for(request, "start", slug=slug)

    @staticmethod
    def restarting(request: Request) -> bool:
        return request.query_params.get(RESTART_PARAM) == "1"

    async def resumed(self, capture: CaptureService, request: Request, slug: str) -> Response | None:
        """303 to where the response this browser left continues; None when there is none, or it
        cannot continue (gone, complete, not this experience's): the respondent starts afresh."""
        left = self.resumable(request, slug)
        if left is None:
            return None
        try:
            view = await run_in_threadpool(capture.progress, slug, left)
        except (NotFound, Gone):
            return None
        if view.completed:
            return None
        at = resume_screen(view.published.experience, view.answers, view.path)
        return RedirectResponse(path_for(request, "show_screen", slug=slug, response_id=left, screen_id=at), 303)

    def form_context(
        self,
        request: Request,
        slug: str,
        response_id: str | None,
        variant: str | None,
        previous: str | None,
        hidden: Mapping[str, str],
    ) -> dict[str, Any]:
        """What a screen's page adds for the respondent's way through: on the first screen, the
        variant and the new response's id its form carries; later, the links Back and Start over
        (which keeps the response's `hidden` values: the new response comes from the same link)."""
        if response_id is None:
            return {
                "variant_field": VARIANT_FIELD,
                "variant": self.form_variant(slug, variant),
                "start_field": START_FIELD,
                "start": self.form_start(slug),
            }
        query = urlencode({RESTART_PARAM: "1", **hidden}, quote_via=quote)
        return {"restart": f"{self.scope(request, slug)}?{query}", "previous": previous}

    @staticmethod
    def back(request: Request, slug: str, response_id: str, view: ResponseView, screen_id: str) -> str | None:
        """The screen before `screen_id` on the response's route so far, as a link ("Back")."""
        before = previous_screen(view.path, screen_id)
        if before is None:
            return None
        return path_for(request, "show_screen", slug=slug, response_id=response_id, screen_id=before)

    def resumable(self, request: Request, slug: str) -> str | None:
        """The response this browser left in progress, unless the link asks for a fresh start."""
        if self.restarting(request) or TOKEN_PARAM in request.query_params:
            return None
        left = self.passes.resume.read(request.cookies.get(self.passes.resume.name), slug)
        return left if left is not None and is_canonical_uuid(left) else None

    def wanted_variant(self, request: Request, slug: str, form_value: str | None = None) -> str | None:
        """The variant the first screen was shown as (its form's), else the one this browser was served before."""
        shown = self.passes.variant.read(form_value, slug)
        return shown or self.passes.variant.read(request.cookies.get(self.passes.variant.name), slug)

    def form_variant(self, slug: str, variant: str | None) -> str | None:
        return None if variant is None else self.passes.variant.issue(slug, variant)

    def form_start(self, slug: str) -> str:
        """A new response's id, signed, for a first screen's form."""
        return self.passes.start.issue(slug, str(uuid.uuid4()))

    def first_submit(self, request: Request, slug: str, pairs: list[tuple[str, str]]) -> FirstSubmit:
        def field(name: str) -> str | None:
            return next((v for k, v in pairs if k == name), None)

        start = self.passes.start.read(field(START_FIELD), slug)
        variant = self.wanted_variant(request, slug, field(VARIANT_FIELD))
        return FirstSubmit(variant, start if start is not None and is_canonical_uuid(start) else None)

    def shown_first(self, answer: Response, request: Request, slug: str, variant: str | None) -> None:
        """A first screen was shown: the variant sticks; a restart forgets the response left behind."""
        scope, secure = self.scope(request, slug), _secure(request)
        if variant is not None:
            self.passes.variant.grant(answer, scope, slug, variant, secure=secure)
        if self.restarting(request):
            self.passes.resume.withdraw(answer, scope, secure=secure)

    def in_progress(self, answer: Response, request: Request, slug: str, response_id: str, variant: str | None) -> None:
        """A screen was stored and the response goes on: this browser may come back to it."""
        scope, secure = self.scope(request, slug), _secure(request)
        self.passes.resume.grant(answer, scope, slug, response_id, secure=secure)
        if variant is not None:
            self.passes.variant.grant(answer, scope, slug, variant, secure=secure)

    def finished(self, answer: Response, request: Request, slug: str) -> None:
        """Complete: nothing is left to resume."""
        self.passes.resume.withdraw(answer, self.scope(request, slug), secure=_secure(request))

    def completed(self, answer: Response, request: Request, slug: str, response_id: str) -> None:
        """Complete, and the outcome follows: only this browser may see it, for a while."""
        self.finished(answer, request, slug)
        self.revisit.grant(answer, self.scope(request, slug) + "/", slug, response_id, secure=_secure(request))

    async def completion(
        self,
        capture: CaptureService,
        request: Request,
        slug: str,
        response_id: str,
        show: Callable[[Request, Experience, Result, Mapping[str, Any]], Response],
    ) -> Response:
        """The answer to the submit that completed a response (or found it complete, from this
        browser): 303 to the outcome with its pass; in a frame, the outcome itself (`show`)."""
        if framed(request):
            # In a frame on another site the pass is a third-party cookie, which browsers may
            # refuse: the outcome is shown in this answer instead of after a redirect.
            view = await run_in_threadpool(capture.progress, slug, response_id)
            keep_language(request, view.language)
            exp = view.published.experience
            chosen = None if view.outcome_id is None else result(exp, view.answers, view.outcome_id)
            if chosen is not None:
                shown = show(request, exp, chosen, piped_values(view))
                self.finished(shown, request, slug)
                return shown
        answer = RedirectResponse(path_for(request, "outcome", slug=slug, response_id=response_id), 303)
        self.completed(answer, request, slug, response_id)
        return answer

    def holds(self, request: Request, slug: str, response_id: str) -> bool:
        """Whether this browser holds a pass for `response_id`: it started or completed it here."""
        resumes = self.passes.resume.read(request.cookies.get(self.passes.resume.name), slug) == response_id
        return resumes or self.revisit.admits(request.cookies.get(REVISIT_COOKIE), slug, response_id)
