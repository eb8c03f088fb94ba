from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support.definitions import sample_data
from zeroparty.domain.definition import Experience, definition_problems


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
            lambda d: d["screens"][0]["elements"][0].update(type="slider"),
            "screens[0].elements[0]: Input tag 'slider' found",
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
        (lambda d: d.update(slug="Bad Slug"), "slug: String should match pattern"),
        (lambda d: d.pop("title"), "title: Field required"),
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
