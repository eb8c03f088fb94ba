"""The test send of `destinations test`: a synthetic completed response rendered by the engine's own
code, for one fixed test person per destination, and what it costs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.support.definitions import ROOT, sample
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.synthetic import data_points, synthetic_person, synthetic_send

NOW = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
VIP = Experience.model_validate(yaml.safe_load(Path(ROOT / "examples" / "vip-signup.yaml").read_text()))


def test_answers_are_normalised_as_capture_normalises_them() -> None:
    sent = synthetic_send("prod", DestinationSettings(), VIP, 2, NOW)
    [obj] = sent.track["attributes"]
    assert obj == {
        "email": "zeroparty-test+prod@example.com",
        "first_name": "Zeroparty",
        "phone": "+442079460958",  # typed "+44 (0)20 7946 0958": E.164, as capture stores it
        "dob": "1990-05-12",  # typed "12 May 1990"
        "gender": "F",  # the first option's braze_value
        "country": "GB",  # typed "United Kingdom"
        "shoe_size_eu": 30,  # within the element's min and max
        "special_date": "2000-01-01T00:00:00Z",  # a custom time attribute
        "vip_signup_completed_at": "2026-05-01T09:30:00Z",  # the completion time
    }
    assert "events" not in sent.track and sent.identify is None
    assert sent.points == 9  # email is billed like any attribute


def test_renames_exclusions_and_the_completion_event_are_those_of_the_destination() -> None:
    settings = DestinationSettings(
        renames={"skin_type": "skin"}, exclude=frozenset({"first_name"}), completion_event="quiz_completed"
    )
    sent = synthetic_send("Prod EU", settings, sample(), 3, NOW)
    [obj] = sent.track["attributes"]
    assert obj["skin"] == "dry" and "skin_type" not in obj and "first_name" not in obj
    assert "email_subscribe" not in obj  # no consent is ever given: nothing is subscribed
    [event] = sent.track["events"]
    assert event == {
        "email": "zeroparty-test+prod-eu@example.com",
        "name": "quiz_completed",
        "time": "2026-05-01T09:30:00Z",
        "properties": {
            "experience": "skin-quiz",
            "version": 3,
            "outcome": "hydration_boost",
            "response_id": "zeroparty-test",
        },
    }
    assert sent.points == len(obj) + 1


def test_an_external_id_destination_identifies_its_fixed_test_person_first() -> None:
    settings = DestinationSettings(identity="external_id", identify_emails=True)
    sent = synthetic_send("prod", settings, sample(), 1, NOW)
    [obj] = sent.track["attributes"]
    assert obj["external_id"] == "zeroparty-test-prod" and obj["email"] == "zeroparty-test+prod@example.com"
    assert sent.identify == {
        "emails_to_identify": [
            {
                "external_id": "zeroparty-test-prod",
                "email": "zeroparty-test+prod@example.com",
                "prioritization": ["unidentified", "most_recently_updated"],
            }
        ]
    }
    again = synthetic_send("prod", settings, sample(), 1, datetime(2027, 1, 1, tzinfo=UTC))
    assert again.identity == sent.identity  # the same person every run, not a new profile
    assert synthetic_send("prod", DestinationSettings(identity="external_id"), sample(), 1, NOW).identify is None


def test_each_identity_finds_and_deletes_the_test_profile_by_what_it_sent() -> None:
    by_email = synthetic_person("Prod / EU!", DestinationSettings())
    assert by_email.email == "zeroparty-test+prod-eu@example.com"
    assert by_email.export_query() == {"email_address": "zeroparty-test+prod-eu@example.com"}
    assert by_email.delete_query() == {
        "email_addresses": [
            {"email": "zeroparty-test+prod-eu@example.com", "prioritization": ["most_recently_updated"]}
        ]
    }
    alias = synthetic_person("prod", DestinationSettings(identity="user_alias", alias_label="quiz"))
    ref = {"alias_name": "zeroparty-test+prod@example.com", "alias_label": "quiz"}
    assert alias.export_query() == {"user_aliases": [ref]} and alias.delete_query() == {"user_aliases": [ref]}
    external = synthetic_person("ÜÜ", DestinationSettings(identity="external_id"))
    assert external.external_id == "zeroparty-test-destination"
    assert external.delete_query() == {"external_ids": ["zeroparty-test-destination"]}


def test_without_an_experience_a_small_set_is_sent() -> None:
    sent = synthetic_send("prod", DestinationSettings(completion_event="done"), None, None, NOW)
    [obj] = sent.track["attributes"]
    assert obj == {
        "email": "zeroparty-test+prod@example.com",
        "zeroparty_test": True,
        "zeroparty_test_sent_at": "2026-05-01T09:30:00Z",
    }
    assert "events" not in sent.track  # no response completed: no completion event


@pytest.mark.parametrize(
    ("body", "points"),
    [
        ({"attributes": [{"email": "a@example.com", "x": 1}]}, 2),
        ({"attributes": [{"external_id": "c-1", "_update_existing_only": True, "x": 1}]}, 1),
        ({"attributes": [{"email": "a@example.com", "email_subscribe": "opted_in", "subscription_groups": []}]}, 1),
        ({"attributes": [{"user_alias": {}, "email": "a@example.com"}], "events": [{"name": "e"}]}, 2),
        ({}, 0),
    ],
)
def test_data_points_count_attributes_and_events_not_identifiers_or_subscriptions(
    body: dict[str, object], points: int
) -> None:
    assert data_points(body) == points
