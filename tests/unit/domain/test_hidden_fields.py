"""Hidden fields: what a definition may declare, and which outside values a response keeps."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.definitions import sample_data
from zeroparty.domain.braze_definition import definition_problems
from zeroparty.domain.experience.hidden import HiddenField, hidden_values
from zeroparty.domain.experience.mapping import profile_attributes
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.outcomes import choose_outcome

UTM = [
    HiddenField(key="utm_source", pattern="[a-z0-9_-]+", max_length=20),
    HiddenField(key="utm_campaign", attribute="utm_campaign"),
]


@pytest.mark.parametrize(
    ("raw", "values", "problems"),
    [
        ({"utm_source": "newsletter", "gclid": "x"}, {"utm_source": "newsletter"}, []),
        ({"utm_source": ""}, {}, []),
        ({"utm_source": "News Letter"}, {}, [("utm_source", "must match the pattern [a-z0-9_-]+")]),
        ({"utm_source": "a" * 21}, {}, [("utm_source", "must be at most 20 characters")]),
        ({"utm_campaign": 7}, {}, [("utm_campaign", "must be text, not a number")]),
        ({"utm_campaign": "spring\nsale"}, {}, [("utm_campaign", "must not contain control character U+000A")]),
    ],
)
def test_only_declared_values_that_fit_are_kept(
    raw: dict[str, Any], values: dict[str, str], problems: list[tuple[str, str]]
) -> None:
    assert hidden_values(UTM, raw) == (values, problems)


@given(st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=40), st.integers(), st.none()), max_size=6))
def test_whatever_a_link_carries_nothing_undeclared_or_misfit_is_kept(raw: dict[str, Any]) -> None:
    values, problems = hidden_values(UTM, raw)
    declared = {f.key: f for f in UTM}
    assert set(values) <= set(declared) and {k for k, _ in problems} <= set(declared)
    assert not set(values) & {k for k, _ in problems}
    for key, value in values.items():
        assert len(value) <= declared[key].max_length
        pattern = declared[key].pattern
        assert pattern is None or re.fullmatch(pattern, value)


def _with_hidden(*fields: dict[str, Any]) -> dict[str, Any]:
    return {**sample_data(), "hidden_fields": list(fields)}


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        (
            [{"key": "utm_source"}, {"key": "utm_source"}],
            ("hidden_fields[1].key", "duplicate hidden field 'utm_source'"),
        ),
        (
            [{"key": "skin_type"}],
            ("hidden_fields[0].key", "'skin_type' is already the id of screens[0].elements[0]"),
        ),
        (
            [{"key": "src", "attribute": "skin_type"}],
            (
                "hidden_fields[0].attribute",
                "attribute 'skin_type' is already filled by screens[0].elements[0].attribute",
            ),
        ),
        (
            [{"key": "src", "attribute": "country"}],
            (
                "hidden_fields[0].attribute",
                "'country' is one of Braze's standard fields; a hidden value goes to a custom attribute",
            ),
        ),
        (
            [{"key": "src", "pattern": "(a+)+"}],
            (
                "hidden_fields[0].pattern",
                "must not repeat a group that itself repeats, such as (a+)+: it can take exponential time",
            ),
        ),
        ([{"key": "src", "pattern": "[a-"}], ("hidden_fields[0].pattern", "is not a regular expression")),
        ([{"key": "1src"}], ("hidden_fields[0].key", "must be")),
    ],
)
def test_bad_declarations_are_named(fields: list[dict[str, Any]], problem: tuple[str, str]) -> None:
    _exp, problems = definition_problems(_with_hidden(*fields))
    path, message = problem
    assert any(p == path and m.startswith(message) for p, m in problems), problems


def test_a_hidden_value_with_an_attribute_is_sent_as_that_attribute() -> None:
    exp = Experience.model_validate(_with_hidden({"key": "utm_campaign", "attribute": "campaign"}, {"key": "ref"}))
    attrs = profile_attributes(exp, {"skin_type": "dry", "utm_campaign": "spring", "ref": "x"}, None)
    assert attrs["campaign"] == "spring"
    assert "ref" not in attrs and "utm_campaign" not in attrs


def test_rules_and_outcomes_read_a_declared_hidden_value_as_an_input() -> None:
    data = _with_hidden({"key": "utm_source"})
    data["outcomes"] = [
        {"id": "partner", "title": "From our partner", "when": {"input": "utm_source", "equals": "partner"}},
        *data["outcomes"],
    ]
    exp = Experience.model_validate(data)
    answers = {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short", "email": "a@example.com"}
    assert choose_outcome(exp, answers, inputs={"utm_source": "partner"}).id == "partner"
    assert choose_outcome(exp, answers, inputs={"utm_source": "news"}).id != "partner"


def test_a_condition_may_only_read_a_declared_hidden_field() -> None:
    data = sample_data()
    data["outcomes"] = [
        {"id": "partner", "title": "From our partner", "when": {"input": "utm_source", "equals": "partner"}},
        *data["outcomes"],
    ]
    _exp, problems = definition_problems(data)
    assert problems == [("outcomes[0].when", "unknown input 'utm_source': declare it under hidden_fields")]
