"""Recording responses: validate against the published definition, then one atomic write of the
response, its answers and the outbox rows for its profile changes. Callers answer 2xx only after
this returns (the commit happened)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Concatenate, ParamSpec

from zeroparty.domain.experience.funnel import Event, EventKind
from zeroparty.domain.experience.model import Screen
from zeroparty.domain.start_limits import StartLimiter
from zeroparty.services.admission import FREE, Arrival, admit_start, check_start_page, open_at
from zeroparty.services.admission import ExperienceClosed as ExperienceClosed  # where pages have found it
from zeroparty.services.analytics_ports import EventRecorder, NoEvents
from zeroparty.services.capture_results import AlreadyComplete as AlreadyComplete
from zeroparty.services.capture_results import Choice, ResponseView, Submitted
from zeroparty.services.clock import utcnow
from zeroparty.services.ports import (
    CaptureStore,
    CaptureUnit,
    Published,
    ResponseExists,
)
from zeroparty.services.start_values import HIDDEN_FIELD as HIDDEN_FIELD
from zeroparty.services.start_values import TOKEN_FIELD as TOKEN_FIELD
from zeroparty.services.start_values import start_external_id
from zeroparty.services.submits import Admit, _Done, _published, _response_of, _submit_screen, _submit_whole
from zeroparty.services.variant_choice import served


@dataclass(frozen=True)
class Prepared:
    """A submit ready to store: its transaction's work, and what its events are recorded with."""

    work: Callable[[CaptureUnit], _Done]
    slug: str
    now: datetime
    duration_ms: int | None = None
    # Run once more on ResponseExists: a first screen's form carries its response's id, so another
    # server may have stored the same form meanwhile (the second run sees it and goes on).
    retried: bool = False


P = ParamSpec("P")


def _committing(
    prepare: Callable[Concatenate[CaptureService, P], Prepared],
) -> Callable[Concatenate[CaptureService, P], Submitted]:
    """A method taking `prepare`'s arguments that commits what it prepares."""

    def submit(self: CaptureService, /, *args: P.args, **kwargs: P.kwargs) -> Submitted:
        return self.commit(prepare(self, *args, **kwargs))

    submit.__doc__ = f"`{prepare.__name__}`, committed."
    return submit


class CaptureService:
    def __init__(
        self,
        store: CaptureStore,
        notify: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
        events: EventRecorder | None = None,
        starts: StartLimiter | None = None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._notify = notify
        self._clock = clock
        self._events = events or NoEvents()  # recorded after the commit, never inside the transaction
        self._starts = starts or StartLimiter()  # responses started per client, for `settings.spam.rate_limit`
        self._draw = draw  # the uniform random number an A/B variant is drawn with

    def notifying(self, notify: Callable[[], None], events: EventRecorder | None = None) -> CaptureService:
        """The same service on the same store (so one writer serves both), calling `notify` after
        each commit that queued outbox rows, and recording analytics events to `events` (else to
        this one's)."""
        return CaptureService(self._store, notify, self._clock, events or self._events, self._starts, self._draw)

    # Reads go through `reading()`: a page view never waits for a writer's lock.

    def published(self, slug: str) -> Published:
        with self._store.reading() as view:
            return _published(view, slug, self._clock())

    def start_page(self, slug: str) -> Published:
        """`published`, for a first screen about to be shown: ResponseLimitReached (an
        ExperienceClosed) once the response limit is full."""
        with self._store.reading() as view:
            pub = _published(view, slug, self._clock())
            check_start_page(view, pub)
            return pub

    def first_screen(self, slug: str, wanted: str | None = None) -> tuple[Published, str | None]:
        """`start_page`, as the A/B variant a new respondent is shown (None without variants):
        `wanted` (the variant they were served before) while it exists, else one drawn by weight."""
        with self._store.reading() as view:
            pub = _published(view, slug, self._clock())
            check_start_page(view, pub)
            return served(view, pub, wanted, self._draw())

    def _admit(self, arrival: Arrival, now: datetime) -> Admit:
        return lambda unit, pub: admit_start(unit, pub, arrival, now, self._starts, time.monotonic())

    def check_external_id_token(self, slug: str, token: str) -> None:
        """InvalidInput naming `external_id_token` unless `slug`'s secret signed `token` and it has
        not expired (a hosted page checks the link before showing the first screen)."""
        with self._store.reading() as view:
            now = self._clock()
            _published(view, slug, now)
            start_external_id(view, slug, token, now)

    def progress(self, slug: str, response_id: str) -> ResponseView:
        """The version a response runs on, its answers so far, its outcome and whether it is complete."""
        with self._store.reading() as view:
            pub, stored = _response_of(view, slug, response_id)
        if stored.completed_at is None:  # an outcome already reached stays visible; answering stops
            open_at(pub, self._clock())
        return ResponseView(
            pub,
            stored.answers,
            stored.outcome_id,
            stored.completed_at is not None,
            dict(stored.variables),
            stored.variant,
            stored.path,
            stored.language,
        )

    def prepare_screen(
        self,
        slug: str,
        response_id: str | None,
        screen_id: str | None,
        raw: Mapping[str, Any] | Callable[[Screen], Mapping[str, Any]],
        external_id_token: str | None = None,
        hidden: Mapping[str, Any] | None = None,
        time_on_screen_ms: int | None = None,
        arrival: Arrival = FREE,
        variant: str | None = None,
        start_id: str | None = None,
        language: str | None = None,
    ) -> Prepared:
        """One screen's answers (`screen_id` None: the first screen), stored in one transaction by
        `commit` or `commit_async`. `raw` may be a function that reads them for the screen once it
        is known (a form's fields depend on its elements). A token and the hidden values
        (`domain.experience.hidden`) are read only when the response starts (its first submit);
        later screens carry what was stored with the response. A completed response takes no more
        answers (Gone); refused answers raise ScreenRefused, with what it takes to show them again.
        `time_on_screen_ms` goes to the analytics event of the submit. `arrival` says where a
        starting response comes from (services/admission.py); spam protection may set the submit
        aside (Discarded). `variant` and `start_id` come with a first screen's form (`Choice`);
        `language` is the language the first screen was shown in, kept with a new response (one
        the experience does not declare is kept as its own)."""
        now = self._clock()
        token, admit = external_id_token, self._admit(arrival, now)
        choice = Choice(variant, self._draw(), start_id=start_id)

        def work(unit: CaptureUnit) -> _Done:
            return _submit_screen(
                unit, slug, response_id, screen_id, raw, token, hidden, now, admit, arrival, choice, language
            )

        return Prepared(work, slug, now, time_on_screen_ms, retried=True)

    def prepare_whole(
        self,
        slug: str,
        answers: Mapping[str, Any],
        inputs: Mapping[str, Any],
        external_id_token: str | None = None,
        hidden: Mapping[str, Any] | None = None,
        arrival: Arrival = FREE,
        variant: str | None = None,
    ) -> Prepared:
        """A whole response in one call (the JSON API). It gets an A/B variant by the same draw as
        the hosted page's, unless it names one (`variant`, which must exist)."""
        now = self._clock()
        admit, choice = self._admit(arrival, now), Choice(variant, self._draw(), strict=True)
        token = external_id_token
        return Prepared(
            lambda unit: _submit_whole(unit, slug, answers, inputs, token, hidden or {}, now, admit, choice), slug, now
        )

    def commit(self, p: Prepared) -> Submitted:
        """Store a prepared submit; returns once it is committed."""
        try:
            done = self._store.run(p.work)
        except ResponseExists:
            if not p.retried:
                raise
            done = self._store.run(p.work)
        return self._committed(p, done)

    async def commit_async(self, p: Prepared) -> Submitted:
        """`commit` for a coroutine: the event loop goes on while the store writes, and no thread
        waits for it (handing each request to a thread cost more CPU than its HTTP handling;
        docs/capture.md, "Throughput")."""
        try:
            done = await self._store.run_async(p.work)
        except ResponseExists:
            if not p.retried:
                raise
            done = await self._store.run_async(p.work)
        return self._committed(p, done)

    submit_screen = _committing(prepare_screen)  # for callers on a thread
    submit_whole = _committing(prepare_whole)

    def _committed(self, p: Prepared, done: _Done) -> Submitted:
        """After the commit: wake the delivery worker when rows were queued, record the events."""
        if done.submitted.queued:
            self._notify()
        self._record(done, p.slug, p.now, p.duration_ms)
        return done.submitted

    def _record(self, done: _Done, slug: str, now: datetime, duration_ms: int | None = None) -> None:
        """The analytics events of a committed write: its start, the screen submitted, its completion."""
        w = done.write
        start = Event(EventKind.START, slug, now, done.version, w.response_id, variant=w.variant)
        if w.is_new:
            self._events.record(start)
        if done.screen_id is not None:
            self._events.record(
                replace(start, kind=EventKind.SCREEN_SUBMIT, screen_id=done.screen_id, duration_ms=duration_ms)
            )
        if w.completed:
            self._events.record(replace(start, kind=EventKind.COMPLETE, outcome_id=w.outcome_id))
