"""Object validation as pure functions; the full table runs over HTTP in tests/integration/sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from zeroparty.sandbox.rules.validation import count_objects, custom_value_problem, object_problem, over_object_limit

NOW = "2026-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("array", "obj", "ok"),
    [
        ("attributes", {"external_id": "u", "a": 1, "tags": ["x"], "o": {"k": {"j": [1]}}, "p": [{"a": 1}]}, True),
        ("attributes", {"external_id": "u", "o": {"a b": None}}, True),  # nested values are dropped, not rejected
        ("attributes", {"external_id": "u", "n": float("inf")}, False),
        ("attributes", {"email": "a@x.co"}, True),
        ("attributes", {"phone": "+1 (555) 555-0100"}, True),
        ("attributes", {"phone": "12"}, False),
        ("events", {"external_id": "u", "name": "e", "time": NOW, "properties": {"nested": {"ok": [1, 2]}}}, True),
        ("events", {"external_id": "u", "name": "e", "time": NOW, "app_id": 3}, False),
        ("purchases", {"external_id": "u", "product_id": "p", "currency": "eur", "price": 0, "time": NOW}, True),
        (
            "purchases",
            {"external_id": "u", "product_id": "p", "currency": "EUR", "price": float("nan"), "time": NOW},
            False,
        ),
    ],
)
def test_object_problem(array: str, obj: dict[str, Any], ok: bool) -> None:
    assert (object_problem(array, obj) is None) is ok, object_problem(array, obj)


def test_deeply_nested_values_are_refused_without_recursion() -> None:
    deep: Any = 1
    for _ in range(10_000):
        deep = {"a": deep}
    assert custom_value_problem("o", deep) == "Attribute 'o' is nested more than 50 levels deep"


def test_object_limits() -> None:
    counts = count_objects({"attributes": [1] * 50, "events": [1] * 26, "purchases": "x"})
    assert counts == {"attributes": 50, "events": 26}
    assert over_object_limit(counts, 75, per_array=False)
    assert not over_object_limit(counts, 75, per_array=True)
