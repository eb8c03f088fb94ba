"""Consent: what a consent box sends to Braze, when, and the audit record of each change. Pure.

A consent is held until the response settles (completes): the completing submit sends each box's
final state, so a consent given and withdrawn within one response leaves Braze as it was, and an
abandoned response sends no consent at all. Once settled, a change is a decision of its own and
goes out at once; withdrawing a consent that was sent unsubscribes.

Braze's states: `email_subscribe` takes opted_in / subscribed / unsubscribed, and a subscription
group subscribed / unsubscribed (https://www.braze.com/docs/api/objects_filters/user_attributes_object,
https://www.braze.com/docs/api/endpoints/user_data/post_user_track).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from zeroparty.domain.experience.elements import Consent
from zeroparty.domain.experience.model import Experience

OPTED_IN = "opted_in"
SUBSCRIBED = "subscribed"
UNSUBSCRIBED = "unsubscribed"
EMAIL_SUBSCRIBE = "email_subscribe"


@dataclass(frozen=True)
class ConsentRecord:
    """One consent given or withdrawn, kept for audit with the exact text the person saw."""

    element_id: str
    purpose: str  # email_marketing | subscription_group | custom
    consent_key: str  # email_marketing, the subscription group's key, or the custom attribute
    given: bool  # False: withdrawn (an opt-out box ticked, or an opt-in box unticked)
    text: str


@dataclass
class ConsentChanges:
    attributes: dict[str, Any]  # email_subscribe and custom consent attributes
    subscription_groups: dict[str, str]  # consent key -> subscribed | unsubscribed


def _consents(exp: Experience) -> Iterator[Consent]:
    return (el for _s, el in exp.elements().values() if isinstance(el, Consent))


def _ticked(answers: Mapping[str, Any], el: Consent) -> bool:
    return answers.get(el.id) is True


def consent_state(el: Consent, ticked: bool, withdrawn: bool = False) -> Any:
    """What Braze gets for this box: ticked (given, or for an opt-out box, refused) or `withdrawn`
    (an opt-in box unticked after its consent was sent); None: nothing. Leaving an opt-in box
    unticked is not unsubscribing, so it sends nothing."""
    if el.purpose == "custom":
        return ticked
    if ticked and not el.opt_out:
        return OPTED_IN if el.purpose == "email_marketing" else SUBSCRIBED
    if (ticked and el.opt_out) or (withdrawn and not el.opt_out):
        return UNSUBSCRIBED
    return None


def _put(changes: ConsentChanges, el: Consent, state: Any) -> None:
    if state is None:
        return
    if el.purpose == "subscription_group":
        changes.subscription_groups[el.consent_key] = state
    else:
        changes.attributes[EMAIL_SUBSCRIBE if el.purpose == "email_marketing" else el.consent_key] = state


def final_consents(exp: Experience, answers: Mapping[str, Any]) -> ConsentChanges:
    """Each answered box's final state: what the completing submit sends."""
    changes = ConsentChanges({}, {})
    for el in _consents(exp):
        if el.id in answers:
            _put(changes, el, consent_state(el, _ticked(answers, el)))
    return changes


def settled_changes(exp: Experience, before: Mapping[str, Any], after: Mapping[str, Any]) -> ConsentChanges:
    """Boxes changed after the response settled: each change goes out, a withdrawal unsubscribes."""
    changes = ConsentChanges({}, {})
    for el in _consents(exp):
        was, now = _ticked(before, el), _ticked(after, el)
        if was != now or (el.purpose == "custom" and (el.id in before) != (el.id in after)):
            _put(changes, el, consent_state(el, now, withdrawn=was and not now))
    return changes


def consent_records(exp: Experience, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[ConsentRecord]:
    """A record for every box whose state this submit changed (an unticked box starts unticked)."""
    return [
        ConsentRecord(el.id, el.purpose, el.consent_key, _ticked(after, el) != el.opt_out, el.label)
        for el in _consents(exp)
        if el.id in after and _ticked(before, el) != _ticked(after, el)
    ]
