"""Which consent keys a destination leaves unmapped, and the demo's stable made-up groups."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.definitions import ROOT, sample
from zeroparty.domain.consent_groups import demo_group, subscription_keys, unmapped, with_demo_groups
from zeroparty.domain.destination_config import apply_assignments
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.elements import Consent
from zeroparty.domain.experience.model import Experience

VIP_MODEL = Experience.model_validate(yaml.safe_load(Path(ROOT / "examples" / "vip-signup.yaml").read_text()))
VIP = VIP_MODEL.model_dump(mode="json", by_alias=True, exclude_none=True)  # as published
SAMPLE = sample().model_dump(mode="json", by_alias=True, exclude_none=True)
GROUP = "6f1c1e5a-7b9e-4a3c-9d2e-1f0a2b3c4d5e"


def test_the_keys_are_the_subscription_group_boxes_only() -> None:
    assert subscription_keys(VIP) == ["newsletter", "sms_offers"]  # not email_marketing: that is email_subscribe
    assert subscription_keys(SAMPLE) == []


def test_the_stored_form_gives_the_keys_the_model_gives() -> None:
    boxes = [el for _s, el in VIP_MODEL.elements().values() if isinstance(el, Consent)]
    assert subscription_keys(VIP) == [b.consent_key for b in boxes if b.purpose == "subscription_group"]


def test_each_key_a_destination_does_not_map_is_named_with_the_experience_and_the_destination() -> None:
    partly = apply_assignments(DestinationSettings(), [f"subscription_groups.newsletter={GROUP}"])
    gaps = unmapped([VIP, SAMPLE], {"prod": partly, "eu": DestinationSettings()})
    assert [(g.experience, g.consent_key, g.destination) for g in gaps] == [
        ("vip-signup", "newsletter", "eu"),
        ("vip-signup", "sms_offers", "prod"),
        ("vip-signup", "sms_offers", "eu"),
    ]
    assert unmapped([VIP], {}) == []


def test_the_demo_maps_every_key_to_the_same_group_on_every_run_and_keeps_a_mapping_made_by_hand() -> None:
    mapped = with_demo_groups(DestinationSettings(), [VIP])
    assert unmapped([VIP], {"braze-sandbox": mapped}) == []
    assert mapped.subscription_groups["newsletter"].channel == "email"
    assert mapped.subscription_groups["sms_offers"].channel == "sms"
    assert with_demo_groups(mapped, [VIP]) == mapped == with_demo_groups(DestinationSettings(), [VIP])
    assert demo_group("newsletter").id != demo_group("sms_offers").id
    by_hand = apply_assignments(DestinationSettings(), [f"subscription_groups.newsletter={GROUP}"])
    assert with_demo_groups(by_hand, [VIP]).subscription_groups["newsletter"].id == GROUP
