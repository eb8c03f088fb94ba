"""/users/export/ids over real HTTP: Braze's export object, lookups, fields_to_export, limits."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.sandbox.conftest import EXPORT_ONLY_KEY, GROUP, Sandbox

ALIAS = {"alias_name": "a-1", "alias_label": "crm"}


def seed(sandbox: Sandbox) -> None:
    sandbox.track(
        attributes=[{
            "external_id": "u1", "first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", "dob": "1980-12-21",
            "home_city": "Chicago", "country": "US", "phone": "+442071838750", "language": "en", "time_zone": "America/Chicago",
            "gender": "F", "push_subscribe": "opted_in", "email_subscribe": "subscribed", "current_location": {"longitude": -87.8, "latitude": 41.8},
            "push_tokens": [{"app_id": "app-1", "token": "tok", "device_id": "device-0001"}], "email_click_tracking_disabled": True,
            "subscription_groups": [{"subscription_group_id": GROUP, "subscription_state": "subscribed"}], "loyalty": 107,
        }],
        events=[{"external_id": "u1", "name": "Loyalty", "time": "2021-06-28T17:02:43.032Z"}],
        purchases=[{"external_id": "u1", "product_id": "item_40834", "currency": "USD", "price": 2, "quantity": 2, "time": "2021-09-05T03:45:50.540Z"}],
    )  # fmt: skip
    sandbox.post("/users/alias/new", {"user_aliases": [{**ALIAS, "external_id": "u1"}]})


def test_the_export_object(sandbox: Sandbox) -> None:
    seed(sandbox)
    r = sandbox.post("/users/export/ids", {"external_ids": ["u1"]}, key=EXPORT_ONLY_KEY)
    assert r.status_code == 201
    body = r.json()
    assert body["message"] == "success" and "invalid_user_ids" not in body
    [user] = body["users"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} UTC", user.pop("created_at"))
    assert re.fullmatch(r"[0-9a-f]{24}", user.pop("braze_id"))
    assert 0 <= user.pop("random_bucket") < 10_000
    assert user == {
        "external_id": "u1", "user_aliases": [ALIAS], "first_name": "Jane", "last_name": "Doe", "email": "jane@example.com",
        "dob": "1980-12-21", "home_city": "Chicago", "country": "US", "phone": "+442071838750", "language": "en",
        "time_zone": "America/Chicago", "gender": "F", "push_subscribe": "opted_in", "email_subscribe": "subscribed",
        "last_coordinates": [-87.8, 41.8], "custom_attributes": {"loyalty": 107},
        "custom_events": [{"name": "Loyalty", "first": "2021-06-28T17:02:43.032Z", "last": "2021-06-28T17:02:43.032Z", "count": 1}],
        "purchases": [{"name": "item_40834", "first": "2021-09-05T03:45:50.540Z", "last": "2021-09-05T03:45:50.540Z", "count": 2}],
        "push_tokens": [{"app": "app-1", "token": "tok", "device_id": "device-0001"}],
    }  # fmt: skip


@pytest.mark.parametrize(
    "query",
    [
        {"external_ids": ["u1"]},
        {"user_aliases": [ALIAS]},
        {"email_address": "JANE@example.com"},
        {"phone": "+442071838750"},
    ],
)
def test_lookups(sandbox: Sandbox, query: dict[str, Any]) -> None:
    seed(sandbox)
    assert [u["external_id"] for u in sandbox.export(**query)] == ["u1"]


def test_by_braze_id_and_unknown_ids(sandbox: Sandbox) -> None:
    seed(sandbox)
    braze_id = sandbox.export(external_ids=["u1"])[0]["braze_id"]
    assert sandbox.export(braze_id=braze_id)[0]["external_id"] == "u1"
    r = sandbox.post("/users/export/ids", {"external_ids": ["u1", "nobody", "ghost"]})
    assert [u["external_id"] for u in r.json()["users"]] == ["u1"]
    assert r.json()["invalid_user_ids"] == ["nobody", "ghost"]
    r = sandbox.post("/users/export/ids", {"email_address": "who@x.co"})
    assert r.json() == {"message": "success", "users": [], "invalid_user_ids": ["who@x.co"]}
    r = sandbox.post("/users/export/ids", {"device_id": "dev-1"})  # the sandbox has no devices
    assert r.json() == {"message": "success", "users": [], "invalid_user_ids": ["dev-1"]}


def test_fields_to_export(sandbox: Sandbox) -> None:
    seed(sandbox)
    [user] = sandbox.export(
        external_ids=["u1"], fields_to_export=["first_name", "email", "purchases", "custom_attributes"]
    )
    assert user == {
        "first_name": "Jane", "email": "jane@example.com", "custom_attributes": {"loyalty": 107},
        "purchases": [{"name": "item_40834", "first": "2021-09-05T03:45:50.540Z", "last": "2021-09-05T03:45:50.540Z", "count": 2}],
    }  # fmt: skip


BAD: list[tuple[dict[str, Any], str]] = [
    ({"external_ids": [f"u{i}" for i in range(51)]}, "The max number of external_ids and aliases per request was exceeded"),
    ({"user_aliases": [{"alias_name": f"a{i}", "alias_label": "l"} for i in range(51)]}, "The max number of external_ids and aliases per request was exceeded"),
    ({}, "give external_ids, user_aliases, device_id, braze_id, email_address or phone"),
    ({"email_address": "a@x.co", "phone": "+15555550100"}, "only one of device_id, braze_id, email_address or phone may be given"),
    ({"external_ids": ["u1"], "fields_to_export": ["first_name", "shoe_size"]}, "Invalid fields_to_export: shoe_size"),
    ({"external_ids": "u1"}, "external_ids: Input should be a valid list"),
    ({"external_ids": ["u1"], "extra": 1}, "extra: Extra inputs are not permitted"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "message"), BAD, ids=[m[:50] for _, m in BAD])
def test_bad_export_requests_are_400(sandbox: Sandbox, body: dict[str, Any], message: str) -> None:
    r = sandbox.post("/users/export/ids", body)
    assert r.status_code == 400
    assert message in r.json()["message"]
