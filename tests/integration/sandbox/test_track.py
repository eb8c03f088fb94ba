"""/users/track: per-object validation with Braze's partial-failure answers, and what lands on the
profile. Each case is a request, the exact answer, and the profile read back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sandbox.conftest import Sandbox

NO_VALID = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."
NOW = "2026-01-02T03:04:05Z"


def test_success_body_counts_each_array(sandbox: Sandbox) -> None:
    body = {
        "attributes": [{"external_id": "u1", "color": "red"}],
        "events": [
            {"external_id": "u1", "name": "quiz_done", "time": NOW},
            {"external_id": "u1", "name": "x", "time": NOW},
        ],
        "purchases": [{"external_id": "u1", "product_id": "p1", "currency": "USD", "price": 9.5, "time": NOW}],
    }
    r = sandbox.post("/users/track", body)
    assert r.status_code == 201
    assert r.json() == {
        "message": "success",
        "attributes_processed": 1,
        "events_processed": 2,
        "purchases_processed": 1,
    }
    [user] = sandbox.export(external_ids=["u1"])
    assert user["custom_attributes"] == {"color": "red"}
    assert {e["name"]: e["count"] for e in user["custom_events"]} == {"quiz_done": 1, "x": 1}
    assert user["purchases"][0]["name"] == "p1"


BAD_OBJECTS: list[tuple[str, str, dict[str, Any], str]] = [
    ("no identifier", "attributes", {"color": "red"}, "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required"),
    ("two primaries", "attributes", {"external_id": "a", "braze_id": "b"}, "Only one of 'external_id', 'user_alias' or 'braze_id' may be provided"),
    ("external_id too long", "attributes", {"external_id": "x" * 988}, "'external_id' must be fewer than 988 bytes"),
    ("bad email", "attributes", {"external_id": "a", "email": "nope"}, "The value provided for the 'email' field is not a valid email."),
    ("bad email_subscribe", "attributes", {"external_id": "a", "email_subscribe": "yes"}, "'email_subscribe' must be one of opted_in, unsubscribed or subscribed"),
    ("bad gender", "attributes", {"external_id": "a", "gender": "X"}, "'gender' must be one of M, F, O, N, P or null"),
    ("bad push_subscribe", "attributes", {"external_id": "a", "push_subscribe": "maybe"}, "'push_subscribe' must be one of opted_in, unsubscribed or subscribed"),
    ("bad language", "attributes", {"external_id": "a", "language": "english"}, "'language' must be an ISO-639-1 code"),
    ("country not a string", "attributes", {"external_id": "a", "country": 36}, "'country' must be a string or null"),
    ("email_subscription_info", "attributes", {"external_id": "a", "email_subscription_info": {}}, "INVALID_ATTRIBUTE_EMAIL_SUBSCRIPTION_INFO"),
    ("bad subscription group state", "attributes", {"external_id": "a", "subscription_groups": [{"subscription_group_id": "9b1f3c1e-6f0e-4a53-9d1a-2b7c8e1d0f55", "subscription_state": "maybe"}]}, "BAD_SUBSCRIPTION_GROUP_STATE"),
    ("long custom string", "attributes", {"external_id": "a", "bio2": "x" * 256}, "Attribute 'bio2' string values must be at most 255 characters"),
    ("purchase without time", "purchases", {"external_id": "a", "product_id": "p", "currency": "USD", "price": 1}, "'time' is required and must be an ISO-8601 time"),
    ("bad dob", "attributes", {"external_id": "a", "dob": "1/2/1990"}, "'dob' must be a date string YYYY-MM-DD"),
    ("bad subscription group id", "attributes", {"external_id": "a", "subscription_groups": [{"subscription_group_id": "x", "subscription_state": "subscribed"}]}, "BAD_SUBSCRIPTION_GROUP_ID"),
    ("event without name", "events", {"external_id": "a", "time": NOW}, "'name' is required"),
    ("event without time", "events", {"external_id": "a", "name": "e"}, "'time' is required and must be an ISO-8601 time"),
    ("event reserved property", "events", {"external_id": "a", "name": "e", "time": NOW, "properties": {"time": 1}}, "'time' is a reserved property name"),
    ("event $ property", "events", {"external_id": "a", "name": "e", "time": NOW, "properties": {"$x": 1}}, "Property name '$x' must not start with '$'"),
    ("event long string value", "events", {"external_id": "a", "name": "e", "time": NOW, "properties": {"p": "x" * 256}}, "Property 'p' string values must be at most 255 characters"),
    ("purchase quantity over 100", "purchases", {"external_id": "a", "product_id": "p", "currency": "USD", "price": 1, "quantity": 101, "time": NOW}, "'quantity' is not valid"),
    ("purchase without currency", "purchases", {"external_id": "a", "product_id": "p", "price": 1, "time": NOW}, "'currency' is required and must be an ISO-4217 code"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "array", "bad", "message"), BAD_OBJECTS, ids=[b[0] for b in BAD_OBJECTS])
def test_invalid_objects_are_reported_by_index_and_the_rest_processed(
    sandbox: Sandbox, case: str, array: str, bad: dict[str, Any], message: str
) -> None:
    body = {"attributes": [{"external_id": "good", "ok": True}], array: [bad]}
    if array == "attributes":
        body["attributes"] = [{"external_id": "good", "ok": True}, bad]
    r = sandbox.post("/users/track", body)
    assert r.status_code == 201, r.text
    index = 1 if array == "attributes" else 0
    assert r.json()["errors"] == [{"type": message, "input_array": array, "index": index}]
    assert sandbox.export(external_ids=["good"])[0]["custom_attributes"] == {"ok": True}


def test_all_invalid_is_400(sandbox: Sandbox) -> None:
    r = sandbox.post("/users/track", {"attributes": [{"color": "red"}]})
    assert r.status_code == 400
    assert r.json()["message"] == NO_VALID
    assert sandbox.post("/users/track", {}).json()["message"] == NO_VALID


def test_object_limit_is_75_combined(sandbox: Sandbox) -> None:
    objs = [{"external_id": f"u{i}", "n": i} for i in range(75)]
    assert sandbox.post("/users/track", {"attributes": objs}).status_code == 201
    r = sandbox.post("/users/track", {"attributes": objs, "events": [{"external_id": "u1", "name": "e", "time": NOW}]})
    assert r.status_code == 400
    assert r.json()["message"] == "Max Input Length Exceeded"


def test_set_unset_inc_and_arrays(sandbox: Sandbox) -> None:
    def track(**attrs: Any) -> None:
        assert sandbox.post("/users/track", {"attributes": [{"external_id": "u", **attrs}]}).status_code == 201

    track(color="red", visits=1, tags=["a", "b"])
    track(visits={"inc": 2}, tags={"add": ["a", "c"]}, color=None)
    custom = sandbox.export(external_ids=["u"])[0]["custom_attributes"]
    assert custom == {"visits": 3, "tags": ["b", "a", "c"]}  # re-adding "a" moved it to the end
    track(tags={"remove": ["b"]})
    assert sandbox.export(external_ids=["u"])[0]["custom_attributes"]["tags"] == ["a", "c"]


def test_array_cap_drops_the_oldest(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", {"attributes": [{"external_id": "u", "xs": {"add": [str(i) for i in range(30)]}}]})
    xs = sandbox.export(external_ids=["u"])[0]["custom_attributes"]["xs"]
    assert xs == [str(i) for i in range(5, 30)]


def test_nested_objects_overwrite_unless_merge(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", {"attributes": [{"external_id": "u", "pet": {"name": "Rex", "age": 3}}]})
    sandbox.post("/users/track", {"attributes": [{"external_id": "u", "pet": {"age": 4}}]})
    assert sandbox.export(external_ids=["u"])[0]["custom_attributes"]["pet"] == {"age": 4}
    sandbox.post("/users/track", {"attributes": [{"external_id": "u", "_merge_objects": True, "pet": {"name": "Rex"}}]})
    assert sandbox.export(external_ids=["u"])[0]["custom_attributes"]["pet"] == {"age": 4, "name": "Rex"}


def test_date_strings_become_times_and_future_times_become_now(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", {"attributes": [{"external_id": "u", "joined": "2021-12-01", "later": "2999-01-01"}]})
    custom = sandbox.export(external_ids=["u"])[0]["custom_attributes"]
    assert custom["joined"] == "2021-12-01T00:00:00Z"
    assert custom["later"] < "2100"


def test_email_lookup_prefers_the_profile_with_an_external_id(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", {"attributes": [{"email": "a@x.co", "source": "email-only"}]})
    sandbox.post("/users/track", {"attributes": [{"external_id": "known", "email": "a@x.co"}]})
    sandbox.post("/users/track", {"attributes": [{"email": "a@x.co", "plan": "pro"}]})
    users = {u.get("external_id"): u for u in sandbox.export(email_address="a@x.co")}
    assert users["known"]["custom_attributes"] == {"plan": "pro"}
    assert users[None]["custom_attributes"] == {"source": "email-only"}


def test_email_only_profile_is_created_once(sandbox: Sandbox) -> None:
    for n in (1, 2):
        sandbox.post("/users/track", {"attributes": [{"email": "New@X.co", "n": n}]})
    [user] = sandbox.export(email_address="new@x.co")
    assert user["email"] == "new@x.co" and user["custom_attributes"] == {"n": 2} and "external_id" not in user


def test_update_existing_only_defaults(sandbox: Sandbox) -> None:
    alias = {"alias_name": "anon-1", "alias_label": "quiz"}
    sandbox.post("/users/track", {"attributes": [{"user_alias": alias, "a": 1}]})
    assert sandbox.export(user_aliases=[alias]) == []  # an alias only updates by default
    sandbox.post("/users/track", {"attributes": [{"user_alias": alias, "a": 1, "_update_existing_only": False}]})
    [user] = sandbox.export(user_aliases=[alias])
    assert user["user_aliases"] == [alias] and user["custom_attributes"] == {"a": 1}
    sandbox.post("/users/track", {"attributes": [{"external_id": "ghost", "_update_existing_only": True, "a": 1}]})
    assert sandbox.export(external_ids=["ghost"]) == []


def test_data_points_follow_brazes_rules(sandbox: Sandbox) -> None:
    body = {
        "attributes": [
            {"external_id": "u", "a": 1, "b": "x", "tags": {"add": ["t1", "t2", "t3"]}, "email_subscribe": "opted_in"}
        ]
    }
    sandbox.post("/users/track", body)
    entry = sandbox.client.get(sandbox.base + "/_sandbox/requests").json()["requests"][-1]
    assert entry["data_points"] == 5  # a, b, three array values; subscription state is free
    stats = sandbox.client.get(sandbox.base + "/_sandbox/stats").json()
    assert stats["data_points"] == 5 and stats["profiles"] == 1
    assert sandbox.export(external_ids=["u"])[0]["data_points"] == 5


def test_arrays_of_objects_add_update_remove(sandbox: Sandbox) -> None:
    def track(**attrs: Any) -> None:
        r = sandbox.post("/users/track", {"attributes": [{"external_id": "u", **attrs}]})
        assert r.status_code == 201 and "errors" not in r.json(), r.text

    track(pets={"$add": [{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}]})
    track(
        _merge_objects=True,
        pets={"$update": [{"$identifier_key": "id", "$identifier_value": 1, "$new_object": {"age": 3}}]},
    )
    assert sandbox.export(external_ids=["u"])[0]["custom_attributes"]["pets"] == [
        {"id": 1, "name": "Rex", "age": 3},
        {"id": 2, "name": "Tom"},
    ]
    track(pets={"$remove": [{"$identifier_key": "id", "$identifier_value": 2}]})
    assert sandbox.export(external_ids=["u"])[0]["custom_attributes"]["pets"] == [{"id": 1, "name": "Rex", "age": 3}]


def test_time_operator(sandbox: Sandbox) -> None:
    sandbox.post(
        "/users/track",
        {"attributes": [{"external_id": "u", "seen": {"$time": "2025-05-05"}, "bad": {"$time": "nope"}}]},
    )
    custom = sandbox.export(external_ids=["u"])[0]["custom_attributes"]
    assert custom == {"seen": "2025-05-05T00:00:00Z"}  # an invalid time is dropped, the request still succeeds


@pytest.mark.parametrize(
    ("value", "message"),
    [({"add": 5}, "'add' takes an array"), ({"inc": "x"}, "'inc' takes a number"), ({"$add": [1]}, "'$add' takes an array of objects"),
     ({"$remove": [{"x": 1}]}, "need '$identifier_key'"), ({"a b": 1}, "cannot contain spaces")],
)  # fmt: skip
def test_malformed_operators_are_rejected_per_object(sandbox: Sandbox, value: Any, message: str) -> None:
    r = sandbox.post("/users/track", {"attributes": [{"external_id": "ok", "n": 1}, {"external_id": "u", "v": value}]})
    assert r.status_code == 201
    [error] = r.json()["errors"]
    assert error["index"] == 1 and message in error["type"]


def test_profile_fields_are_stored_and_country_is_mapped_or_nulled(sandbox: Sandbox) -> None:
    sandbox.post(
        "/users/track",
        {"attributes": [{"external_id": "u", "country": "au", "language": "fr", "gender": "F", "dob": "1990-02-03"}]},
    )
    user = sandbox.export(external_ids=["u"])[0]
    assert (user["country"], user["language"], user["gender"], user["dob"]) == ("AU", "fr", "F", "1990-02-03")
    sandbox.post("/users/track", {"attributes": [{"external_id": "u", "country": "Atlantis"}]})
    assert "country" not in sandbox.export(external_ids=["u"])[0]  # not mappable: set to null


def test_email_is_the_lookup_before_phone(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", {"attributes": [{"phone": "+15555550100", "by": "phone"}]})
    sandbox.post("/users/track", {"attributes": [{"email": "p@x.co", "phone": "+15555550100", "by": "email"}]})
    [by_email] = sandbox.export(email_address="p@x.co")
    assert by_email["custom_attributes"] == {"by": "email"}
    # The email found no profile, so a new email-only one was made; the phone-only one is untouched.
    by_phone = sorted(u["custom_attributes"]["by"] for u in sandbox.export(phone="+15555550100"))
    assert by_phone == ["email", "phone"]


def test_future_event_times_become_now(sandbox: Sandbox) -> None:
    sandbox.post(
        "/users/track",
        {
            "events": [{"external_id": "u", "name": "e", "time": "2999-01-01T00:00:00Z"}],
            "attributes": [{"external_id": "u"}],
        },
    )
    [event] = sandbox.export(external_ids=["u"])[0]["custom_events"]
    assert event["first"] < "2100"
