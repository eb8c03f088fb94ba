"""What an experience will cost in Braze data points at one destination, known before anything is
sent: from the definition's mapping and the destination's settings. Pure.

Braze bills every attribute set on a profile, the email address included, and each custom event;
subscription states and identifiers are free
(https://www.braze.com/docs/user_guide/data/data_points/). With the record of what a destination
holds (docs/delivery.md), an answer the person gave before is not sent again, so:

- a first completed response costs one point per attribute it sets, one for the email where it is
  sent as an attribute (identity `user_alias` or `external_id`), and one for the completion event;
- a repeat respondent whose answers are identical costs only what changes by nature: the
  completion time attribute (a new time) and the completion event (a new response);
- each answer that changed costs one more.

A repeat after the record's age limit (`dedupe_max_age`) costs what a first response does.
"""

from __future__ import annotations

from dataclasses import dataclass

from zeroparty.domain.braze_payload import SUBSCRIPTION_FIELDS
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.elements import Consent, EmailInput
from zeroparty.domain.experience.model import Experience


@dataclass(frozen=True)
class Forecast:
    attributes: int  # billable attributes a response that answers everything sets
    email: int  # 1 when the email is sent as an attribute
    event: int  # 1 when the destination sends a completion event
    completion_time: int  # 1 when the experience writes its completion time

    @property
    def first(self) -> int:
        """A first completed response that answers every question."""
        return self.attributes + self.email + self.event

    @property
    def repeat(self) -> int:
        """A repeat respondent whose answers are all the same as before."""
        return self.completion_time + self.event

    def first_text(self) -> str:
        parts = [f"{self.attributes} attribute(s)"] + ["the email"] * self.email + ["the event"] * self.event
        return f"up to {self.first} ({', '.join(parts)})"

    def repeat_text(self) -> str:
        return f"{self.repeat} if unchanged, +1 per changed answer"


def attribute_names(exp: Experience) -> list[str]:
    """Every attribute the experience may set, under its own names (before a destination renames)."""
    names = [
        el.attribute
        for _screen, el in exp.elements().values()
        if el.attribute is not None and not isinstance(el, EmailInput | Consent)
    ]
    consents = [el for _s, el in exp.elements().values() if isinstance(el, Consent)]
    names += [el.consent_key for el in consents if el.purpose == "custom"]
    outcome = (exp.outcome_attribute, exp.completion_attribute, exp.score_attribute, exp.products_attribute)
    names += [n for n in outcome if n is not None]
    return list(dict.fromkeys(names))


def forecast(exp: Experience, settings: DestinationSettings) -> Forecast:
    sent = [n for n in attribute_names(exp) if n not in settings.exclude]
    billable = [n for n in sent if n not in SUBSCRIPTION_FIELDS]
    completion = exp.completion_attribute
    return Forecast(
        attributes=len(billable),
        email=int(settings.identity in ("user_alias", "external_id")),
        event=int(settings.completion_event is not None),
        completion_time=int(completion is not None and completion not in settings.exclude),
    )
