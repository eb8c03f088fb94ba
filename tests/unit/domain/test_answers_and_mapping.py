from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.definitions import sample
from zeroparty.domain.experience.answers import validate_screen, validate_whole_response
from zeroparty.domain.experience.mapping import Changes, Progress, changes_to_send, profile_attributes
from zeroparty.domain.experience.outcomes import choose_outcome
from zeroparty.errors import InvalidInput

EXP = sample()
NOW = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
FULL: dict[str, Any] = {
    "skin_type": "dry",
    "skin_goals": ["hydration", "fine_lines"],
    "routine_length": "short",
    "email": "Ada@Example.COM",
    "first_name": " Ada ",
    "marketing_opt_in": True,
}


def split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    choices = {"skin_type", "skin_goals", "routine_length"}
    return ({k: v for k, v in values.items() if k in choices}, {k: v for k, v in values.items() if k not in choices})


def test_whole_response_is_normalised() -> None:
    clean = validate_whole_response(EXP, *split(FULL))
    assert clean["email"] == "ada@example.com"
    assert clean["first_name"] == "Ada"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"skin_type": "purple"}, "answers.skin_type", "'purple' is not an option"),
        ({"skin_goals": "hydration"}, "answers.skin_goals", "must be a list"),
        ({"skin_goals": ["hydration", "hydration"]}, "answers.skin_goals", "must not repeat"),
        ({"skin_goals": ["hydration", "breakouts", "dark_spots", "fine_lines"]}, "answers.skin_goals", "at most 3"),
        ({"email": "not-an-email"}, "inputs.email", "email"),
        ({"email": None}, "inputs.email", "is required"),
        ({"marketing_opt_in": "yes"}, "inputs.marketing_opt_in", "true or false"),
        ({"first_name": "x" * 256}, "inputs.first_name", "at most 255"),
    ],
)
def test_bad_values_name_the_field(change: dict[str, Any], field: str, message: str) -> None:
    values = {**FULL, **change}
    if values.get("email") is None:
        values.pop("email")
    with pytest.raises(InvalidInput) as info:
        validate_whole_response(EXP, *split(values))
    assert any(e.field == field and message in e.message for e in info.value.errors), info.value.errors


def test_unknown_element_and_wrong_group_are_reported() -> None:
    answers, inputs = split(FULL)
    answers["favourite_colour"] = "red"
    inputs["skin_type"] = answers.pop("skin_type")
    with pytest.raises(InvalidInput) as info:
        validate_whole_response(EXP, answers, inputs)
    fields = {e.field for e in info.value.errors}
    assert "answers.favourite_colour" in fields
    assert "inputs.skin_type" in fields


def test_screen_rejects_elements_of_other_screens() -> None:
    with pytest.raises(InvalidInput) as info:
        validate_screen(EXP.screens[0], {"skin_type": "dry", "email": "a@b.co"})
    assert [e.field for e in info.value.errors] == ["email"]


def test_outcome_rules() -> None:
    assert choose_outcome(EXP, {"skin_type": "dry", "skin_goals": []}).id == "hydration_boost"
    assert choose_outcome(EXP, {"skin_type": "oily", "skin_goals": ["breakouts"]}).id == "clear_skin"
    assert choose_outcome(EXP, {"skin_type": "normal", "skin_goals": ["fine_lines"]}).id == "everyday_glow"


def test_attributes_use_attribute_ids_and_consent_waits_for_completion() -> None:
    clean = validate_whole_response(EXP, *split(FULL))
    attrs = profile_attributes(EXP, clean, "hydration_boost")
    assert attrs == {
        "skin_type": "dry",
        "skin_goals": ["hydration", "fine_lines"],
        "routine_length": "short",
        "first_name": "Ada",
        "skin_quiz_routine": "hydration_boost",
    }
    sent = changes_to_send(EXP, Progress({}), Progress(clean, "hydration_boost", completed=True), NOW)
    assert sent.attributes == {**attrs, "email_subscribe": "opted_in"}
    assert sent.completes


def test_unticked_consent_sets_nothing() -> None:
    clean = validate_whole_response(EXP, *split({**FULL, "marketing_opt_in": False}))
    sent = changes_to_send(EXP, Progress({}), Progress(clean, "hydration_boost", completed=True), NOW)
    assert "email_subscribe" not in sent.attributes


def test_changes_before_email_are_held_then_sent_in_full() -> None:
    first = {"skin_type": "dry"}
    assert changes_to_send(EXP, Progress({}), Progress(first), NOW) == Changes(None)
    with_email = {**first, "email": "a@b.co"}
    sent = changes_to_send(EXP, Progress(first), Progress(with_email), NOW)
    assert sent.email == "a@b.co" and sent.attributes == {"skin_type": "dry"}


def test_after_email_only_changes_are_sent() -> None:
    before = {"skin_type": "dry", "email": "a@b.co", "skin_goals": ["hydration"]}
    after = {"skin_type": "oily", "email": "a@b.co"}
    sent = changes_to_send(EXP, Progress(before), Progress(after, "clear_skin"), NOW)
    assert sent.email == "a@b.co"
    assert sent.attributes == {"skin_type": "oily", "skin_quiz_routine": "clear_skin", "skin_goals": None}
