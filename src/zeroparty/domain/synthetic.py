"""What `zeroparty destinations test` sends: one synthetic completed response, made into requests by
the engine's own rendering. Pure.

The answers are plausible raw input (the first option of each choice, a phone number as a person
types it, a country by its name) put through capture's validation and normalisers, then the
experience's mapping, then `braze_payload.render` and `plan_delivery` with the destination's
settings: so the test carries what a real delivery would, normalised, renamed, filtered, with the
completion event and the identify step when the destination has them. The test person is the same
on every run (one profile per destination, not a new one each time), under the reserved
`example.com` domain that no one can be mailed at.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from zeroparty.domain.braze_payload import (
    BrazeLimits,
    Change,
    UserChanges,
    identify_entry,
    plan_delivery,
    render,
)
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.answers import validate_elements
from zeroparty.domain.experience.consent import EMAIL_SUBSCRIBE
from zeroparty.domain.experience.elements import (
    Consent,
    Content,
    DateInput,
    Element,
    EmailInput,
    LongTextInput,
    MultiChoice,
    Nps,
    NumberInput,
    OpinionScale,
    Rating,
    SingleChoice,
    TextInput,
)
from zeroparty.domain.experience.mapping import completion_info, iso_time, profile_attributes
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.outcomes import choose_outcome

TEST_ATTRIBUTE = "zeroparty_test"
TEST_ITEM = "zeroparty-test"  # the item id and response id the test's change carries
# Raw answers for Braze's standard fields, as a respondent would type them: capture's normalisers
# turn them into Braze's formats (+442079460958, GB, en), which the test then shows.
_TYPED = {
    "first_name": "Zeroparty",
    "last_name": "Test",
    "home_city": "London",
    "gender": "other",
    "dob": "12 May 1990",
    "phone": "+44 (0)20 7946 0958",  # a number Ofcom keeps for drama: it rings no one
    "country": "United Kingdom",
    "language": "English",
    "time_zone": "Europe/London",
}
_TEXT = "Zeroparty test"
_DATE = "2000-01-01"
# Keys of an attributes object that cost no data point: identifiers and subscription states
# (https://www.braze.com/docs/user_guide/data/data_points/). `email` is billed ("Profile data:
# Email address"), even when it names the person.
_FREE_KEYS = frozenset(
    {"external_id", "user_alias", "braze_id", "_update_existing_only", EMAIL_SUBSCRIBE, "push_subscribe"}
    | {"subscription_groups"}
)


@dataclass(frozen=True)
class SyntheticPerson:
    """Who the test profile is for one destination: the same on every run."""

    email: str
    external_id: str | None  # for identity external_id
    alias: dict[str, str] | None  # for identity user_alias

    def export_query(self) -> dict[str, Any]:
        """How `/users/export/ids` finds the profile
        (https://www.braze.com/docs/api/endpoints/export/user_data/post_users_identifier)."""
        if self.external_id is not None:
            return {"external_ids": [self.external_id]}
        if self.alias is not None:
            return {"user_aliases": [self.alias]}
        return {"email_address": self.email}

    def delete_query(self) -> dict[str, Any]:
        """How `/users/delete` names the profile, by the identifier the test sent
        (https://www.braze.com/docs/api/endpoints/user_data/post_user_delete). Only the test ever
        writes to the test address, so by email it names one profile."""
        if self.external_id is not None:
            return {"external_ids": [self.external_id]}
        if self.alias is not None:
            return {"user_aliases": [self.alias]}
        return {"email_addresses": [{"email": self.email, "prioritization": ["most_recently_updated"]}]}

    @property
    def shown(self) -> str:
        return self.external_id or self.email


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "destination"


def synthetic_person(destination: str, settings: DestinationSettings) -> SyntheticPerson:
    """The fixed test person of `destination`: `zeroparty-test+<name>@example.com`, and for an
    external_id destination the external id `zeroparty-test-<name>`."""
    slug = _slug(destination)
    email = f"zeroparty-test+{slug}@example.com"
    if settings.identity == "external_id":
        return SyntheticPerson(email, f"zeroparty-test-{slug}", None)
    if settings.identity == "user_alias":
        return SyntheticPerson(email, None, {"alias_name": email, "alias_label": settings.alias_label})
    return SyntheticPerson(email, None, None)


def _number(el: NumberInput) -> int | float:
    value: float = 1.0
    if el.min is not None and value < el.min:
        value = el.min
    if el.max is not None and value > el.max:
        value = el.max
    if el.integer:
        return math.ceil(value)
    return int(value) if value == int(value) else value


def _typed(el: Element) -> Any:
    """What a respondent might enter for `el`; None for what a test never answers (the email is
    the test address; no consent is ever given, so nothing is subscribed)."""
    if isinstance(el, SingleChoice):
        return el.options[0].value
    if isinstance(el, MultiChoice):
        return [o.value for o in el.options[: el.min_selected or 1]]
    if isinstance(el, TextInput):
        return _TYPED.get(el.attribute or "", _TEXT[: el.max_length])
    if isinstance(el, NumberInput):
        return _number(el)
    if isinstance(el, DateInput):
        return _TYPED["dob"] if el.attribute == "dob" else _DATE
    if isinstance(el, LongTextInput):
        return _TEXT
    if isinstance(el, Rating | Nps | OpinionScale):
        return el.highest
    assert isinstance(el, EmailInput | Consent | Content)
    return None


def synthetic_answers(exp: Experience, today: date | None = None) -> dict[str, Any]:
    """A plausible answer to every question, as capture stores it: validated and normalised by
    the same code. An answer capture would refuse (a text longer than its element takes) is left out."""
    elements = [el for _screen, el in exp.elements().values()]
    raw = {el.id: value for el in elements if (value := _typed(el)) is not None}
    clean, _problems = validate_elements([el for el in elements if el.id in raw], raw, exp=exp, today=today)
    return clean


def synthetic_attributes(exp: Experience | None, now: datetime) -> tuple[dict[str, Any], str | None]:
    """The attributes of a completed test response, under zeroparty's attribute IDs, and its
    outcome: what `exp`'s mapping makes of synthetic answers (with the completion time), or a
    small set without an experience."""
    sent_at = iso_time(now)
    if exp is None:
        return {TEST_ATTRIBUTE: True, "zeroparty_test_sent_at": sent_at}, None
    answers = synthetic_answers(exp, now.date())
    outcome = choose_outcome(exp, answers).id
    attributes = profile_attributes(exp, answers, outcome)
    if exp.completion_attribute is not None:
        attributes[exp.completion_attribute] = sent_at
    return attributes, outcome


@dataclass(frozen=True)
class SyntheticSend:
    """The requests of one test, in order: `/users/identify` (when the destination identifies) and
    `/users/track`, and the data points the track request costs."""

    identity: SyntheticPerson
    identify: dict[str, Any] | None  # the /users/identify body
    track: dict[str, Any]  # the /users/track body
    points: int


class NotSendable(ValueError):
    """The test response cannot be sent to this destination; the message says why."""


def data_points(track: Mapping[str, Any]) -> int:
    """Data points a `/users/track` body costs: every attribute set (email included) and every
    event; identifiers and subscription states are free
    (https://www.braze.com/docs/user_guide/data/data_points/)."""
    attributes = sum(1 for obj in track.get("attributes", []) for key in obj if key not in _FREE_KEYS)
    return attributes + len(track.get("events", [])) + len(track.get("purchases", []))


def synthetic_send(
    destination: str, settings: DestinationSettings, exp: Experience | None, version: int | None, now: datetime
) -> SyntheticSend:
    """The test response for `destination`, rendered and batched as the engine renders a real one."""
    identity = synthetic_person(destination, settings)
    attributes, outcome = synthetic_attributes(exp, now)
    if settings.identity != "email":
        attributes["email"] = identity.email  # with another identifier, the address is an attribute
    completion = None if exp is None else completion_info(exp, version or 1, outcome, TEST_ITEM, now)
    change = Change(TEST_ITEM, identity.email, attributes, {}, completion, identity.external_id)
    rendered = render(UserChanges(identity.email, (change,)), settings, {}, full=True)
    limits = BrazeLimits(settings.max_objects, settings.batch_limits == "per_array")
    plan = plan_delivery([rendered], limits)
    if plan.unsendable:
        raise NotSendable(plan.unsendable[0].reason)
    track = plan.batches[0].body() if plan.batches else {}
    identify = None
    if identity.external_id is not None and settings.identify_emails:
        identify = {"emails_to_identify": [identify_entry(identity.email, identity.external_id)]}
    return SyntheticSend(identity, identify, track, data_points(track))
