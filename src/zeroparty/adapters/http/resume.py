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
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from zeroparty.adapters.http.page_values import TOKEN_PARAM, path_for
from zeroparty.adapters.http.respondent_pass import START_FIELD, RespondentPasses
from zeroparty.adapters.http.revisit import REVISIT_COOKIE, RevisitPass
from zeroparty.domain.untrusted import is_canonical_uuid

RESTART_PARAM = "restart"
VARIANT_FIELD = "zp_variant"  # the first screen's form: the variant it was shown as, signed


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


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

    def resumable(self, request: Request, slug: str) -> str | None:
        """The response this browser left in progress, unless the link asks for a fresh start."""
        if self.restarting(request) or TOKEN_PARAM in request.query_params:
            return None
        return self.passes.resume.read(request.cookies.get(self.passes.resume.name), slug)

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

    def holds(self, request: Request, slug: str, response_id: str) -> bool:
        """Whether this browser holds a pass for `response_id`: it started or completed it here."""
        resumes = self.passes.resume.read(request.cookies.get(self.passes.resume.name), slug) == response_id
        return resumes or self.revisit.admits(request.cookies.get(REVISIT_COOKIE), slug, response_id)
