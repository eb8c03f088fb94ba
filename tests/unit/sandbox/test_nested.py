"""Nested custom attributes (https://www.braze.com/docs/user_guide/data/activation/attributes/nested_custom_attribute_support/)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from zeroparty.sandbox.rules.nested import (
    count_keys,
    deep_merge,
    depth_over,
    is_nested_update,
    nested_problem,
    resolve_times,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "nested"),
    [({"a": 1}, True), ([{"a": 1}], True), ({"$add": [{"a": 1}]}, True), ({"$remove": []}, True),
     ({"inc": 1}, False), ({"add": ["a"]}, False), ({"$time": "2020-01-01"}, False), ([1, 2], False), ([], False), ({}, False), ("x", False)],
)  # fmt: skip
def test_which_updates_are_nested(value: Any, nested: bool) -> None:
    assert is_nested_update(value) is nested


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": 1, "b": {"c": [1, "x"], "d": {"$time": "2020-01-01"}}}, None),
        ({"a": None}, "null value at 'a'"),
        ({"a": {"b": [None]}}, "null value at 'a.b[0]'"),
        ({"a": {"$time": "nope"}}, "invalid $time at 'a'"),
        ({"a b": 1}, "invalid key name 'a b' (no spaces, '.' or '$'; 1 to 255 characters)"),
        ({"a.b": 1}, "invalid key name 'a.b' (no spaces, '.' or '$'; 1 to 255 characters)"),
        ({"$a": 1}, "invalid key name '$a' (no spaces, '.' or '$'; 1 to 255 characters)"),
        ({"a": "x" * 256}, "string over 255 characters at 'a'"),
        ([{"a": 1}, {"b": None}], "null value at 'b'"),
        ({"$add": [{"a": None}]}, "null value at 'a'"),
        (
            {"$update": [{"$identifier_key": "id", "$identifier_value": 1, "$new_object": {"x": None}}]},
            "null value at 'x'",
        ),
        ({"$remove": [{"$identifier_key": "id", "$identifier_value": None}]}, None),
    ],
)
def test_nested_problem(value: Any, problem: str | None) -> None:
    assert nested_problem(value) == problem


def test_resolve_times() -> None:
    value = {
        "born": {"$time": "1980-01-01"},
        "later": {"$time": "2999-01-01"},
        "far": {"$time": "3100-01-01"},
        "list": [{"at": {"$time": "2020-05-28"}}],
    }
    assert resolve_times(value, NOW) == {
        "born": "1980-01-01T00:00:00.000Z", "later": "2026-01-01T00:00:00.000Z", "list": [{"at": "2020-05-28T00:00:00.000Z"}],
    }  # fmt: skip


def test_depth_over_is_iterative() -> None:
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    assert depth_over(deep, 50) and not depth_over([[1]], 2) and depth_over([[[1]]], 2)


def test_deep_merge_and_count_keys() -> None:
    assert deep_merge({"a": {"b": 1, "c": 2}, "d": 1}, {"a": {"c": 3}, "e": 4}) == {
        "a": {"b": 1, "c": 3},
        "d": 1,
        "e": 4,
    }
    assert count_keys({"a": 1, "b": {"c": 1, "d": {"e": 1}}, "t": {"$time": "2020-01-01"}}) == 4
    assert count_keys({}) == 1
