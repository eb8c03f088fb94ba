"""The rule interpreter: conditions, routes, variables and piping, table-driven; and the property
that any valid definition, answered in any way, reaches its end within as many steps as it has
screens."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from tests.support.logic_definitions import branching
from zeroparty.domain.experience.conditions import Condition, evaluate
from zeroparty.domain.experience.elements import TargetRules
from zeroparty.domain.experience.logic import pipe, route
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.outcomes import choose_outcome
from zeroparty.domain.experience.validation import definition_problems

CONDITION = TypeAdapter(Condition)
FACTS: dict[str, Any] = {
    "answers": {"colour": "red", "tags": ["a", "b"], "age": 42, "born": "1990-05-01", "ok": False, "blank": ""},
    "inputs": {"utm_source": "newsletter"},
    "variables": {"score": 3, "name": "Kim"},
}


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ({"element": "colour", "equals": "red"}, True),
        ({"element": "colour", "in": ["blue", "red"]}, True),
        ({"element": "tags", "includes": "b"}, True),
        ({"element": "tags", "includes": "c"}, False),
        ({"element": "age", "gt": 41}, True),
        ({"element": "age", "gte": 42.0}, True),
        ({"element": "age", "lt": 42}, False),
        ({"element": "age", "lte": 42}, True),
        ({"element": "born", "lt": "1991-01-01"}, True),
        ({"element": "born", "gte": "1990-05-02"}, False),
        ({"element": "colour", "gt": 3}, False),  # text and a number never compare
        ({"element": "ok", "equals": False}, True),
        ({"element": "ok", "equals": 0}, False),  # false is not 0
        ({"element": "ok", "answered": True}, True),  # an unticked box is an answer
        ({"element": "blank", "answered": False}, True),
        ({"element": "missing", "answered": False}, True),
        ({"element": "missing", "equals": "x"}, False),
        ({"input": "utm_source", "equals": "newsletter"}, True),
        ({"input": "utm_medium", "answered": True}, False),
        ({"variable": "score", "gte": 3}, True),
        ({"variable": "score", "in": [1, 2]}, False),
        ({"variable": "name", "equals": "Kim"}, True),
        ({"all": [{"element": "colour", "equals": "red"}, {"variable": "score", "lt": 2}]}, False),
        ({"any": [{"element": "colour", "equals": "blue"}, {"not": {"variable": "score", "lt": 2}}]}, True),
        ({"not": {"all": [{"any": [{"element": "age", "gt": 100}]}]}}, True),
    ],
)
def test_conditions_read_answers_inputs_and_variables(condition: dict[str, Any], holds: bool) -> None:
    assert evaluate(CONDITION.validate_python(condition), **FACTS) is holds


@pytest.mark.parametrize(
    ("answers", "path", "variables", "outcome"),
    [
        ({"morning": "coffee"}, ("habit", "roast", "contact"), {"strength": 0, "drink": "coffee"}, "mild"),
        (
            {"morning": "coffee", "cups": 4, "roast_level": "dark"},
            ("habit", "roast", "contact"),
            {"strength": 3, "drink": "coffee"},
            "strong",
        ),
        ({"morning": "tea", "cups": 1}, ("habit", "contact"), {"strength": 0, "drink": "tea"}, "tea_pick"),
        ({"morning": "tea", "cups": 5}, ("habit", "contact"), {"strength": 2, "drink": "tea"}, "strong"),
        ({"morning": "nothing"}, ("habit",), {"strength": 0, "drink": ""}, "mild"),
        ({}, ("habit", "roast", "contact"), {"strength": 0, "drink": ""}, "mild"),
    ],
)
def test_routes_follow_the_first_jump_and_apply_every_set_and_add(
    answers: dict[str, Any], path: tuple[str, ...], variables: dict[str, Any], outcome: str
) -> None:
    exp = branching()
    found = route(exp, answers)
    assert (found.path, found.variables, found.next) == (path, variables, None)
    assert choose_outcome(exp, answers, found.variables).id == outcome


@pytest.mark.parametrize(
    ("answers", "until", "next_screen"),
    [
        ({"morning": "coffee"}, "habit", "roast"),
        ({"morning": "tea"}, "habit", "contact"),
        ({"morning": "nothing"}, "habit", None),
        ({"morning": "coffee"}, "roast", "contact"),
        ({"morning": "coffee"}, "contact", None),
    ],
)
def test_the_screen_after_a_submit(answers: dict[str, Any], until: str, next_screen: str | None) -> None:
    assert route(branching(), answers, until=until).next == next_screen


def test_next_and_skip_pass_over_screens() -> None:
    screens = [
        {"id": f"s{i}", "title": f"S{i}", "elements": [{"id": f"q{i}", "type": "text", "label": "Q"}]} for i in range(5)
    ]
    screens[0]["next"] = "s2"
    screens[0]["rules"] = [{"when": {"element": "q0", "equals": "x"}, "then": [{"skip": "s3"}]}]
    screens[1]["rules"] = [{"then": [{"skip": "s4"}]}]  # only s0's `next` would reach it
    data = {"slug": "s", "title": "T", "screens": screens, "outcomes": [{"id": "o", "title": "O"}]}
    exp, problems = definition_problems(data, TargetRules())
    assert problems == [("screens[1]", "no path reaches screen 's1': the rules before it always go past it")]
    del screens[0]["next"]
    exp = Experience.model_validate(data)
    assert route(exp, {"q0": "x"}).path == ("s0", "s1", "s2")  # s3 skipped by s0, s4 by s1
    assert route(exp, {"q0": "y"}).path == ("s0", "s1", "s2", "s3")


@pytest.mark.parametrize(
    ("text", "values", "shown"),
    [
        ("Hello {{name}}!", {"name": "Kim"}, "Hello Kim!"),
        ("{{ name }} and {{other}}", {"name": "Kim"}, "Kim and "),
        ("Score: {{score}}", {"score": 3.0}, "Score: 3"),
        ("You chose {{tags}}", {"tags": ["a", "b"]}, "You chose a, b"),
        ("Opted in: {{ok}}", {"ok": True}, "Opted in: yes"),
        ("<b>{{name}}</b>", {"name": "<script>"}, "<b><script></b>"),  # the page escapes the whole text
        ("No braces", {}, "No braces"),
    ],
)
def test_piping_puts_values_into_text(text: str, values: dict[str, Any], shown: str) -> None:
    assert pipe(text, values) == shown


OPTIONS = ["a", "b", "c"]


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """Screens with one choice each and rules that jump or skip forward, end, or add to a variable,
    under random conditions over earlier answers and the variable."""
    count = draw(st.integers(1, 7))
    screens: list[dict[str, Any]] = []
    for i in range(count):
        later = [f"s{j}" for j in range(i + 1, count)]
        actions = [st.just({"end": True}), st.just({"add": "points", "value": 1})]
        if later:
            actions += [
                st.sampled_from(later).map(lambda s: {"jump": s}),
                st.sampled_from(later).map(lambda s: {"skip": s}),
            ]
        leaf = st.one_of(
            st.tuples(st.integers(0, i), st.sampled_from(OPTIONS)).map(
                lambda t: {"element": f"q{t[0]}", "equals": t[1]}
            ),
            st.integers(0, 3).map(lambda n: {"variable": "points", "gte": n}),
            st.integers(0, i).map(lambda n: {"element": f"q{n}", "answered": False}),
        )
        condition = st.recursive(
            leaf,
            lambda inner: st.one_of(
                st.lists(inner, min_size=1, max_size=3).map(lambda c: {"any": c}),
                st.lists(inner, min_size=1, max_size=3).map(lambda c: {"all": c}),
                inner.map(lambda c: {"not": c}),
            ),
            max_leaves=4,
        )
        rule = st.fixed_dictionaries({"when": condition, "then": st.lists(st.one_of(*actions), min_size=1, max_size=3)})
        screen: dict[str, Any] = {
            "id": f"s{i}",
            "title": f"Screen {i}",
            "elements": [
                {
                    "id": f"q{i}",
                    "type": "single_choice",
                    "label": "Pick",
                    "options": [{"value": o, "label": o} for o in OPTIONS],
                }
            ],
            "rules": draw(st.lists(rule, max_size=3)),
        }
        if draw(st.booleans()) and later:
            screen["next"] = later[0]
        screens.append(screen)
    return {
        "slug": "random",
        "title": "Random",
        "variables": [{"id": "points", "type": "number"}],
        "screens": screens,
        "outcomes": [
            {"id": "high", "title": "High", "when": {"variable": "points", "gte": 2}},
            {"id": "low", "title": "Low"},
        ],
    }


@settings(max_examples=200, deadline=None)
@given(data=definitions(), choices=st.lists(st.sampled_from([*OPTIONS, None]), min_size=7, max_size=7))
def test_any_answers_reach_an_ending_within_as_many_steps_as_screens(
    data: dict[str, Any], choices: list[str | None]
) -> None:
    exp, problems = definition_problems(data, TargetRules())
    assert all("no path reaches" in message for _path, message in problems), problems
    assume(exp is not None)
    assert exp is not None
    answers: dict[str, Any] = {f"q{i}": c for i, c in enumerate(choices) if c is not None}
    order = [s.id for s in exp.screens]
    at: str | None = order[0]
    visited: list[str] = []
    while at is not None:  # a respondent submitting one screen after another
        visited.append(at)
        assert len(visited) <= len(order)
        at = route(exp, answers, until=at).next
    assert visited == sorted(visited, key=order.index) and len(set(visited)) == len(visited)
    whole = route(exp, answers)
    assert list(whole.path) == visited and whole.next is None
    assert choose_outcome(exp, answers, whole.variables).id in {"high", "low"}
