"""Every text in a definition follows the untrusted-text rules, and no text can crash validation."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.definitions import sample_data
from zeroparty.domain.braze_definition import definition_problems
from zeroparty.domain.untrusted import printable

Setter = Callable[[dict[str, Any], str], None]


def _option_value(d: dict[str, Any], v: str) -> None:
    d["screens"][0]["elements"][0]["options"][0]["value"] = v


def _option_label(d: dict[str, Any], v: str) -> None:
    d["screens"][0]["elements"][0]["options"][0]["label"] = v


def _element_label(d: dict[str, Any], v: str) -> None:
    d["screens"][0]["elements"][0]["label"] = v


def _screen_title(d: dict[str, Any], v: str) -> None:
    d["screens"][0]["title"] = v


def _button(d: dict[str, Any], v: str) -> None:
    d["screens"][0]["button"] = v


def _title(d: dict[str, Any], v: str) -> None:
    d["title"] = v


def _outcome_title(d: dict[str, Any], v: str) -> None:
    d["outcomes"][0]["title"] = v


def _body(d: dict[str, Any], v: str) -> None:
    d["screens"][0]["body"] = v


def _description(d: dict[str, Any], v: str) -> None:
    d["description"] = v


def _outcome_description(d: dict[str, Any], v: str) -> None:
    d["outcomes"][0]["description"] = v


def _attribute(d: dict[str, Any], v: str) -> None:
    d["screens"][0]["elements"][0]["attribute"] = v


def _condition_value(d: dict[str, Any], v: str) -> None:
    d["outcomes"][1]["when"]["all"][0]["in"][0] = v


def _slug(d: dict[str, Any], v: str) -> None:
    d["slug"] = v


def _element_id(d: dict[str, Any], v: str) -> None:
    d["screens"][0]["elements"][0]["id"] = v


REQUIRED: dict[str, Setter] = {
    "screens[0].elements[0].options[0].value": _option_value,
    "screens[0].elements[0].options[0].label": _option_label,
    "screens[0].elements[0].label": _element_label,
    "screens[0].title": _screen_title,
    "screens[0].button": _button,
    "title": _title,
    "outcomes[0].title": _outcome_title,
}
LONG: dict[str, Setter] = {
    "screens[0].body": _body,
    "description": _description,
    "outcomes[0].description": _outcome_description,
}
OTHER: dict[str, Setter] = {
    "screens[0].elements[0].attribute": _attribute,
    "outcomes[1].when.all[0].in[0]": _condition_value,
    "slug": _slug,
    "screens[0].elements[0].id": _element_id,
}
ALL = REQUIRED | LONG | OTHER


def problems_with(setter: Setter, value: str) -> list[str]:
    data = copy.deepcopy(sample_data())
    setter(data, value)
    exp, problems = definition_problems(data)
    assert (exp is None) == bool(problems)
    return [f"{path}: {message}" for path, message in problems]


@pytest.mark.parametrize("path", sorted(REQUIRED | LONG | {"screens[0].elements[0].attribute": _attribute}))
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("A\x00B", "must not contain a NUL character"),
        ("A\x1bB", "must not contain control character U+001B"),
        ("A\x85B", "must not contain control character U+0085"),
        ("A\ud800B", "is not valid Unicode (it holds an unpaired surrogate)"),
    ],
)
def test_bad_characters_are_refused_everywhere(path: str, value: str, message: str) -> None:
    setter = (REQUIRED | LONG | OTHER)[path]
    assert f"{path}: {message}" in problems_with(setter, value)


@pytest.mark.parametrize("path", sorted(REQUIRED))
def test_tabs_and_newlines_only_in_long_texts(path: str) -> None:
    found = problems_with(REQUIRED[path], "Two\nlines")
    assert f"{path}: must be one line: tabs and line breaks are allowed only in body and description" in found


@pytest.mark.parametrize("path", sorted(LONG))
def test_long_texts_may_span_lines(path: str) -> None:
    assert problems_with(LONG[path], "First line.\n\tSecond line.\r\n") == []


@pytest.mark.parametrize("path", sorted(REQUIRED))
@pytest.mark.parametrize("blank", ["", " ", "\u3000", "\u00a0 "])
def test_whitespace_only_required_text_counts_as_missing(path: str, blank: str) -> None:
    assert f"{path}: is empty; it is required" in problems_with(REQUIRED[path], blank)


def test_a_condition_value_is_checked_too() -> None:
    found = problems_with(_condition_value, "oily\x00")
    assert "outcomes[1].when.all[0].in[0]: must not contain a NUL character" in found


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(ALL)), value=st.text(max_size=60))
def test_arbitrary_text_never_crashes_validation(field: str, value: str) -> None:
    data = copy.deepcopy(sample_data())
    ALL[field](data, value)
    exp, problems = definition_problems(data)
    assert (exp is None) == bool(problems)
    for path, message in problems:
        line = f"{path}: {message}"
        assert line == printable(line) and "\n" not in line
        line.encode("utf-8")  # printable on any UTF-8 terminal


@settings(max_examples=200, deadline=None)
@given(
    doc=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=10) | st.integers() | st.booleans(), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_arbitrary_documents_never_crash_validation(doc: Any) -> None:
    for data in (doc, {**sample_data(), "screens": doc}, {**sample_data(), "outcomes": [{"id": "x", "when": doc}]}):
        exp, problems = definition_problems(data)
        assert exp is None and problems or exp is not None and not problems
        for path, message in problems:
            assert f"{path}: {message}" == printable(f"{path}: {message}")


@pytest.mark.parametrize(
    ("value", "shown"),
    [("plain", "plain"), ("a\x1b[31mb", "a\\x1b[31mb"), ("a\ud800b", "a\\ud800b"), ("tab\there", "tab\\there")],
)
def test_printable_escapes_what_a_terminal_would_act_on(value: str, shown: str) -> None:
    assert printable(value) == shown
