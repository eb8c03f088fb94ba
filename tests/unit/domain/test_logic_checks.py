"""Each static check of an experience's logic, with the exact line an author reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.definitions import sample_data
from tests.support.logic_definitions import branching_data
from zeroparty.domain.experience.elements import TargetRules
from zeroparty.domain.experience.validation import definition_problems

Mutate = Callable[[dict[str, Any]], None]


def _rule(data: dict[str, Any], screen: int, *then: dict[str, Any], when: dict[str, Any] | None = None) -> None:
    rule: dict[str, Any] = {"then": list(then)}
    if when is not None:
        rule["when"] = when
    data["screens"][screen].setdefault("rules", []).insert(0, rule)


def _when(data: dict[str, Any], condition: dict[str, Any]) -> None:
    data["screens"][1]["rules"][0]["when"] = condition


CHECKS: list[tuple[str, Mutate, str]] = [
    (
        "a jump to an unknown screen",
        lambda d: _rule(d, 0, {"jump": "nowhere"}),
        "screens[0].rules[0].then[0].jump: unknown screen 'nowhere'",
    ),
    (
        "a jump backwards",
        lambda d: _rule(d, 2, {"jump": "habit"}),
        "screens[2].rules[0].then[0].jump: 'habit' is not after this screen; jumps only go forward",
    ),
    (
        "a jump to its own screen",
        lambda d: _rule(d, 1, {"jump": "roast"}),
        "screens[1].rules[0].then[0].jump: 'roast' is not after this screen; jumps only go forward",
    ),
    (
        "a skip backwards",
        lambda d: _rule(d, 1, {"skip": "habit"}),
        "screens[1].rules[0].then[0].skip: 'habit' is not after this screen; skips only go forward",
    ),
    (
        "a next screen backwards",
        lambda d: d["screens"][2].update(next="roast"),
        "screens[2].next: 'roast' is not after this screen; next screens only go forward",
    ),
    (
        "a next screen that does not exist",
        lambda d: d["screens"][0].update(next="gone"),
        "screens[0].next: unknown screen 'gone'",
    ),
    (
        "setting an unknown variable",
        lambda d: _rule(d, 0, {"set": "mood", "value": "calm"}),
        "screens[0].rules[0].then[0].set: unknown variable 'mood'",
    ),
    (
        "adding to an unknown variable",
        lambda d: _rule(d, 0, {"add": "points", "value": 1}),
        "screens[0].rules[0].then[0].add: unknown variable 'points'",
    ),
    (
        "setting a number variable to text",
        lambda d: _rule(d, 0, {"set": "strength", "value": "high"}),
        "screens[0].rules[0].then[0].value: 'strength' is a number variable; set it to a number",
    ),
    (
        "setting a text variable to a number",
        lambda d: _rule(d, 0, {"set": "drink", "value": 2}),
        "screens[0].rules[0].then[0].value: 'drink' is a text variable; set it to text",
    ),
    (
        "adding to a text variable",
        lambda d: _rule(d, 0, {"add": "drink", "value": 1}),
        "screens[0].rules[0].then[0].add: 'drink' is a text variable; add takes a number variable",
    ),
    (
        "adding text",
        lambda d: _rule(d, 0, {"add": "strength", "value": "one"}),
        "screens[0].rules[0].then[0].value: should be a number, not text",
    ),
    (
        "an action with two verbs",
        lambda d: _rule(d, 0, {"jump": "contact", "end": True}),
        "screens[0].rules[0].then[0]: an action does one of jump, end, skip, set, add; this one has jump and end",
    ),
    (
        "an action without a verb",
        lambda d: _rule(d, 0, {"goto": "contact"}),
        "screens[0].rules[0].then[0]: an action needs one of jump, end, skip, set, add",
    ),
    (
        "a number variable starting at text",
        lambda d: d["variables"][0].update(initial="none"),
        "variables[0].initial: 'strength' is a number variable; it starts at a number",
    ),
    (
        "two variables with one id",
        lambda d: d["variables"].append({"id": "drink", "type": "text"}),
        "variables[2].id: duplicate variable id 'drink'",
    ),
    (
        "a variable named like an element",
        lambda d: d["variables"].append({"id": "cups", "type": "number"}),
        "variables[2].id: 'cups' is also an element id; {{cups}} and conditions could not tell them apart",
    ),
    (
        "a variable's attribute filled twice",
        lambda d: d["variables"][1].update(attribute="morning_drink"),
        "variables[1].attribute: attribute 'morning_drink' is already filled by screens[0].elements[0].attribute",
    ),
    (
        "a condition on an unknown variable",
        lambda d: _when(d, {"variable": "mood", "equals": "calm"}),
        "screens[1].rules[0].when: unknown variable 'mood'",
    ),
    (
        "a condition on an unknown element",
        lambda d: _when(d, {"element": "milk", "equals": "oat"}),
        "screens[1].rules[0].when: unknown element 'milk'",
    ),
    (
        "a rule reading a later screen's answer",
        lambda d: _rule(d, 0, {"end": True}, when={"element": "email", "answered": True}),
        "screens[0].rules[0].when: 'email' is answered on a later screen ('contact'); "
        "a rule reads answers up to its own screen",
    ),
    (
        "equals on a multi-choice",
        lambda d: d["screens"][0]["elements"][0].update(type="multi_choice"),
        "screens[0].rules[0].when: 'morning' is a multi_choice; use includes or answered, not equals",
    ),
    (
        "a comparison on a choice",
        lambda d: _when(d, {"element": "roast_level", "gt": 2}),
        "screens[1].rules[0].when: 'roast_level' is a single_choice; use equals, in or answered, not gt",
    ),
    (
        "a comparison on a text variable",
        lambda d: _when(d, {"variable": "drink", "lt": 3}),
        "screens[1].rules[0].when: 'drink' is a text variable; use equals or in, not lt",
    ),
    (
        "answered on a variable",
        lambda d: _when(d, {"variable": "strength", "answered": True}),
        "screens[1].rules[0].when: 'strength' is a number variable; use equals, in, gt, gte, lt or lte, not answered",
    ),
    (
        "a number variable compared with text",
        lambda d: _when(d, {"variable": "strength", "equals": "2"}),
        "screens[1].rules[0].when: 'strength' is a number variable; compare it with a number",
    ),
    (
        "a number compared with text",
        lambda d: _when(d, {"element": "cups", "gte": "three"}),
        "screens[1].rules[0].when: 'cups' is a number; compare it with a number",
    ),
    (
        "a choice compared with a value it does not offer",
        lambda d: _when(d, {"element": "morning", "in": ["tea", "juice"]}),
        "screens[1].rules[0].when: 'juice' is not an option of 'morning'",
    ),
    (
        "a condition naming two things",
        lambda d: _when(d, {"element": "cups", "variable": "strength", "gt": 1}),
        "screens[1].rules[0].when: a condition reads one thing; this one names element and variable",
    ),
    (
        "a piped name that is neither answer nor variable",
        lambda d: d["screens"][2].update(title="Thanks {{frist_name}}"),
        "screens[2].title: unknown name 'frist_name' in {{frist_name}}; pipe an element id or a variable",
    ),
    (
        "a piped answer not given yet",
        lambda d: d["screens"][1]["elements"][0].update(label="Your email {{email}}"),
        "screens[1].elements[0].label: 'email' is answered on this screen or a later one; "
        "text shows answers of earlier screens",
    ),
    (
        "a screen no path reaches",
        lambda d: _rule(d, 0, {"jump": "contact"}),
        "screens[1]: no path reaches screen 'roast': the rules before it always go past it",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "expected"), CHECKS, ids=[c[0] for c in CHECKS])
def test_each_logic_check_says_where_and_what(case: str, mutate: Mutate, expected: str) -> None:
    data = branching_data()
    mutate(data)
    exp, problems = definition_problems(data, TargetRules())
    lines = [f"{path}: {message}" for path, message in problems]
    assert exp is None and expected in lines, lines


def test_a_date_is_compared_with_a_date() -> None:
    data = branching_data()
    data["screens"][0]["elements"][1] = {"id": "cups", "type": "date", "label": "Since"}
    data["screens"][0]["rules"][2]["when"] = {"element": "cups", "gte": "last year"}
    _exp, problems = definition_problems(data, TargetRules())
    assert problems == [("screens[0].rules[2].when", "'cups' is a date; compare it with a date such as 2000-01-31")]


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=True)
    | st.sampled_from(
        ["habit", "roast", "contact", "strength", "drink", "morning", "cups", "tea", "x", "2000-01-31", "{{drink}}"]
    )
)
_KEYS = st.sampled_from(
    [
        "when",
        "then",
        "jump",
        "end",
        "skip",
        "set",
        "add",
        "value",
        "element",
        "variable",
        "input",
        "equals",
        "in",
        "includes",
        "gt",
        "lte",
        "answered",
        "all",
        "any",
        "not",
        "id",
        "type",
        "initial",
    ]
)
_TREES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3), max_leaves=12
)


@settings(max_examples=300, deadline=None)
@given(rules=_TREES, variables=_TREES, following=_TREES)
def test_any_rules_variables_or_next_give_problems_or_a_definition_never_an_exception(
    rules: Any, variables: Any, following: Any
) -> None:
    data = branching_data()
    data["screens"][0]["rules"] = rules
    data["variables"] = variables
    data["screens"][1]["next"] = following
    exp, problems = definition_problems(data, TargetRules())
    assert (exp is None) == bool(problems)
    for path, message in problems:
        assert path and message


def test_a_condition_without_a_subject_and_a_bad_value_names_both() -> None:
    data = sample_data()
    data["outcomes"][0]["when"] = {"equals": "a\x00b"}
    _exp, problems = definition_problems(data, TargetRules())
    assert ("outcomes[0].when.equals", "must not contain a NUL character") in problems
    assert ("outcomes[0].when.element", "Field required") in problems
