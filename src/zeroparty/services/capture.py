"""Recording responses: validate against the published definition, then one atomic write of the
response, its answers and the outbox rows for its profile changes. Callers answer 2xx only after
this returns (the commit happened)."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from zeroparty.domain.experience.answers import missing_required, validate_screen, validate_whole_response
from zeroparty.domain.experience.consent import consent_records
from zeroparty.domain.experience.funnel import Event, EventKind
from zeroparty.domain.experience.hidden import NO_SCREEN
from zeroparty.domain.experience.i18n import choose_language
from zeroparty.domain.experience.logic import Route, route, settled_route
from zeroparty.domain.experience.mapping import Changes, Progress, changes_to_send, completion_info
from zeroparty.domain.experience.model import Experience, Outcome, Screen
from zeroparty.domain.experience.outcomes import choose_outcome
from zeroparty.domain.start_limits import StartLimiter
from zeroparty.errors import FieldError, Gone, InvalidInput, NotFound
from zeroparty.services.admission import FREE, Arrival, admit_start, check_start_page, check_trap, open_at
from zeroparty.services.admission import ExperienceClosed as ExperienceClosed  # where pages have found it
from zeroparty.services.analytics_ports import EventRecorder, NoEvents
from zeroparty.services.ports import (
    CaptureReader,
    CaptureStore,
    CaptureUnit,
    Published,
    ResponseExists,
    ResponseWrite,
    StoredResponse,
)
from zeroparty.services.start_values import HIDDEN_FIELD as HIDDEN_FIELD
from zeroparty.services.start_values import TOKEN_FIELD as TOKEN_FIELD
from zeroparty.services.start_values import start_external_id, start_hidden
from zeroparty.services.variant_choice import named, served

Admit = Callable[[CaptureUnit, Published], None]  # refuses a response about to start (services/admission.py)


class AlreadyComplete(Gone):
    """A submit of a response that is complete already (a double click, a second tab, a retry after
    a timeout): nothing was changed. Its page decides whether this browser may see the outcome."""

    def __init__(self, response_id: str, outcome_id: str | None) -> None:
        super().__init__(FieldError("response", f"response '{response_id}' is complete; nothing was changed"))
        self.response_id = response_id
        self.outcome_id = outcome_id


@dataclass(frozen=True)
class Choice:
    """Which A/B variant a starting response gets and under which id: `variant` is the one its
    first screen was shown as (`strict`: a client named it, so it must exist), `u` the uniform
    random number one is otherwise drawn with; `start_id` the id its first screen's form was given
    (a second submit of that form is a submit of that response)."""

    variant: str | None = None
    u: float = 0.0
    strict: bool = False
    start_id: str | None = None


@dataclass(frozen=True)
class ResponseView:
    """A response as its pages show it."""

    published: Published  # the version it started on, which it keeps
    answers: dict[str, Any]
    outcome_id: str | None
    completed: bool
    variables: dict[str, Any] = field(default_factory=dict)  # for piping {{name}}
    variant: str | None = None  # the A/B variant it was served
    path: tuple[str, ...] = ()  # the screens submitted so far, in route order
    language: str | None = None  # the language its pages are shown in (chosen on its first screen)


class ScreenRefused(InvalidInput):
    """A screen's answers were refused (nothing was stored); carries what its page needs to show
    the screen again with them: the version the response runs on, the screen, the answers given."""

    def __init__(
        self,
        refused: InvalidInput,
        published: Published,
        screen: Screen,
        raw: Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        language: str | None = None,
    ) -> None:
        super().__init__(refused.errors, refused.summary)
        self.published = published
        self.screen = screen
        self.raw = dict(raw)
        self.values = dict(values or {})  # what its texts pipe ({{name}}): the answers and variables so far
        self.language = language  # the response's language, once it has one


@dataclass(frozen=True)
class Submitted:
    response_id: str
    next_screen: Screen | None
    outcome: Outcome | None
    queued: int
    variant: str | None = None  # the A/B variant the response was served


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CaptureService:
    def __init__(
        self,
        store: CaptureStore,
        notify: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = _utcnow,
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

    def submit_screen(
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
    ) -> Submitted:
        """One screen's answers (`screen_id` None: the first screen), in one transaction. `raw` may
        be a function that reads them for the screen once it is known (a form's fields depend on
        its elements). A token and the hidden values (`domain.experience.hidden`) are read only when
        the response starts (its first submit); later screens carry what was stored with the
        response. A completed response takes no more answers (Gone); refused answers raise
        ScreenRefused, with what it takes to show them again. `time_on_screen_ms` goes to the
        analytics event of the submit. `arrival` says where a starting response comes from
        (services/admission.py); spam protection may set the submit aside (Discarded). `variant` and
        `start_id` come with a first screen's form (`Choice`); `language` is the language the
        first screen was shown in, kept with a new response (one the experience does not declare is
        kept as its own)."""
        now = self._clock()
        token, admit = external_id_token, self._admit(arrival, now)
        choice = Choice(variant, self._draw(), start_id=start_id)

        def work(unit: CaptureUnit) -> _Done:
            return _submit_screen(
                unit, slug, response_id, screen_id, raw, token, hidden, now, admit, arrival, choice, language
            )

        try:
            done = self._store.run(work)
        except ResponseExists:  # its form was submitted to another server too, which stored it first
            done = self._store.run(work)
        if done.submitted.queued:
            self._notify()
        self._record(done, slug, now, time_on_screen_ms)
        return done.submitted

    def submit_whole(
        self,
        slug: str,
        answers: Mapping[str, Any],
        inputs: Mapping[str, Any],
        external_id_token: str | None = None,
        hidden: Mapping[str, Any] | None = None,
        arrival: Arrival = FREE,
        variant: str | None = None,
    ) -> Submitted:
        """A whole response in one call (the JSON API). It gets an A/B variant by the same draw as
        the hosted page's, unless it names one (`variant`, which must exist)."""
        now = self._clock()
        admit, choice = self._admit(arrival, now), Choice(variant, self._draw(), strict=True)
        done = self._store.run(
            lambda unit: _submit_whole(unit, slug, answers, inputs, external_id_token, hidden or {}, now, admit, choice)
        )
        if done.submitted.queued:
            self._notify()
        self._record(done, slug, now)
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


@dataclass(frozen=True)
class _Done:
    """A committed submit: what the caller is told, and what its analytics events are made of."""

    submitted: Submitted
    write: ResponseWrite
    version: int
    screen_id: str | None = None


def _submit_screen(
    unit: CaptureUnit,
    slug: str,
    response_id: str | None,
    screen_id: str | None,
    given_raw: Mapping[str, Any] | Callable[[Screen], Mapping[str, Any]],
    external_id_token: str | None,
    hidden: Mapping[str, Any] | None,
    now: datetime,
    admit: Admit,
    arrival: Arrival,
    choice: Choice,
    asked_language: str | None = None,
) -> _Done:
    language = None  # the response's: its first screen's language, kept with it when it is new
    if response_id is None and choice.start_id is not None and unit.response(choice.start_id) is not None:
        response_id = choice.start_id  # its first screen, submitted again (a double click, a retry)
    if response_id is None:
        pub, variant = served(unit, _published(unit, slug, now), choice.variant, choice.u)
        before, is_new = Progress({}), True
        given = start_hidden(pub, hidden or {})
        external_id = start_external_id(unit, slug, external_id_token, now)
        declared = pub.experience.languages
        language = choose_language(asked_language, None, declared, pub.experience.default_language)[0]
        response_id = choice.start_id or str(uuid.uuid4())
        piped: dict[str, Any] = dict(given)
    else:
        pub, stored = _response_of(unit, slug, response_id)
        if stored.completed_at is not None:
            # Its link may sit in logs and histories: it is no key to a person's data any more.
            raise AlreadyComplete(response_id, stored.outcome_id)
        open_at(pub, now)
        check_trap(pub, arrival)
        before = Progress(stored.answers, stored.outcome_id)
        is_new, external_id, given, variant = False, stored.external_id, {}, stored.variant
        piped = {**stored.answers, **stored.variables}
        language = stored.language
    exp = pub.experience
    screen = next((s for s in exp.screens if s.id == (screen_id or exp.screens[0].id)), None)
    if screen is None:
        raise NotFound(FieldError("screen", f"no screen '{screen_id}' in experience '{slug}'"))
    raw = given_raw(screen) if callable(given_raw) else given_raw
    try:
        clean = validate_screen(screen, raw, exp, now.date())
        # Hidden values are the response's inputs: the rules read them, no screen holds them.
        keys = {f.key for f in exp.hidden()}
        answers = {k: v for k, v in before.answers.items() if k not in {el.id for el in screen.elements}}
        answers |= given | clean
        inputs = {k: v for k, v in answers.items() if k in keys}
        step = _step(exp, screen, {k: v for k, v in answers.items() if k not in keys}, inputs)
    except InvalidInput as exc:
        raise ScreenRefused(exc, pub, screen, raw, piped, language) from None
    outcome = choose_outcome(exp, step.answers, step.route.variables, inputs) if step.completes else None
    after = Progress(
        step.answers | inputs if step.completes else answers,
        outcome.id if outcome else before.outcome_id,
        completed=step.completes,
        variables=step.route.variables if step.completes else None,
    )
    changes = changes_to_send(exp, before, after, now)
    stored_now = {el.id: (screen.id, clean[el.id]) for el in screen.elements if el.id in clean}
    stored_now |= {key: (NO_SCREEN, value) for key, value in given.items()}
    write = ResponseWrite(
        response_id=response_id,
        version_id=pub.version_id,
        channel="page",
        is_new=is_new,
        answers=stored_now,
        email=changes.email,
        outcome_id=after.outcome_id,
        completed=step.completes,
        changes=changes.attributes,
        cleared=frozenset({el.id for el in screen.elements} - set(clean)) | step.dropped,
        external_id=external_id,
        path=step.route.path,
        variables=step.route.variables,
        variant=variant,
        language=language,
        **_extras(pub, response_id, after, changes, before, now),
    )
    if is_new:  # last: answers refused (nothing stored) spend none of the client's starts
        admit(unit, pub)
    queued = unit.write(write, now)
    following = next((s for s in exp.screens if s.id == step.route.next), None)
    return _Done(Submitted(response_id, following, outcome, queued, variant), write, pub.version, screen.id)


def _submit_whole(
    unit: CaptureUnit,
    slug: str,
    answers: Mapping[str, Any],
    inputs: Mapping[str, Any],
    external_id_token: str | None,
    hidden: Mapping[str, Any],
    now: datetime,
    admit: Admit,
    choice: Choice,
) -> _Done:
    pub, variant = named(unit, _published(unit, slug, now), choice.variant, choice.u)
    external_id = start_external_id(unit, slug, external_id_token, now)
    exp = pub.experience
    given = start_hidden(pub, hidden)
    clean = validate_whole_response(exp, answers, inputs, now.date(), _visits(exp, given))
    whole = route(exp, clean, given)
    outcome = choose_outcome(exp, clean, whole.variables, given)
    clean |= given
    before, after = Progress({}), Progress(clean, outcome.id, completed=True, variables=whole.variables)
    changes = changes_to_send(exp, before, after, now)
    screen_of = {el_id: s.id for el_id, (s, _el) in exp.elements().items()} | dict.fromkeys(given, NO_SCREEN)
    response_id = str(uuid.uuid4())
    write = ResponseWrite(
        response_id=response_id,
        version_id=pub.version_id,
        channel="api",
        is_new=True,
        answers={k: (screen_of[k], v) for k, v in clean.items()},
        email=changes.email,
        outcome_id=outcome.id,
        completed=True,
        changes=changes.attributes,
        external_id=external_id,
        path=whole.path,
        variables=whole.variables,
        variant=variant,
        **_extras(pub, response_id, after, changes, before, now),
    )
    admit(unit, pub)
    queued = unit.write(write, now)
    return _Done(Submitted(response_id, None, outcome, queued, variant), write, pub.version)


@dataclass(frozen=True)
class _Step:
    route: Route  # up to and including the submitted screen
    completes: bool
    answers: dict[str, Any]  # what the rules read: answers of the screens on the route
    dropped: frozenset[str]  # answers of screens the completed route passes over, discarded


def _step(exp: Experience, screen: Screen, answers: Mapping[str, Any], inputs: Mapping[str, Any]) -> _Step:
    """Where a submit of `screen` leads. A screen the rules pass over for these answers takes
    none; when the route ends here, every required answer on it must be given, and answers left
    on screens it passes over (from before an earlier answer changed) are discarded."""
    found, read = settled_route(exp, answers, inputs, until=screen.id)
    if screen.id not in found.path:
        raise InvalidInput(
            [FieldError("screen", f"screen '{screen.id}' is skipped by the rules for this response's answers")],
            "this screen is not on the response's route",
        )
    if found.next is not None:
        return _Step(found, False, read, frozenset())
    missing = missing_required(exp, read, found.path)
    if missing:
        raise InvalidInput(missing, "earlier screens are incomplete")
    return _Step(found, True, read, frozenset(answers) - frozenset(read))


def _visits(exp: Experience, inputs: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], tuple[str, ...]]:
    return lambda clean: settled_route(exp, clean, inputs)[0].path


def _extras(
    pub: Published, response_id: str, after: Progress, changes: Changes, before: Progress, now: datetime
) -> dict[str, Any]:
    """The parts of a write beyond answers and attributes: subscription groups, the completion,
    and the consent records."""
    completion = (
        completion_info(pub.experience, pub.version, after.outcome_id, response_id, now) if changes.completes else None
    )
    return {
        "subscription_groups": changes.subscription_groups,
        "completion": completion,
        "consents": tuple(consent_records(pub.experience, before.answers, after.answers)),
    }


def _published(unit: CaptureReader, slug: str, now: datetime) -> Published:
    """The current version of `slug` while it takes responses; NotFound when it was never published
    or is unpublished, ExperienceClosed when it is closed (or past its closing time)."""
    pub = unit.published(slug)
    if pub is None:
        raise NotFound(FieldError("slug", f"no published experience '{slug}'"))
    return open_at(pub, now)


def _response_of(unit: CaptureReader, slug: str, response_id: str) -> tuple[Published, StoredResponse]:
    stored = unit.response(response_id)
    if stored is None:
        raise NotFound(FieldError("response", f"no response '{response_id}'"))
    pub = unit.version(stored.version_id)
    if pub.experience.slug != slug:
        raise NotFound(FieldError("response", f"response '{response_id}' is not for experience '{slug}'"))
    return pub, stored
