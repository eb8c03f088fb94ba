"""Data points over real HTTP: each row is one /users/track body and the data points Braze's rules
charge for it, read from the request log, the stats and the profile."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sandbox.conftest import GROUP, NOW, Sandbox

U = {"external_id": "u"}
POINTS: list[tuple[str, dict[str, Any], int]] = [
    ("one per custom attribute set", {"attributes": [{**U, "a": 1, "b": "x", "c": True}]}, 3),
    ("unset costs one", {"attributes": [{**U, "a": None}]}, 1),
    ("inc costs one", {"attributes": [{**U, "n": {"inc": 5}}]}, 1),
    ("setting a whole array costs one", {"attributes": [{**U, "tags": ["a", "b", "c"]}]}, 1),
    ("adding costs one per value", {"attributes": [{**U, "tags": {"add": ["a", "b", "c"]}}]}, 3),
    ("removing costs one per update", {"attributes": [{**U, "tags": {"remove": ["a", "b"]}}]}, 1),
    ("a nested object costs one per key", {"attributes": [{**U, "pet": {"a": 1, "b": {"c": 1, "d": 2}}}]}, 3),
    ("a nested object set to null costs one", {"attributes": [{**U, "pet": None}]}, 1),
    ("an array of objects costs one per attribute of each object", {"attributes": [{**U, "pets": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}]}, 4),
    ("$add costs one per attribute added", {"attributes": [{**U, "pets": {"$add": [{"id": 3, "name": "c"}]}}]}, 2),
    ("$update costs one per property set", {"attributes": [{**U, "_merge_objects": True, "pets": {"$update": [{"$identifier_key": "id", "$identifier_value": 1, "$new_object": {"name": "z"}}]}}]}, 1),
    ("$remove costs one per criterion", {"attributes": [{**U, "pets": {"$remove": [{"$identifier_key": "id", "$identifier_value": 1}, {"$identifier_key": "id", "$identifier_value": 2}]}}]}, 2),
    ("standard fields cost one each", {"attributes": [{**U, "first_name": "A", "email": "a@x.co", "country": "US", "language": "en", "dob": "1990-01-01"}]}, 5),
    ("subscription state is free", {"attributes": [{**U, "email_subscribe": "opted_in", "push_subscribe": "subscribed", "subscription_groups": [{"subscription_group_id": GROUP, "subscription_state": "subscribed"}]}]}, 0),
    ("push tokens are free", {"attributes": [{**U, "push_tokens": [{"app_id": "app", "token": "tok"}]}]}, 0),
    ("identifiers are free", {"attributes": [{**U}, {"user_alias": {"alias_name": "n", "alias_label": "l"}, "_update_existing_only": False}]}, 0),
    ("the email that looks a user up is free", {"attributes": [{"email": "look@x.co", "n": 1}]}, 1),
    ("each event costs one", {"events": [{**U, "name": "e", "time": NOW}, {**U, "name": "e", "time": NOW}]}, 2),
    ("a purchase costs its quantity, times one plus its properties", {"purchases": [{**U, "product_id": "p", "currency": "USD", "price": 1, "quantity": 2, "time": NOW, "properties": {"a": 1, "b": 2}}]}, 6),
    ("unchanged values are charged again", {"attributes": [{**U, "a": 1}, {**U, "a": 1}]}, 2),
    ("rejected objects cost nothing", {"attributes": [{**U, "a": 1}, {**U, "email": "bad"}]}, 1),
    ("skipped update-only objects cost nothing", {"attributes": [{"external_id": "ghost", "_update_existing_only": True, "a": 1}]}, 0),
    ("dropped nested updates cost nothing", {"attributes": [{**U, "pet": {"a": None}, "toy": {"b": 1}, "n": 1}]}, 1),
    ("an unknown time zone is not set and costs nothing", {"attributes": [{**U, "time_zone": "Nowhere/Else"}]}, 0),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "points"), POINTS, ids=[p[0] for p in POINTS])
def test_data_points_follow_brazes_rules(sandbox: Sandbox, case: str, body: dict[str, Any], points: int) -> None:
    r = sandbox.post("/users/track", body)
    assert r.status_code == 201, r.text
    [entry] = sandbox.log()
    assert entry["data_points"] == points
    assert sandbox.stats()["data_points"] == points
    if points and sandbox.export(external_ids=["u"]):
        assert sandbox.profile(external_ids=["u"])["data_points"] == points


def test_counters_add_up_per_request_profile_and_workspace(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="a", x=1, y=2)
    sandbox.attrs(external_id="b", tags={"add": ["1", "2", "3"]})
    sandbox.attrs(external_id="a", x=None)
    assert [e["data_points"] for e in sandbox.log(limit=10)] == [2, 3, 1]
    assert sandbox.stats()["data_points"] == 6
    assert (sandbox.profile(external_ids=["a"])["data_points"], sandbox.profile(external_ids=["b"])["data_points"]) == (
        3,
        3,
    )
    sandbox.post("/users/delete", {"external_ids": ["a"]})
    sandbox.post(
        "/v2/subscription/status/set",
        {
            "subscription_groups": [
                {"subscription_group_id": GROUP, "subscription_state": "subscribed", "external_ids": ["b"]}
            ]
        },
    )
    assert sandbox.stats()["data_points"] == 6  # deleting and subscription changes are free
