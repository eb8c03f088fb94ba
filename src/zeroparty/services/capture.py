"""Recording responses: validate against the published definition, then one atomic write of the
response, its answers and the outbox rows for its profile changes. Callers answer 2xx only after
this returns (the commit happened)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zeroparty.domain.answers import missing_required, validate_screen, validate_whole_response
from zeroparty.domain.consent import consent_records
from zeroparty.domain.definition import Outcome, Screen
from zeroparty.domain.external_ids import TokenProblem, verify_token
from zeroparty.domain.mapping import Changes, Progress, changes_to_send, completion_info
from zeroparty.domain.outcomes import choose_outcome
from zeroparty.errors import FieldError, Gone, InvalidInput, NotFound
from zeroparty.services.ports import (
    CaptureReader,
    CaptureStore,
    CaptureUnit,
    Published,
    ResponseWrite,
    StoredResponse,
)


@dataclass(frozen=True)
class ResponseView:
    """A response as its pages show it."""

    published: Published  # the version it started on, which it keeps
    answers: dict[str, Any]
    outcome_id: str | None
    completed: bool


class ScreenRefused(InvalidInput):
    """A screen's answers were refused (nothing was stored); carries what its page needs to show
    the screen again with them: the version the response runs on, the screen, the answers given."""

    def __init__(self, refused: InvalidInput, published: Published, screen: Screen, raw: Mapping[str, Any]) -> None:
        super().__init__(refused.errors, refused.summary)
        self.published = published
        self.screen = screen
        self.raw = dict(raw)


@dataclass(frozen=True)
class Submitted:
    response_id: str
    next_screen: Screen | None
    outcome: Outcome | None
    queued: int


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CaptureService:
    def __init__(
        self,
        store: CaptureStore,
        notify: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._store = store
        self._notify = notify
        self._clock = clock

    def notifying(self, notify: Callable[[], None]) -> CaptureService:
        """The same service on the same store (so one writer serves both), calling `notify` after
        each commit that queued outbox rows."""
        return CaptureService(self._store, notify, self._clock)

    # Reads go through `reading()`: a page view never waits for a writer's lock.

    def published(self, slug: str) -> Published:
        with self._store.reading() as view:
            return _published(view, slug)

    def check_external_id_token(self, slug: str, token: str) -> None:
        """InvalidInput naming `external_id_token` unless `slug`'s secret signed `token` and it has
        not expired (a hosted page checks the link before showing the first screen)."""
        with self._store.reading() as view:
            _published(view, slug)
            _external_id(view, slug, token, self._clock())

    def progress(self, slug: str, response_id: str) -> ResponseView:
        """The version a response runs on, its answers so far, its outcome and whether it is complete."""
        with self._store.reading() as view:
            pub, stored = _response_of(view, slug, response_id)
        return ResponseView(pub, stored.answers, stored.outcome_id, stored.completed_at is not None)

    def submit_screen(
        self,
        slug: str,
        response_id: str | None,
        screen_id: str | None,
        raw: Mapping[str, Any] | Callable[[Screen], Mapping[str, Any]],
        external_id_token: str | None = None,
    ) -> Submitted:
        """One screen's answers (`screen_id` None: the first screen), in one transaction. `raw` may
        be a function that reads them for the screen once it is known (a form's fields depend on
        its elements). A token is read only when the response starts (its first submit); later
        screens carry the external id stored with the response. A completed response takes no more
        answers (Gone); refused answers raise ScreenRefused, with what it takes to show them again."""
        now = self._clock()
        token = external_id_token
        done = self._store.run(lambda unit: _submit_screen(unit, slug, response_id, screen_id, raw, token, now))
        if done.queued:
            self._notify()
        return done

    def submit_whole(
        self,
        slug: str,
        answers: Mapping[str, Any],
        inputs: Mapping[str, Any],
        external_id_token: str | None = None,
    ) -> Submitted:
        now = self._clock()
        done = self._store.run(lambda unit: _submit_whole(unit, slug, answers, inputs, external_id_token, now))
        if done.queued:
            self._notify()
        return done


def _submit_screen(
    unit: CaptureUnit,
    slug: str,
    response_id: str | None,
    screen_id: str | None,
    given: Mapping[str, Any] | Callable[[Screen], Mapping[str, Any]],
    external_id_token: str | None,
    now: datetime,
) -> Submitted:
    if response_id is None:
        pub, before, is_new = _published(unit, slug), Progress({}), True
        external_id = _external_id(unit, slug, external_id_token, now)
        response_id = str(uuid.uuid4())
    else:
        pub, stored = _response_of(unit, slug, response_id)
        if stored.completed_at is not None:
            # Its link may sit in logs and histories: it is no key to a person's data any more.
            raise Gone(FieldError("response", f"response '{response_id}' is complete; nothing was changed"))
        before = Progress(stored.answers, stored.outcome_id)
        is_new, external_id = False, stored.external_id
    exp = pub.experience
    screen_id = screen_id or exp.screens[0].id
    index = next((i for i, s in enumerate(exp.screens) if s.id == screen_id), None)
    if index is None:
        raise NotFound(FieldError("screen", f"no screen '{screen_id}' in experience '{slug}'"))
    screen = exp.screens[index]
    raw = given(screen) if callable(given) else given
    last = index == len(exp.screens) - 1
    try:
        clean = validate_screen(screen, raw, exp, now.date())
        answers = {k: v for k, v in before.answers.items() if k not in {el.id for el in screen.elements}} | clean
        outcome = None
        if last:
            missing = missing_required(exp, answers)
            if missing:
                raise InvalidInput(missing, "earlier screens are incomplete")
            outcome = choose_outcome(exp, answers)
    except InvalidInput as exc:
        raise ScreenRefused(exc, pub, screen, raw) from None
    after = Progress(answers, outcome.id if outcome else before.outcome_id, completed=last)
    changes = changes_to_send(exp, before, after, now)
    write = ResponseWrite(
        response_id=response_id,
        version_id=pub.version_id,
        channel="page",
        is_new=is_new,
        answers={el.id: (screen.id, clean[el.id]) for el in screen.elements if el.id in clean},
        email=changes.email,
        outcome_id=after.outcome_id,
        completed=last,
        changes=changes.attributes,
        cleared=frozenset({el.id for el in screen.elements} - set(clean)),
        external_id=external_id,
        **_extras(pub, response_id, after, changes, before, now),
    )
    queued = unit.write(write, now)
    return Submitted(response_id, None if last else exp.screens[index + 1], outcome, queued)


def _submit_whole(
    unit: CaptureUnit,
    slug: str,
    answers: Mapping[str, Any],
    inputs: Mapping[str, Any],
    external_id_token: str | None,
    now: datetime,
) -> Submitted:
    pub = _published(unit, slug)
    external_id = _external_id(unit, slug, external_id_token, now)
    exp = pub.experience
    clean = validate_whole_response(exp, answers, inputs, now.date())
    outcome = choose_outcome(exp, clean)
    before, after = Progress({}), Progress(clean, outcome.id, completed=True)
    changes = changes_to_send(exp, before, after, now)
    screen_of = {el_id: s.id for el_id, (s, _el) in exp.elements().items()}
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
        **_extras(pub, response_id, after, changes, before, now),
    )
    queued = unit.write(write, now)
    return Submitted(response_id, None, outcome, queued)


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


TOKEN_FIELD = "external_id_token"


def _external_id(unit: CaptureReader, slug: str, token: str | None, now: datetime) -> str | None:
    """The external id a signed token names, checked against the experience's own secret; an
    InvalidInput naming `external_id_token` otherwise, before anything is written."""
    if token is None:
        return None
    secret = unit.experience_secret(slug)
    if secret is None:
        problem = f"experience '{slug}' accepts no external id tokens: it has no secret to check them with"
    else:
        try:
            return verify_token(token, secret, now.timestamp())
        except TokenProblem as exc:
            problem = str(exc)
    raise InvalidInput([FieldError(TOKEN_FIELD, problem)], "the external id token is refused")


def _published(unit: CaptureReader, slug: str) -> Published:
    pub = unit.published(slug)
    if pub is None:
        raise NotFound(FieldError("slug", f"no published experience '{slug}'"))
    return pub


def _response_of(unit: CaptureReader, slug: str, response_id: str) -> tuple[Published, StoredResponse]:
    stored = unit.response(response_id)
    if stored is None:
        raise NotFound(FieldError("response", f"no response '{response_id}'"))
    pub = unit.version(stored.version_id)
    if pub.experience.slug != slug:
        raise NotFound(FieldError("response", f"response '{response_id}' is not for experience '{slug}'"))
    return pub, stored
