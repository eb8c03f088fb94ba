"""What a definition may map onto Braze: standard fields only from elements whose values fit them,
number and date elements, consents (opt-out, subscription groups), the completion attribute."""

from __future__ import annotations

from typing import Any

import pytest

from zeroparty.domain.braze_definition import definition_problems
from zeroparty.domain.experience.elements import Consent, DateInput, NumberInput


def experience(*elements: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "slug": "profile",
        "title": "Tell us about you",
        "screens": [{"id": "about", "title": "About you", "elements": list(elements)}],
        "outcomes": [{"id": "done", "title": "Thanks"}],
        **top,
    }


def single(attribute: str, *options: dict[str, Any]) -> dict[str, Any]:
    return {"id": "pick", "type": "single_choice", "label": "Pick", "attribute": attribute, "options": list(options)}


def lines(data: dict[str, Any]) -> list[str]:
    exp, problems = definition_problems(data)
    assert exp is None, "the definition was accepted"
    return [f"{p}: {m}" for p, m in problems]


def valid(data: dict[str, Any]) -> None:
    exp, problems = definition_problems(data)
    assert problems == [] and exp is not None


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    (
        "a multi-choice onto gender",
        experience(
            {
                "id": "g",
                "type": "multi_choice",
                "label": "G",
                "attribute": "gender",
                "options": [{"value": "F", "label": "F"}],
            }
        ),
        "screens[0].elements[0].attribute: 'gender' is Braze's gender field, which takes one of M, F, O, N, P; "
        "a multi_choice sends a list",
    ),
    (
        "gender options that are words",
        experience(single("gender", {"value": "female", "label": "Female"}, {"value": "male", "label": "Male"})),
        "screens[0].elements[0].options[0].value: 'female' is not valid for Braze's gender, which takes one of "
        "M, F, O, N, P; set braze_value: F",
    ),
    (
        "a gender option that no code fits",
        experience(single("gender", {"value": "F", "label": "F"}, {"value": "maybe", "label": "Maybe"})),
        "screens[0].elements[0].options[1].value: 'maybe' is not valid for Braze's gender, which takes one of "
        "M, F, O, N, P; give the option a braze_value",
    ),
    (
        "a wrong braze_value",
        experience(single("gender", {"value": "female", "label": "Female", "braze_value": "W"})),
        "screens[0].elements[0].options[0].braze_value: 'W' is not valid for Braze's gender",
    ),
    (
        "country names as option values",
        experience(single("country", {"value": "France", "label": "France"})),
        "screens[0].elements[0].options[0].value: 'France' is not valid for Braze's country, which takes an ISO "
        "3166-1 alpha-2 code such as GB; set braze_value: FR",
    ),
    (
        "a number onto dob",
        experience({"id": "age", "type": "number", "label": "Age", "attribute": "dob"}),
        "screens[0].elements[0].attribute: 'dob' is Braze's dob field, which takes a date as YYYY-MM-DD; "
        "a number sends a number",
    ),
    (
        "a custom consent onto language",
        experience({"id": "c", "type": "consent", "label": "C", "purpose": "custom", "attribute": "language"}),
        "screens[0].elements[0].attribute: 'language' is Braze's language field",
    ),
    (
        "a date onto phone",
        experience({"id": "d", "type": "date", "label": "D", "attribute": "phone"}),
        "screens[0].elements[0].attribute: 'phone' is Braze's phone field",
    ),
    (
        "a profile field nobody may write",
        experience({"id": "t", "type": "text", "label": "T", "attribute": "date_of_first_session"}),
        "screens[0].elements[0].attribute: 'date_of_first_session' is a Braze profile field zeroparty does not write",
    ),
    (
        "a phone country zeroparty cannot read",
        experience({"id": "p", "type": "text", "label": "P", "attribute": "phone", "phone_country": "ZZ"}),
        "screens[0].elements[0].phone_country: 'ZZ' is not a country whose numbers zeroparty reads",
    ),
    (
        "a phone country on another field",
        experience({"id": "p", "type": "text", "label": "P", "attribute": "home_city", "phone_country": "GB"}),
        "screens[0].elements[0].phone_country: only an element filling 'phone' reads phone numbers",
    ),
    (
        "a malformed phone country",
        experience({"id": "p", "type": "text", "label": "P", "attribute": "phone"}, phone_country="GBR"),
        "phone_country: must be a two-letter ISO 3166-1 country code such as GB",
    ),
    (
        "min above max",
        experience({"id": "n", "type": "number", "label": "N", "attribute": "n", "min": 5, "max": 1}),
        "screens[0].elements[0].max: must not be below min (5)",
    ),
    (
        "a subscription group consent without its key",
        experience({"id": "c", "type": "consent", "label": "C", "purpose": "subscription_group"}),
        "screens[0].elements[0].subscription_group: a subscription_group consent needs a consent key",
    ),
    (
        "a key on an email_marketing consent",
        experience(
            {"id": "c", "type": "consent", "label": "C", "purpose": "email_marketing", "subscription_group": "news"}
        ),
        "screens[0].elements[0].subscription_group: only a subscription_group consent names one; this is email_marketing",
    ),
    (
        "a required opt-out box",
        experience({"id": "c", "type": "consent", "label": "C", "meaning": "opt_out", "required": True}),
        "screens[0].elements[0].required: an opt-out box cannot be required",
    ),
    (
        "the completion time onto a standard field",
        experience({"id": "t", "type": "text", "label": "T"}, completion_attribute="dob"),
        "completion_attribute: 'dob' is one of Braze's standard fields; the completion time goes to a custom attribute",
    ),
    (
        "the completion attribute shared with an element",
        experience(
            {"id": "t", "type": "text", "label": "T", "attribute": "quiz_done"}, completion_attribute="quiz_done"
        ),
        "completion_attribute: attribute 'quiz_done' is already filled by screens[0].elements[0].attribute",
    ),
    (
        "a number compared with text in a condition",
        {
            **experience({"id": "n", "type": "number", "label": "N"}),
            "outcomes": [{"id": "a", "title": "A", "when": {"element": "n", "equals": "3"}}, {"id": "b", "title": "B"}],
        },
        "outcomes[0].when: 'n' is a number; compare it with a number",
    ),
]


@pytest.mark.parametrize(("case", "data", "expected"), REFUSED, ids=[r[0] for r in REFUSED])
def test_incompatible_targets_are_refused_naming_the_path(case: str, data: dict[str, Any], expected: str) -> None:
    found = lines(data)
    assert any(line.startswith(expected) for line in found), found


def test_codes_in_option_values_or_braze_values_are_accepted() -> None:
    valid(
        experience(
            single(
                "gender",
                {"value": "female", "label": "Female", "braze_value": "F"},
                {"value": "M", "label": "Male"},
                {"value": "rather_not", "label": "Rather not say", "braze_value": "P"},
            )
        )
    )
    valid(
        experience(
            single("country", {"value": "FR", "label": "France"}, {"value": "gb", "label": "UK", "braze_value": "GB"})
        )
    )


def test_new_element_types_and_top_level_fields_parse() -> None:
    exp, problems = definition_problems(
        experience(
            {"id": "email", "type": "email", "label": "Email"},
            {"id": "age", "type": "number", "label": "Age", "attribute": "age", "min": 16, "max": 120, "integer": True},
            {"id": "born", "type": "date", "label": "Born", "attribute": "dob"},
            {"id": "visit", "type": "date", "label": "Next visit", "attribute": "next_visit"},
            {"id": "phone", "type": "text", "label": "Phone", "attribute": "phone", "phone_country": "gb"},
            {"id": "news", "type": "consent", "label": "Send me the newsletter", "subscription_group": "newsletter"},
            {"id": "no_mail", "type": "consent", "label": "No marketing email", "meaning": "opt_out"},
            completion_attribute="profile_completed_at",
            phone_country="US",
            date_order="mdy",
        )
    )
    assert problems == [] and exp is not None
    elements = {el_id: el for el_id, (_s, el) in exp.elements().items()}
    assert isinstance(elements["age"], NumberInput) and elements["age"].integer
    assert isinstance(elements["born"], DateInput)
    news, no_mail = elements["news"], elements["no_mail"]
    assert isinstance(news, Consent) and news.purpose == "subscription_group" and news.consent_key == "newsletter"
    assert isinstance(no_mail, Consent) and no_mail.opt_out and no_mail.consent_key == "email_marketing"
    assert exp.field_context(elements["phone"]).phone_country == "GB"
    assert exp.field_context(elements["age"]).phone_country == "US"
    assert exp.field_context().date_order == "mdy"


def test_new_fields_left_out_keep_a_definition_as_it_was() -> None:
    """Defaults of the new fields are not spelt out, so re-importing an unchanged file after an
    upgrade still publishes nothing (definitions are compared as canonical JSON)."""
    exp, _ = definition_problems(experience({"id": "t", "type": "text", "label": "T", "attribute": "first_name"}))
    assert exp is not None
    dumped = exp.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert set(dumped) == {"slug", "title", "screens", "outcomes"}
    assert set(dumped["screens"][0]["elements"][0]) == {"id", "type", "label", "required", "attribute", "max_length"}
