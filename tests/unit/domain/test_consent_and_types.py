"""What goes to Braze and when: consents held until the response completes, opt-out boxes,
subscription groups, the consent audit, and each element's value as the Braze type it is."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroparty.domain.experience.answers import validate_screen, validate_whole_response
from zeroparty.domain.experience.consent import ConsentRecord, consent_records
from zeroparty.domain.experience.mapping import Progress, changes_to_send, completion_info
from zeroparty.domain.experience.model import Experience
from zeroparty.errors import InvalidInput

NOW = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
TODAY = NOW.date()

EXP = Experience.model_validate(
    {
        "slug": "profile",
        "title": "Your profile",
        "completion_attribute": "profile_completed_at",
        "outcome_attribute": "profile_outcome",
        "phone_country": "GB",
        "screens": [
            {
                "id": "contact",
                "title": "Contact",
                "elements": [
                    {"id": "email", "type": "email", "label": "Email", "required": True},
                    {"id": "tips", "type": "consent", "label": "Send me tips by email"},
                    {
                        "id": "news",
                        "type": "consent",
                        "label": "The monthly newsletter",
                        "subscription_group": "newsletter",
                    },
                    {
                        "id": "no_sms",
                        "type": "consent",
                        "label": "No texts, please",
                        "subscription_group": "sms_offers",
                        "meaning": "opt_out",
                    },
                    {
                        "id": "research",
                        "type": "consent",
                        "label": "Invite me to research",
                        "purpose": "custom",
                        "attribute": "research_ok",
                    },
                ],
            },
            {
                "id": "about",
                "title": "About you",
                "elements": [
                    {"id": "age", "type": "number", "label": "Age", "attribute": "age", "integer": True, "min": 16},
                    {"id": "height", "type": "number", "label": "Height (m)", "attribute": "height_m"},
                    {"id": "born", "type": "date", "label": "Born", "attribute": "dob"},
                    {"id": "visit", "type": "date", "label": "Next visit", "attribute": "next_visit"},
                    {"id": "phone", "type": "text", "label": "Phone", "attribute": "phone"},
                    {"id": "country", "type": "text", "label": "Country", "attribute": "country"},
                    {
                        "id": "gender",
                        "type": "single_choice",
                        "label": "Gender",
                        "attribute": "gender",
                        "options": [
                            {"value": "female", "label": "Female", "braze_value": "F"},
                            {"value": "male", "label": "Male", "braze_value": "M"},
                        ],
                    },
                    {
                        "id": "skin",
                        "type": "multi_choice",
                        "label": "Skin",
                        "attribute": "skin_goals",
                        "options": [
                            {"value": "hydration", "label": "Hydration", "braze_value": "HYD"},
                            {"value": "glow", "label": "Glow"},
                        ],
                    },
                ],
            },
        ],
        "outcomes": [{"id": "done", "title": "Thanks"}],
    }
)
CONTACT, ABOUT = EXP.screens


def submit(before: Progress, screen_index: int, raw: dict[str, Any]) -> tuple[Progress, Any]:
    """One page submit, as the capture service makes it: (the response after, what it sends)."""
    screen = EXP.screens[screen_index]
    clean = validate_screen(screen, raw, EXP, TODAY)
    answers = {k: v for k, v in before.answers.items() if k not in {el.id for el in screen.elements}} | clean
    last = screen_index == len(EXP.screens) - 1
    after = Progress(answers, "done" if last else before.outcome_id, before.completed or last)
    return after, changes_to_send(EXP, before, after, NOW)


CONTACT_TICKED = {"email": "ada@example.com", "tips": True, "news": True, "no_sms": False, "research": True}
CONTACT_UNTICKED = {"email": "ada@example.com", "tips": False, "news": False, "no_sms": False, "research": False}


def test_a_consent_is_held_until_the_response_completes() -> None:
    first, sent = submit(Progress({}), 0, CONTACT_TICKED)
    assert sent.email == "ada@example.com"
    assert sent.attributes == {} and sent.subscription_groups == {} and not sent.completes
    _done, sent = submit(first, 1, {"age": "41"})
    assert sent.attributes == {
        "age": 41,
        "email_subscribe": "opted_in",
        "research_ok": True,
        "profile_outcome": "done",
        "profile_completed_at": "2026-05-01T09:30:00Z",
    }
    assert sent.subscription_groups == {"newsletter": "subscribed"}
    assert sent.completes


def test_a_consent_given_and_withdrawn_within_the_response_leaves_braze_as_it_was() -> None:
    first, _ = submit(Progress({}), 0, CONTACT_TICKED)
    second, sent = submit(first, 0, CONTACT_UNTICKED)  # back to the first screen: boxes unticked
    assert sent.attributes == {} and sent.subscription_groups == {}
    _done, sent = submit(second, 1, {})
    assert "email_subscribe" not in sent.attributes
    assert sent.subscription_groups == {}
    assert sent.attributes["research_ok"] is False  # a custom consent is a plain yes/no


def test_an_abandoned_response_sends_no_consent() -> None:
    _first, sent = submit(Progress({}), 0, CONTACT_TICKED)
    assert "email_subscribe" not in sent.attributes and sent.subscription_groups == {}


def test_an_opt_out_box_unsubscribes() -> None:
    first, _ = submit(Progress({}), 0, {**CONTACT_UNTICKED, "no_sms": True})
    _done, sent = submit(first, 1, {})
    assert sent.subscription_groups == {"sms_offers": "unsubscribed"}
    assert "email_subscribe" not in sent.attributes


def test_after_completion_a_withdrawal_unsubscribes_at_once() -> None:
    first, _ = submit(Progress({}), 0, CONTACT_TICKED)
    done, _ = submit(first, 1, {})
    _later, sent = submit(done, 0, {**CONTACT_TICKED, "tips": False, "news": False})
    assert sent.attributes == {"email_subscribe": "unsubscribed"}
    assert sent.subscription_groups == {"newsletter": "unsubscribed"}
    assert not sent.completes  # completed once: no second completion


def test_the_json_api_sends_consents_with_the_whole_response() -> None:
    inputs = {**CONTACT_TICKED, "no_sms": True}
    clean = validate_whole_response(EXP, {}, inputs, TODAY)
    sent = changes_to_send(EXP, Progress({}), Progress(clean, "done", completed=True), NOW)
    assert sent.attributes["email_subscribe"] == "opted_in"
    assert sent.subscription_groups == {"newsletter": "subscribed", "sms_offers": "unsubscribed"}


def test_every_change_of_a_box_is_recorded_with_its_text() -> None:
    first, _ = submit(Progress({}), 0, {**CONTACT_TICKED, "research": False})
    assert consent_records(EXP, {}, first.answers) == [
        ConsentRecord("tips", "email_marketing", "email_marketing", True, "Send me tips by email"),
        ConsentRecord("news", "subscription_group", "newsletter", True, "The monthly newsletter"),
    ]
    second, _ = submit(first, 0, {**CONTACT_UNTICKED, "no_sms": True})
    assert consent_records(EXP, first.answers, second.answers) == [
        ConsentRecord("tips", "email_marketing", "email_marketing", False, "Send me tips by email"),
        ConsentRecord("news", "subscription_group", "newsletter", False, "The monthly newsletter"),
        ConsentRecord("no_sms", "subscription_group", "sms_offers", False, "No texts, please"),
    ]


def test_each_value_goes_out_as_its_braze_type() -> None:
    first, _ = submit(Progress({}), 0, CONTACT_UNTICKED)
    raw = {
        "age": "41",
        "height": "1.72",
        "born": "1985-03-09",
        "visit": "2026-06-01",
        "phone": "07700 900123",
        "country": "France",
        "gender": "female",
        "skin": ["hydration", "glow"],
    }
    _done, sent = submit(first, 1, raw)
    attrs = sent.attributes
    assert attrs["age"] == 41 and attrs["height_m"] == 1.72
    assert attrs["dob"] == "1985-03-09"
    assert attrs["next_visit"] == "2026-06-01T00:00:00Z"
    assert attrs["phone"] == "+447700900123"
    assert attrs["country"] == "FR"
    assert attrs["gender"] == "F"
    assert attrs["skin_goals"] == ["HYD", "glow"]


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"age": "12"}, "age", "at least 16"),
        ({"age": "41.5"}, "age", "whole number"),
        ({"height": "tall"}, "height", "must be a number"),
        ({"height": "nan"}, "height", "must be a number"),
        ({"born": "2030-01-01"}, "born", "must not be in the future"),
        ({"born": "31/02/1990"}, "born", "is not a real date"),
        ({"visit": "3001-01-01"}, "visit", "before the year 3001"),
        ({"phone": "12"}, "phone", "is not a GB phone number"),
        ({"country": "Atlantis"}, "country", "must be a country"),
    ],
)
def test_a_value_that_cannot_be_normalised_names_the_field(raw: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        validate_screen(ABOUT, raw, EXP, TODAY)
    assert [(e.field, message in e.message) for e in info.value.errors] == [(field, True)], info.value.errors


def test_json_numbers_keep_their_kind_and_booleans_are_not_numbers() -> None:
    assert validate_screen(ABOUT, {"height": 2, "age": 30.0}, EXP, TODAY) == {"height": 2, "age": 30}
    with pytest.raises(InvalidInput):
        validate_screen(ABOUT, {"height": True}, EXP, TODAY)


def test_the_completion_names_the_response() -> None:
    assert completion_info(EXP, 3, "done", "r-1", NOW) == {
        "experience": "profile",
        "version": 3,
        "outcome": "done",
        "response_id": "r-1",
        "time": "2026-05-01T09:30:00Z",
    }


@given(value=st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.booleans(), st.none()))
def test_a_number_element_takes_any_input_without_crashing(value: Any) -> None:
    try:
        clean = validate_screen(ABOUT, {"height": value}, EXP, TODAY)
    except InvalidInput as exc:
        assert [e.field for e in exc.errors] == ["height"]
        return
    if "height" in clean:
        assert isinstance(clean["height"], int | float) and not isinstance(clean["height"], bool)


@given(value=st.text(max_size=30), today=st.dates(min_value=date(2000, 1, 1)))
def test_a_date_element_takes_any_text_without_crashing(value: str, today: date) -> None:
    try:
        clean = validate_screen(ABOUT, {"visit": value, "born": value}, EXP, today)
    except InvalidInput as exc:
        assert {e.field for e in exc.errors} <= {"visit", "born"}
        return
    for key in ("visit", "born"):
        if key in clean:
            assert date.fromisoformat(clean[key]).isoformat() == clean[key]
