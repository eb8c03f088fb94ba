"""The experience's checks know no destination; Braze's limits are handed to them."""

from __future__ import annotations

from typing import Any

from tests.support.definitions import sample_data
from zeroparty.domain.braze_definition import BRAZE_RULES, definition_problems, definition_schema
from zeroparty.domain.experience import validation
from zeroparty.domain.experience.elements import TargetRules


def with_goals(**changes: Any) -> dict[str, Any]:
    data = sample_data()
    data["screens"][1]["elements"][0].update(changes)
    return data


def test_without_a_destination_only_the_experiences_own_rules_apply() -> None:
    exp, problems = validation.definition_problems(with_goals(attribute="$goals", max_selected=600), TargetRules())
    assert problems == [] and exp is not None


def test_brazes_rules_name_the_attribute_and_the_array_size_as_before() -> None:
    _exp, problems = definition_problems(with_goals(attribute="$goals"))
    assert [f"{p}: {m}" for p, m in problems] == [
        "screens[1].elements[0].attribute: attribute name must not start with '$' (Braze operator prefix)",
    ]
    # A field over its bound hides the checks across the definition, as a `le` bound did.
    _exp, problems = definition_problems(with_goals(attribute="$goals", max_selected=600))
    assert [f"{p}: {m}" for p, m in problems] == [
        "screens[1].elements[0].max_selected: Input should be less than or equal to 500",
    ]
    assert validation.definition_problems(with_goals(max_selected=600), BRAZE_RULES) == (None, problems)


def test_the_schema_editors_get_keeps_brazes_array_size() -> None:
    choice = definition_schema()["$defs"]["MultiChoice"]["properties"]["max_selected"]
    assert {"type": "integer", "minimum": 1, "maximum": 500} in [
        {k: v for k, v in branch.items() if k in ("type", "minimum", "maximum")} for branch in choice["anyOf"]
    ]
