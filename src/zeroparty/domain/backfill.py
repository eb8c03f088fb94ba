"""Backfill: a respondent's current profile as their stored answers make it, and the `--since`
date. Pure.

A destination added later gets what a destination present from the start would hold now: each
response's attributes (`mapping.profile_attributes`), and for a completed response its consents'
final state and its completion time, merged oldest response first so the newest answers win. No
completion event: an event is not a profile value, and sending it again would count it again (and
could start a campaign) every time a backfill runs.

No subscription state either (`email_subscribe`, subscription groups), unless asked: a consent
given in an old response is not today's state, and sending it would re-subscribe everyone who
unsubscribed in Braze since. For a destination naming people by external id, the respondent's
newest signed external id goes with the profile and keys it there (`ProfileChange.key_for`); the
email is sent as an attribute, as capture's rows are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from zeroparty.domain.experience.consent import EMAIL_SUBSCRIBE, final_consents
from zeroparty.domain.experience.mapping import iso_time, profile_attributes
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.profile_change import ProfileChange


@dataclass(frozen=True)
class StoredResponse:
    """One stored response of a respondent, with the definition of the version it ran on."""

    experience: Experience
    answers: Mapping[str, Any]
    outcome_id: str | None
    completed_at: datetime | None
    updated_at: datetime
    external_id: str | None = None  # from the signed token the response started with


@dataclass(frozen=True)
class Profile:
    """What a backfill works out for one respondent (queued as a `ProfileChange` without a completion)."""

    attributes: dict[str, Any] = field(default_factory=dict)
    subscription_groups: dict[str, str] = field(default_factory=dict)
    external_id: str | None = None  # the newest signed external id among the responses

    def change(self, email: str) -> ProfileChange | None:
        """What to queue for the respondent `email` (no completion), or None when there is nothing."""
        if not (self.attributes or self.subscription_groups):
            return None
        return ProfileChange(email, self.attributes, self.subscription_groups, None, self.external_id)


# Braze's subscription states among the attributes (https://www.braze.com/docs/api/objects_filters/user_attributes_object).
SUBSCRIPTION_ATTRIBUTES = frozenset({EMAIL_SUBSCRIBE, "push_subscribe"})


def current_profile(responses: Iterable[StoredResponse], with_consent: bool = False) -> Profile:
    """The respondent's profile from all their responses; a later-updated response wins per
    attribute. Subscription states only `with_consent`; custom consent attributes always."""
    profile = Profile()
    for r in sorted(responses, key=lambda r: r.updated_at):
        profile.attributes.update(profile_attributes(r.experience, r.answers, r.outcome_id))
        if r.external_id is not None:
            profile = Profile(profile.attributes, profile.subscription_groups, r.external_id)
        if r.completed_at is None:
            continue  # consents are held until a response completes (domain.experience.consent)
        consents = final_consents(r.experience, r.answers)
        profile.attributes.update(
            {k: v for k, v in consents.attributes.items() if with_consent or k not in SUBSCRIPTION_ATTRIBUTES}
        )
        if with_consent:
            profile.subscription_groups.update(consents.subscription_groups)
        if r.experience.completion_attribute is not None:
            profile.attributes[r.experience.completion_attribute] = iso_time(r.completed_at)
    return profile


def parse_since(text: str) -> datetime:
    """`YYYY-MM-DD` (midnight UTC) or an ISO 8601 time (UTC when it names no zone).

    Raises ValueError with a message fit to show after the option name."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[+HH:MM]") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
