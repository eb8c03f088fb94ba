"""Consent keys and the subscription groups destinations map them to. Pure.

A consent box with `subscription_group: KEY` subscribes people to whatever group each destination
maps KEY to (`subscription_groups` in its settings); a destination without a mapping sends nothing
for it (docs/experiences.md, "Consent"). `unmapped` finds those gaps, so the commands can say so
instead of consents going nowhere in silence.

These functions read a definition in its stored form (the JSON `Experience.model_dump(mode="json",
by_alias=True)` makes, as published): listing destinations then needs no experience models.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from zeroparty.domain.destination_settings import DestinationSettings, SubscriptionGroup

# Stable ids for the demo's sandbox destination: the same key always maps to the same group.
_DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://zeroparty.invalid/demo/subscription-groups")

Definition = Mapping[str, Any]


@dataclass(frozen=True)
class Unmapped:
    """A consent an experience asks for that a destination maps to no subscription group."""

    experience: str  # the experience's slug
    consent_key: str
    destination: str


def subscription_keys(definition: Definition) -> list[str]:
    """The subscription group keys the definition's consent boxes name, in the order they are asked
    (`Consent.consent_key` of the boxes whose purpose is `subscription_group`)."""
    keys = (
        str(element["subscription_group"])
        for screen in definition.get("screens", [])
        for element in screen.get("elements", [])
        if element.get("type") == "consent" and element.get("purpose") == "subscription_group"
    )
    return list(dict.fromkeys(keys))


def unmapped(definitions: Iterable[Definition], destinations: Mapping[str, DestinationSettings]) -> list[Unmapped]:
    """Each (experience, consent key, destination) where the destination maps no group for the key."""
    return [
        Unmapped(str(definition["slug"]), key, name)
        for definition in definitions
        for key in subscription_keys(definition)
        for name, settings in destinations.items()
        if key not in settings.subscription_groups
    ]


def demo_group(key: str) -> SubscriptionGroup:
    """A made-up group for `key`, the same on every run: the sandbox takes any UUID. SMS when the
    key says so (`sms_offers`), email otherwise."""
    channel = "sms" if "sms" in key.lower().split("_") else "email"
    return SubscriptionGroup(id=str(uuid.uuid5(_DEMO_NAMESPACE, key)), channel=channel)


def with_demo_groups(settings: DestinationSettings, definitions: Iterable[Definition]) -> DestinationSettings:
    """`settings` with a demo group for every key of `definitions` it does not map yet (a mapping
    already there is kept)."""
    groups = dict(settings.subscription_groups)
    for definition in definitions:
        for key in subscription_keys(definition):
            groups.setdefault(key, demo_group(key))
    return settings.model_copy(update={"subscription_groups": groups})
