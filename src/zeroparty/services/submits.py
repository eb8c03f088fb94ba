"""One submit inside its transaction: the hosted page's screen by screen (`_submit_screen`), the
JSON API's whole response at once (`_submit_whole`). Each reads what it needs through the unit
it is given, decides in the domain, and writes once; `CaptureService` runs them in the store's
transaction and records what they did."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zeroparty.domain.experience.answers import missing_required, validate_screen, validate_whole_response
from zeroparty.domain.experience.consent import consent_records
from zeroparty.domain.experience.hidden import NO_SCREEN
from zeroparty.domain.experience.i18n import choose_language
from zeroparty.domain.experience.logic import Route, route, settled_route
from zeroparty.domain.experience.mapping import Changes, Progress, changes_to_send, completion_info
from zeroparty.domain.experience.model import Experience, Screen
from zeroparty.domain.experience.outcomes import choose_outcome
from zeroparty.errors import FieldError, InvalidInput, NotFound
from zeroparty.services.admission import Arrival, check_trap, open_at
from zeroparty.services.admission import ExperienceClosed as ExperienceClosed  # where pages have found it
from zeroparty.services.capture_results import AlreadyComplete, Choice, ScreenRefused, Submitted
from zeroparty.services.ports import (
    CaptureReader,
    CaptureUnit,
    Published,
    ResponseWrite,
    StoredResponse,
)
from zeroparty.services.start_values import HIDDEN_FIELD as HIDDEN_FIELD
from zeroparty.services.start_values import TOKEN_FIELD as TOKEN_FIELD
from zeroparty.services.start_values import start_external_id, start_hidden
from zeroparty.services.variant_choice import named, served

Admit = Callable[[CaptureUnit, Published], None]  # refuses a response about to start (services/admission.py)


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
