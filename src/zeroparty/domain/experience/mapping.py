"""From answers to Braze profile changes: attribute IDs are Braze attribute names.

Each element's value goes out as the Braze type it is
(https://www.braze.com/docs/user_guide/data/activation/custom_data/data_types/): a choice as a string
(its option's `braze_value` when it has one), a multi-choice as an array of strings, a number as a
number, a consent as a boolean, a date as a time (ISO 8601; `dob` takes YYYY-MM-DD). Top-level time
attributes take an ISO 8601 string; `{"$time": …}` is only for times inside nested objects, which
no element writes. Consents follow `domain.experience.consent`: held until the response completes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from zeroparty.domain.experience.consent import OPTED_IN, ConsentChanges, final_consents, settled_changes
from zeroparty.domain.experience.elements import Consent, DateInput, Element, EmailInput, MultiChoice, SingleChoice
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.outcomes import outcome_attributes

__all__ = ["OPTED_IN", "Changes", "Progress", "changes_to_send", "completion_info", "profile_attributes"]


def iso_time(moment: datetime) -> str:
    """ISO 8601 in UTC, to the second: 2026-05-01T09:30:00Z."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _single(el: SingleChoice, value: Any) -> Any:
    return next((o.sent for o in el.options if o.value == value), value)


def _multi(el: MultiChoice, value: Any) -> Any:
    sent = {o.value: o.sent for o in el.options}
    return [sent.get(v, v) for v in value]


def _date(el: DateInput, value: Any) -> Any:
    # Braze's dob takes a plain date; a custom time attribute a full ISO 8601 time (midnight UTC).
    return value if el.attribute == "dob" else f"{value}T00:00:00Z"


# Element type -> its answer as Braze takes it; types not listed send the stored value as it is.
_BRAZE_VALUE: dict[type[Any], Callable[[Any, Any], Any]] = {
    SingleChoice: _single,
    MultiChoice: _multi,
    DateInput: _date,
}


def braze_value(el: Element, value: Any) -> Any:
    convert = _BRAZE_VALUE.get(type(el))
    return convert(el, value) if convert else value


def profile_attributes(
    exp: Experience,
    answers: Mapping[str, Any],
    outcome_id: str | None,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Braze attributes (name -> value) these answers set, consents aside (`domain.experience.consent`
    decides when those go out), and the variables given (their final values, once the response
    completes). The email is the identifier and is not among them."""
    attrs: dict[str, Any] = {}
    for var in exp.declared_variables:
        if var.attribute is not None and variables is not None and var.id in variables:
            attrs[var.attribute] = variables[var.id]
    for element_id, (_screen, el) in exp.elements().items():
        if element_id not in answers or isinstance(el, EmailInput | Consent) or el.attribute is None:
            continue
        attrs[el.attribute] = braze_value(el, answers[element_id])
    for hidden in exp.hidden():
        if hidden.attribute is not None and hidden.key in answers:
            attrs[hidden.attribute] = answers[hidden.key]
    if outcome_id is not None and exp.outcome_attribute is not None:
        attrs[exp.outcome_attribute] = outcome_id
    if outcome_id is not None:  # the score and the products go out with the outcome, not before
        attrs.update(outcome_attributes(exp, answers))
    return attrs


def respondent_email(exp: Experience, answers: Mapping[str, Any]) -> str | None:
    email_el = exp.email_element()
    if email_el is None:
        return None
    value = answers.get(email_el.id)
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Progress:
    """Where a response stands: its answers, its outcome, whether it has completed."""

    answers: Mapping[str, Any]
    outcome_id: str | None = None
    completed: bool = False
    variables: Mapping[str, Any] | None = None  # given once final: when the response completes


@dataclass(frozen=True)
class Changes:
    """What one submit sends for `email`; nothing when `email` is None or everything is empty."""

    email: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    subscription_groups: dict[str, str] = field(default_factory=dict)
    completes: bool = False  # the completion goes out with these changes


def _consent_changes(exp: Experience, before: Progress, after: Progress, full: bool) -> ConsentChanges:
    if after.completed and (full or not before.completed):
        return final_consents(exp, after.answers)
    if before.completed:
        return settled_changes(exp, before.answers, after.answers)
    return ConsentChanges({}, {})  # not settled yet: held


def changes_to_send(exp: Experience, before: Progress, after: Progress, now: datetime) -> Changes:
    """What a submit must send: only what changed, unless the respondent's email is new, in which
    case everything captured so far (it could not be sent without it). Consents go out with the
    submit that completes the response, as their final state; after that, as they change."""
    email = respondent_email(exp, after.answers)
    if email is None:
        return Changes(None)
    now_attrs = profile_attributes(exp, after.answers, after.outcome_id, after.variables)
    full = respondent_email(exp, before.answers) != email
    if full:
        attrs = now_attrs
    else:
        was = profile_attributes(exp, before.answers, before.outcome_id, before.variables)
        attrs = {k: v for k, v in now_attrs.items() if k not in was or was[k] != v}
        # An answer withdrawn on a revisited screen unsets its attribute (Braze: null unsets).
        attrs.update({k: None for k in was if k not in now_attrs})
    consents = _consent_changes(exp, before, after, full)
    attrs.update(consents.attributes)
    completes = after.completed and (full or not before.completed)
    if completes and exp.completion_attribute is not None:
        attrs[exp.completion_attribute] = iso_time(now)
    return Changes(email, attrs, consents.subscription_groups, completes)


def completion_info(
    exp: Experience, version: int, outcome_id: str | None, response_id: str, now: datetime
) -> dict[str, Any]:
    """The completion a destination may turn into a custom event (`DestinationSettings.completion_event`)."""
    return {
        "experience": exp.slug,
        "version": version,
        "outcome": outcome_id,
        "response_id": response_id,
        "time": iso_time(now),
    }
