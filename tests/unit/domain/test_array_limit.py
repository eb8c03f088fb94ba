"""A multi-choice whose answers could hold more values than Braze keeps in an array attribute is
refused before it is published; capture never sends more values than the definition allows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.definitions import sample_data
from zeroparty.domain.array_limit import array_limit_problems, possible_selections
from zeroparty.domain.experience.answers import validate_whole_response
from zeroparty.domain.experience.elements import MultiChoice
from zeroparty.domain.experience.mapping import profile_attributes
from zeroparty.domain.experience.model import Experience
from zeroparty.errors import InvalidInput

GOALS = "screens[1].elements[0]"


def quiz(options: int, max_selected: int | None = None, attribute: str | None = "skin_goals") -> Experience:
    data = sample_data()
    goals: dict[str, Any] = data["screens"][1]["elements"][0]
    kept = goals["options"][:options]  # the outcomes' conditions name the first ones
    goals["options"] = kept + [{"value": f"goal_{n}", "label": f"Goal {n}"} for n in range(len(kept), options)]
    goals.pop("max_selected", None)
    if max_selected is not None:
        goals["max_selected"] = max_selected
    if attribute is None:
        goals.pop("attribute")
    return Experience.model_validate(data)


def test_thirty_options_without_max_selected_are_refused_at_brazes_default_limit() -> None:
    [problem] = array_limit_problems(quiz(30))
    assert problem.field == f"{GOALS}.options"
    assert "all 30 options can be selected" in problem.message
    assert "Braze keeps at most 25 values in array attribute 'skin_goals'" in problem.message
    assert "set max_selected: 25 or fewer" in problem.message
    assert "array_limit" in problem.message


def test_max_selected_over_the_limit_is_named() -> None:
    [problem] = array_limit_problems(quiz(40, max_selected=30))
    assert problem.field == f"{GOALS}.max_selected"
    assert problem.message.startswith("30 options can be selected")


@pytest.mark.parametrize(
    ("options", "max_selected", "limit"),
    [(30, 25, 25), (25, None, 25), (30, None, 30), (50, None, 500), (30, 100, 30)],
)
def test_what_fits_the_limit_passes(options: int, max_selected: int | None, limit: int) -> None:
    assert array_limit_problems(quiz(options, max_selected), limit) == []


def test_a_raised_limit_is_honoured_and_the_destination_is_named_in_the_fix() -> None:
    exp = quiz(40)
    assert array_limit_problems(exp, 40) == []
    [problem] = array_limit_problems(exp, 30, "eu prod")
    assert "at most 30 values" in problem.message
    assert "zeroparty destinations set 'eu prod' array_limit=N" in problem.message


def test_an_element_that_fills_no_attribute_sends_no_array() -> None:
    assert array_limit_problems(quiz(30, attribute=None)) == []


def test_possible_selections_is_never_more_than_the_options() -> None:
    el = quiz(10, max_selected=20).screens[1].elements[0]
    assert isinstance(el, MultiChoice) and possible_selections(el) == 10


def test_capture_never_sends_more_values_than_max_selected() -> None:
    exp = quiz(30, max_selected=25)
    goals = exp.screens[1].elements[0]
    assert isinstance(goals, MultiChoice)
    picks = [o.value for o in goals.options[:26]]
    base = {"skin_type": "dry", "routine_length": "none"}
    with pytest.raises(InvalidInput) as refused:
        validate_whole_response(exp, {**base, "skin_goals": picks}, {"email": "a@example.com"})
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("answers.skin_goals", "at most 25 may be selected")
    ]
    clean = validate_whole_response(exp, {**base, "skin_goals": picks[:25]}, {"email": "a@example.com"})
    assert len(profile_attributes(exp, clean, None)["skin_goals"]) == 25


def test_one_answer_cannot_repeat_an_option_to_grow_the_array() -> None:
    exp = quiz(4)
    with pytest.raises(InvalidInput, match="must not repeat a value"):
        validate_whole_response(
            exp,
            {"skin_type": "dry", "routine_length": "none", "skin_goals": ["hydration"] * 30},
            {"email": "a@example.com"},
        )
