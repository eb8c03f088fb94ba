"""Profile-update semantics as pure functions (sources in zeroparty.sandbox.rules.profile_ops)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from zeroparty.sandbox.rules.profile_ops import Profile, apply_attributes

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def applied(before: dict[str, Any], change: dict[str, Any], **kw: Any) -> tuple[dict[str, Any], int, list[str]]:
    profile = Profile({}, dict(before))
    result = apply_attributes(profile, {"external_id": "u", **change}, NOW, **kw)
    return profile.custom, result.data_points, result.notes


@pytest.mark.parametrize(
    ("before", "change", "after", "points"),
    [
        ({}, {"a": 1}, {"a": 1}, 1),
        ({"a": 1}, {"a": None}, {}, 1),
        ({"n": 2}, {"n": {"inc": 3}}, {"n": 5}, 1),
        ({"n": True}, {"n": {"inc": 3}}, {"n": 3}, 1),  # a boolean is no number to add to
        ({}, {"t": ["a", "a", "b"]}, {"t": ["a", "b"]}, 1),
        ({"t": ["a", "b"]}, {"t": {"add": ["a"]}}, {"t": ["b", "a"]}, 1),
        ({"t": ["a"]}, {"t": {"add": ["b", "c"]}}, {"t": ["a", "b", "c"]}, 2),
        ({"t": ["a", "b"]}, {"t": {"remove": ["a"]}}, {"t": ["b"]}, 1),
        ({"t": "not a list"}, {"t": {"add": ["a"]}}, {"t": ["a"]}, 1),
        ({}, {"o": {"a": 1, "b": {"c": 2}}}, {"o": {"a": 1, "b": {"c": 2}}}, 2),
        ({"o": {"a": 1}}, {"o": {"b": 2}}, {"o": {"b": 2}}, 1),
        ({"o": {"a": 1}}, {"o": {"b": 2}, "_merge_objects": True}, {"o": {"a": 1, "b": 2}}, 1),
        ({}, {"o": {}}, {"o": {}}, 1),
        ({}, {"d": "2021-12-01"}, {"d": "2021-12-01T00:00:00.000Z"}, 1),
        ({}, {"d": "3100-12-01"}, {"d": "3100-12-01"}, 1),
        ({}, {"d": {"$time": "2099-12-01"}}, {"d": "2026-01-01T00:00:00.000Z"}, 1),
        ({}, {"p": [{"id": 1, "n": "a"}]}, {"p": [{"id": 1, "n": "a"}]}, 2),
        ({"p": [{"id": 1}, {"id": 2}]}, {"p": {"$remove": [{"$identifier_key": "id", "$identifier_value": 1}]}}, {"p": [{"id": 2}]}, 1),
        ({"p": [{"id": 1, "a": {"b": 1}}]}, {"_merge_objects": True, "p": {"$update": [{"$identifier_key": "id", "$identifier_value": 1, "$new_object": {"a": {"c": 2}}}]}},
         {"p": [{"id": 1, "a": {"b": 1, "c": 2}}]}, 1),
        ({"p": [{"id": 1, "x": 1}]}, {"p": {"$update": [{"$identifier_key": "id", "$identifier_value": 1, "$new_object": {"y": 2}}]}}, {"p": [{"y": 2}]}, 1),
        ({"p": [{"id": "1"}]}, {"p": {"$remove": [{"$identifier_key": "id", "$identifier_value": 1}]}}, {"p": [{"id": "1"}]}, 1),  # "1" is not 1
    ],
)  # fmt: skip
def test_custom_attribute_changes(
    before: dict[str, Any], change: dict[str, Any], after: dict[str, Any], points: int
) -> None:
    custom, used, _ = applied(before, change)
    assert (custom, used) == (after, points)


def test_the_array_cap_is_configurable() -> None:
    custom, _, _ = applied({}, {"t": {"add": [str(i) for i in range(10)]}}, array_cap=3)
    assert custom == {"t": ["7", "8", "9"]}


def test_drop_nested_skips_nested_updates_only() -> None:
    custom, used, notes = applied({"o": {"a": 1}}, {"o": {"b": 2}, "p": {"$add": [{"x": 1}]}, "n": 1}, drop_nested=True)
    assert (custom, used) == ({"o": {"a": 1}, "n": 1}, 1)
    assert len(notes) == 2


def test_over_100_kb_leaves_the_attribute_unchanged() -> None:
    custom, used, notes = applied({"o": {"a": 1}}, {"o": {f"k{i}": "x" * 250 for i in range(500)}})
    assert (custom, used) == ({"o": {"a": 1}}, 0) and "100 KB" in notes[0]


def test_standard_fields() -> None:
    profile = Profile(
        {
            "country": "NO",
            "time_zone": "Europe/Oslo",
            "subscription_groups": [{"subscription_group_id": "g1", "subscription_state": "subscribed"}],
        },
        {},
    )
    result = apply_attributes(
        profile,
        {"external_id": "u", "email": "A@B.co", "country": "Norway", "time_zone": "Nowhere", "bio": "x", "gender": None,
         "subscription_groups": [{"subscription_group_id": "g2", "subscription_state": "unsubscribed"}], "email_subscribe": "opted_in"},
        NOW,
    )  # fmt: skip
    assert profile.fields == {
        "country": "NO", "time_zone": "Europe/Oslo", "email": "a@b.co", "email_subscribe": "opted_in",
        "subscription_groups": [{"subscription_group_id": "g1", "subscription_state": "subscribed"},
                                {"subscription_group_id": "g2", "subscription_state": "unsubscribed"}],
    }  # fmt: skip
    assert result.data_points == 3  # email, country, gender (unset); the time zone was not set, subscriptions are free
