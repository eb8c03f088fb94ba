from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tests.support.definitions import sample_data
from zeroparty.domain.braze_definition import definition_problems
from zeroparty.domain.experience.model import Experience


def problems_of(data: Any) -> list[str]:
    exp, problems = definition_problems(data)
    assert exp is None
    return [f"{p}: {m}" for p, m in problems]


def test_sample_is_valid_and_schema_is_generated() -> None:
    exp, problems = definition_problems(sample_data())
    assert problems == [] and exp is not None
    assert [s.id for s in exp.screens] == ["skin", "goals", "routine", "contact"]
    schema = Experience.model_json_schema()
    assert "screens" in schema["properties"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["screens"][1]["elements"][0].update(id="skin_type"),
            "screens[1].elements[0].id: duplicate element id 'skin_type'",
        ),
        (
            lambda d: d["screens"][0]["elements"][0].update(options=[]),
            "screens[0].elements[0].options: List should have at least 1 item",
        ),
        (
            lambda d: d["screens"][0]["elements"][0].update(attribute="$bad"),
            "screens[0].elements[0].attribute: attribute name must not start with '$'",
        ),
        (
            lambda d: d["screens"][0]["elements"][0].update(attribute="email_subscribe"),
            "screens[0].elements[0].attribute: 'email_subscribe' is a Braze identifier",
        ),
        (
            lambda d: d["screens"][1]["elements"][0].update(attribute="skin_type"),
            "screens[1].elements[0].attribute: attribute 'skin_type' is already filled",
        ),
        (
            lambda d: d["outcomes"][0].update(when={"element": "nope", "equals": "x"}),
            "outcomes[0].when: unknown element 'nope'",
        ),
        (
            lambda d: d["outcomes"][0].update(when={"element": "skin_type", "equals": "purple"}),
            "outcomes[0].when: 'purple' is not an option of 'skin_type'",
        ),
        (lambda d: d["outcomes"].pop(), "outcomes[1].when: the last outcome must be a fallback"),
        (
            lambda d: d.update(slug="Bad Slug"),
            "slug: must be lowercase letters, digits and hyphens, starting with a letter or digit, at most 100 characters",
        ),
        (
            lambda d: d["screens"][0].update(id="1st screen"),
            "screens[0].id: must be letters, digits and underscores, starting with a letter, at most 100 characters",
        ),
        (lambda d: d["outcomes"][0].update(url="example.com"), "outcomes[0].url: must start with https:// or http://"),
        (lambda d: d.pop("title"), "title: Field required"),
        (lambda d: d.update(titel="x"), "titel: is not a field here; check the spelling"),
        (
            lambda d: d["screens"][0]["elements"][0].update(type="slider"),
            "screens[0].elements[0].type: unknown type 'slider'; use one of single_choice, multi_choice, email, text, long_text, number, date, consent, rating, nps, opinion_scale, content",
        ),
        (
            lambda d: d["screens"][0]["elements"][0].pop("type"),
            "screens[0].elements[0].type: Field required (one of single_choice, multi_choice, email, text, long_text, number, date, consent, rating, nps, opinion_scale, content)",
        ),
        (lambda d: d.update(screens="skin"), "screens: should be a list, not text"),
        (lambda d: d["screens"].append("goals"), "screens[4]: should be a mapping of fields, not text"),
    ],
)
def test_each_problem_is_reported_with_its_path(mutate: Any, expected: str) -> None:
    data = copy.deepcopy(sample_data())
    mutate(data)
    found = problems_of(data)
    assert any(line.startswith(expected) for line in found), found


def test_several_problems_are_all_reported() -> None:
    data = copy.deepcopy(sample_data())
    data["screens"][1]["elements"][0]["id"] = "skin_type"
    data["outcomes"][0]["when"] = {"element": "nope", "equals": "x"}
    found = problems_of(data)
    assert len(found) >= 2


def test_an_empty_document_says_so() -> None:
    assert problems_of(None) == [
        "(top level): the definition is empty; it needs slug, title, screens and outcomes (see examples/skin-quiz.yaml)"
    ]
    assert problems_of(["skin"]) == [
        "(top level): should be a mapping with slug, title, screens and outcomes, not a list"
    ]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (
            {"element": "skin_type", "equal": "dry"},
            "outcomes[0].when: unknown key 'equal'; a condition takes one of equals, includes, in, gt, gte, lt, lte, answered, all, any, not",
        ),
        (
            {"element": "skin_type"},
            "outcomes[0].when: a condition needs one of equals, includes, in, gt, gte, lt, lte, answered, all, any, not",
        ),
        (
            {"element": "skin_type", "equals": "dry", "includes": "oily"},
            "outcomes[0].when: a condition takes one of equals, includes, in, gt, gte, lt, lte, answered, all, any, not; "
            "this one has equals and includes (combine conditions with all or any)",
        ),
        (
            {"any": [{"element": "skin_type", "equals": "dry"}, {"elemnt": "skin_type", "equals": "oily"}]},
            "outcomes[0].when.any[1].elemnt: is not a field here; check the spelling",
        ),
        (
            {"not": "skin_type is dry"},
            "outcomes[0].when.not: a condition is a mapping such as {element: skin_type, equals: dry}, not text",
        ),
    ],
)
def test_a_malformed_condition_gets_one_clear_line(when: Any, expected: str) -> None:
    data = copy.deepcopy(sample_data())
    data["outcomes"][0]["when"] = when
    found = problems_of(data)
    assert expected in found, found
    assert len([line for line in found if line.startswith("outcomes[0].when")]) == (2 if "elemnt" in expected else 1), (
        found
    )


def test_conditions_still_evaluate_and_export_a_schema() -> None:
    exp, problems = definition_problems(sample_data())
    assert exp is not None and problems == []
    when = exp.outcomes[0].when
    assert when is not None
    from zeroparty.domain.experience.conditions import evaluate

    assert evaluate(when, {"skin_type": "dry"}) and not evaluate(when, {"skin_type": "oily"})
    schema = Experience.model_json_schema()
    assert "when" in schema["$defs"]["Outcome"]["properties"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            "{value: Yes, label: No}",
            [
                "screens[0].elements[0].options[0].value: YAML read this as the boolean true, not text "
                '(unquoted yes/no, on/off and true/false are booleans); put it in quotes, e.g. "Yes"',
                "screens[0].elements[0].options[0].label: YAML read this as the boolean false, not text "
                '(unquoted yes/no, on/off and true/false are booleans); put it in quotes, e.g. "No"',
            ],
        ),
        (
            "{value: on, label: 10}",
            [
                "screens[0].elements[0].options[0].value: YAML read this as the boolean true, not text "
                '(unquoted yes/no, on/off and true/false are booleans); put it in quotes, e.g. "Yes"',
                "screens[0].elements[0].options[0].label: YAML read this as a number, not text; put it in quotes",
            ],
        ),
        (
            "{value: 2024-01-01, label: }",
            [
                "screens[0].elements[0].options[0].value: YAML read this as a date, not text; put it in quotes",
                "screens[0].elements[0].options[0].label: is empty; it is required",
            ],
        ),
    ],
)
def test_yaml_scalars_that_are_not_text_get_a_hint(document: str, expected: list[str]) -> None:
    data = copy.deepcopy(sample_data())
    data["screens"][0]["elements"][0]["options"][0] = yaml.safe_load(document)
    found = problems_of(data)
    for line in expected:
        assert line in found, found


def test_a_boolean_compared_with_a_choice_is_pointed_out() -> None:
    data = copy.deepcopy(sample_data())
    data["outcomes"][0]["when"] = yaml.safe_load("{element: skin_type, equals: yes}")
    assert (
        "outcomes[0].when: 'skin_type' is a choice; compare it with an option value in quotes, "
        "not the boolean true" in problems_of(data)
    )
    data["outcomes"][0]["when"] = {"element": "marketing_opt_in", "equals": "yes"}
    assert "outcomes[0].when: 'marketing_opt_in' is a consent; compare it with true or false" in problems_of(data)
