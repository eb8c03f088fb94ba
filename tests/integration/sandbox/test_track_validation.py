"""/users/track validation over real HTTP: Braze's partial-failure answers, object limits, and the
400 when nothing is valid. Each row: one bad object sent beside a good one, and the exact error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sandbox.conftest import GROUP, NOW, Sandbox, start

NO_VALID = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."
EVENT = {"external_id": "a", "name": "e", "time": NOW}
PURCHASE = {"external_id": "a", "product_id": "p", "currency": "USD", "price": 1, "time": NOW}

BAD_OBJECTS: list[tuple[str, str, Any, str]] = [
    # identifiers
    ("not an object", "attributes", "u1", "Each attributes entry must be an object"),
    ("no identifier", "attributes", {"color": "red"}, "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required"),
    ("two primaries", "attributes", {"external_id": "a", "braze_id": "b"}, "Only one of external_id, user_alias or braze_id may be provided"),
    ("alias and external_id", "attributes", {"external_id": "a", "user_alias": {"alias_name": "n", "alias_label": "l"}}, "Only one of external_id, user_alias or braze_id may be provided"),
    ("external_id of 988 bytes", "attributes", {"external_id": "x" * 988}, "'external_id' must be fewer than 988 bytes"),
    ("external_id of 494 two-byte characters", "attributes", {"external_id": "é" * 494}, "'external_id' must be fewer than 988 bytes"),
    ("external_id not a string", "attributes", {"external_id": 42}, "'external_id' must be a non-empty string"),
    ("alias without label", "attributes", {"user_alias": {"alias_name": "n"}}, "'user_alias' must be an object with string alias_name and alias_label"),
    ("phone lookup with no number", "attributes", {"phone": "call me", "x": 1}, "'phone' must be a valid phone number to identify a user"),
    ("update flag not boolean", "attributes", {"external_id": "a", "_update_existing_only": "yes"}, "'_update_existing_only' must be true or false"),
    # profile fields
    ("bad email", "attributes", {"external_id": "a", "email": "nope"}, "The value provided for the 'email' field is not a valid email."),
    ("email with a space", "attributes", {"external_id": "a", "email": "a b@x.co"}, "The value provided for the 'email' field is not a valid email."),
    ("email with a Unicode domain", "attributes", {"external_id": "a", "email": "jürgen@bücher.de"}, "The value provided for the 'email' field is not a valid email."),
    ("looked up by a Unicode-domain email", "attributes", {"email": "jürgen@bücher.de", "a": 1}, "The value provided for the 'email' field is not a valid email."),
    ("bad email_subscribe", "attributes", {"external_id": "a", "email_subscribe": "yes"}, "'email_subscribe' must be one of opted_in, unsubscribed or subscribed"),
    ("bad push_subscribe", "attributes", {"external_id": "a", "push_subscribe": "maybe"}, "'push_subscribe' must be one of opted_in, unsubscribed or subscribed"),
    ("bad gender", "attributes", {"external_id": "a", "gender": "X"}, "'gender' must be one of M, F, O, N, P or null"),
    ("dob in another format", "attributes", {"external_id": "a", "dob": "1/2/1990"}, "'dob' must be a date string YYYY-MM-DD"),
    ("dob that is no date", "attributes", {"external_id": "a", "dob": "1990-02-30"}, "'dob' must be a date string YYYY-MM-DD"),
    ("bad language", "attributes", {"external_id": "a", "language": "english"}, "'language' must be an ISO-639-1 code"),
    ("country not a string", "attributes", {"external_id": "a", "country": 36}, "'country' must be a string or null"),
    ("first_name not a string", "attributes", {"external_id": "a", "first_name": ["A"]}, "'first_name' must be a string or null"),
    ("date_of_first_session not a date", "attributes", {"external_id": "a", "date_of_first_session": "soon"}, "'date_of_first_session' must be a date string"),
    ("tracking flag not boolean", "attributes", {"external_id": "a", "email_click_tracking_disabled": "no"}, "'email_click_tracking_disabled' must be true or false"),
    ("bad location", "attributes", {"external_id": "a", "current_location": {"lat": 1}}, "'current_location' must be a longitude and latitude (BAD_LOCATION_UPDATE)"),
    ("email_subscription_info", "attributes", {"external_id": "a", "email_subscription_info": {}}, "'email_subscription_info' is not valid (INVALID_ATTRIBUTE_EMAIL_SUBSCRIPTION_INFO)"),
    ("subscription_groups not an array", "attributes", {"external_id": "a", "subscription_groups": {}}, "'subscription_groups' must be an array (BAD_SUBSCRIPTION_GROUP_ARRAY)"),
    ("subscription group not an object", "attributes", {"external_id": "a", "subscription_groups": ["x"]}, "'subscription_groups' entries must be objects (BAD_SUBSCRIPTION_GROUP_HASH)"),
    ("subscription group id not a UUID", "attributes", {"external_id": "a", "subscription_groups": [{"subscription_group_id": "x", "subscription_state": "subscribed"}]}, "'subscription_groups' entries need a UUID subscription_group_id (BAD_SUBSCRIPTION_GROUP_ID)"),
    ("subscription group state", "attributes", {"external_id": "a", "subscription_groups": [{"subscription_group_id": GROUP, "subscription_state": "opted_in"}]}, "'subscription_groups' states must be subscribed or unsubscribed (BAD_SUBSCRIPTION_GROUP_STATE)"),
    ("push token without app", "attributes", {"external_id": "a", "push_tokens": [{"token": "t"}]}, "'push_tokens' entries need an app_id (BAD_PUSH_TOKEN_APP_ID)"),
    ("push token device id too short", "attributes", {"external_id": "a", "push_tokens": [{"app_id": "x", "token": "t", "device_id": "abc"}]}, "'push_tokens' device_id must be 8 to 255 bytes (BAD_DEVICE_ID)"),
    ("token import with external_id", "attributes", {"external_id": "a", "push_token_import": True, "push_tokens": [{"app_id": "x", "token": "t"}]}, "'push_token_import' needs push_tokens and no external_id or braze_id (BAD_PUSH_TOKEN_IMPORT)"),
    # custom attributes
    ("long custom string", "attributes", {"external_id": "a", "bio2": "x" * 256}, "Attribute 'bio2' string values must be at most 255 characters"),
    ("long attribute name", "attributes", {"external_id": "a", "k" * 256: 1}, "Attribute name '" + "k" * 256 + "' must be 1 to 255 characters"),
    ("long array value", "attributes", {"external_id": "a", "tags": ["x" * 256]}, "Attribute 'tags' array values must be at most 255 characters"),
    ("mixed array", "attributes", {"external_id": "a", "tags": [1, {"a": 1}]}, "Attribute 'tags' arrays hold either primitives or objects"),
    ("add takes an array", "attributes", {"external_id": "a", "tags": {"add": 5}}, "Attribute 'tags': add takes an array of strings, numbers or booleans"),
    ("remove takes primitives", "attributes", {"external_id": "a", "tags": {"remove": [{"a": 1}]}}, "Attribute 'tags': remove takes an array of strings, numbers or booleans"),
    ("inc takes a number", "attributes", {"external_id": "a", "n": {"inc": "1"}}, "Attribute 'n': inc takes a number"),
    ("$add takes objects", "attributes", {"external_id": "a", "pets": {"$add": [1]}}, "Attribute 'pets': $add takes an array of objects"),
    ("$remove needs identifiers", "attributes", {"external_id": "a", "pets": {"$remove": [{"id": 1}]}}, "Attribute 'pets': $remove items need $identifier_key and $identifier_value"),
    ("$update needs $new_object", "attributes", {"external_id": "a", "pets": {"$update": [{"$identifier_key": "id", "$identifier_value": 1}]}}, "Attribute 'pets': $update items need a $new_object object"),
    ("$add mixed with keys", "attributes", {"external_id": "a", "pets": {"$add": [], "name": "x"}}, "Attribute 'pets': $add, $remove and $update cannot be mixed with other keys"),
    # events
    ("event without name", "events", {"external_id": "a", "time": NOW}, "'name' is required"),
    ("event name too long", "events", {**EVENT, "name": "e" * 256}, "'name' must be at most 255 characters"),
    ("event without time", "events", {"external_id": "a", "name": "e"}, "'time' is required and must be an ISO-8601 time"),
    ("event time not a time", "events", {**EVENT, "time": "yesterday"}, "'time' is required and must be an ISO-8601 time"),
    ("event properties not an object", "events", {**EVENT, "properties": [1]}, "'properties' must be an object"),
    ("event reserved property time", "events", {**EVENT, "properties": {"time": 1}}, "'properties' must not use the reserved name time"),
    ("event reserved property event_name", "events", {**EVENT, "properties": {"event_name": 1}}, "'properties' must not use the reserved name event_name"),
    ("event $ property", "events", {**EVENT, "properties": {"$x": 1}}, "'properties' names must not start with $ ($x)"),
    ("event empty property name", "events", {**EVENT, "properties": {"": 1}}, "'properties' names must be 1 to 255 characters"),
    ("event long property name", "events", {**EVENT, "properties": {"p" * 256: 1}}, "'properties' names must be 1 to 255 characters"),
    ("event long string value", "events", {**EVENT, "properties": {"p": "x" * 256}}, "'properties' string values must be at most 255 characters (p)"),
    ("event properties over 100 KB", "events", {**EVENT, "properties": {"list": ["x" * 200] * 600}}, "'properties' holding arrays or objects must be at most 100 KB"),
    ("event on an alias without a label", "events", {"user_alias": {"alias_name": "n"}, "name": "e", "time": NOW}, "'user_alias' must be an object with string alias_name and alias_label"),
    # purchases
    ("purchase without product", "purchases", {**PURCHASE, "product_id": ""}, "'product_id' is required and must be at most 255 characters"),
    ("purchase product too long", "purchases", {**PURCHASE, "product_id": "p" * 256}, "'product_id' is required and must be at most 255 characters"),
    ("purchase without currency", "purchases", {k: v for k, v in PURCHASE.items() if k != "currency"}, "'currency' is required and must be an ISO-4217 code"),
    ("purchase unknown currency", "purchases", {**PURCHASE, "currency": "ABC"}, "'currency' is required and must be an ISO-4217 code"),
    ("purchase price a string", "purchases", {**PURCHASE, "price": "1"}, "'price' is required and must be a number"),
    ("purchase price boolean", "purchases", {**PURCHASE, "price": True}, "'price' is required and must be a number"),
    ("purchase quantity over 100", "purchases", {**PURCHASE, "quantity": 101}, "'quantity' is not valid"),
    ("purchase quantity zero", "purchases", {**PURCHASE, "quantity": 0}, "'quantity' is not valid"),
    ("purchase quantity fractional", "purchases", {**PURCHASE, "quantity": 1.5}, "'quantity' is not valid"),
    ("purchase without time", "purchases", {k: v for k, v in PURCHASE.items() if k != "time"}, "'time' is required and must be an ISO-8601 time"),
    ("purchase properties over 50 KB", "purchases", {**PURCHASE, "properties": {"list": ["x" * 200] * 300}}, "'properties' holding arrays or objects must be at most 50 KB"),
    ("purchase $ property", "purchases", {**PURCHASE, "properties": {"$p": 1}}, "'properties' names must not start with $ ($p)"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "array", "bad", "message"), BAD_OBJECTS, ids=[b[0] for b in BAD_OBJECTS])
def test_an_invalid_object_is_reported_by_index_and_the_rest_processed(
    sandbox: Sandbox, case: str, array: str, bad: Any, message: str
) -> None:
    good = {"external_id": "good", "ok": True}
    body: dict[str, Any] = (
        {"attributes": [good, bad]} if array == "attributes" else {"attributes": [good], array: [bad]}
    )
    r = sandbox.post("/users/track", body)
    assert r.status_code == 201, r.text
    index = 1 if array == "attributes" else 0
    expected = {
        "message": "success",
        "attributes_processed": 1,
        "errors": [{"type": message, "input_array": array, "index": index}],
    }
    if array != "attributes":
        expected[f"{array}_processed"] = 0
    assert r.json() == expected
    assert sandbox.custom("good") == {"ok": True}
    assert sandbox.export(external_ids=["a"]) == []  # nothing of the bad object was applied


# The texts about the whole object; every other type names the one field it is about.
OBJECT_LEVEL = (
    "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required",
    "Only one of external_id, user_alias or braze_id may be provided",
    "Each attributes entry must be an object",
)


def quoted_field(type_text: str) -> str:
    """How a sender reads the field out of a per-field type: between the first and the last quote."""
    return type_text[type_text.index("'") + 1 : type_text.rindex("'")]


@pytest.mark.parametrize(("case", "array", "bad", "message"), BAD_OBJECTS, ids=[b[0] for b in BAD_OBJECTS])
def test_every_per_field_type_quotes_its_field(case: str, array: str, bad: Any, message: str) -> None:
    if message in OBJECT_LEVEL:
        return
    assert message.count("'") == 2, message  # nothing else quoted: the field is unambiguous
    field = quoted_field(message)
    assert field in bad or message.startswith(f"'{field}' is required"), (field, bad)


def test_a_field_name_holding_quotes_survives_the_reading(sandbox: Sandbox) -> None:
    r = sandbox.track(attributes=[{"external_id": "a", "it's": "x" * 256}, {"external_id": "b"}])
    [error] = r.json()["errors"]
    assert quoted_field(error["type"]) == "it's"


def test_errors_index_within_their_own_array(sandbox: Sandbox) -> None:
    r = sandbox.track(
        attributes=[{"external_id": "a"}, {"nope": 1}, {"external_id": "b"}, {"external_id": "c", "email": "x"}],
        events=[{"external_id": "a", "name": "e"}, EVENT],
    )
    assert r.status_code == 201
    assert r.json() == {
        "message": "success",
        "attributes_processed": 2,
        "events_processed": 1,
        "errors": [
            {
                "type": "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required",
                "input_array": "attributes",
                "index": 1,
            },
            {
                "type": "The value provided for the 'email' field is not a valid email.",
                "input_array": "attributes",
                "index": 3,
            },
            {"type": "'time' is required and must be an ISO-8601 time", "input_array": "events", "index": 0},
        ],
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, None),
        ({"attributes": []}, None),
        ({"attributes": {}}, None),
        ({"other": [{"external_id": "a"}]}, None),
        ({"attributes": [{"color": "red"}]}, [{"type": "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required", "input_array": "attributes", "index": 0}]),
        ({"events": [{"external_id": "a"}], "purchases": [{"external_id": "a"}]},
         [{"type": "'name' is required", "input_array": "events", "index": 0},
          {"type": "'product_id' is required and must be at most 255 characters", "input_array": "purchases", "index": 0}]),
    ],
)  # fmt: skip
def test_nothing_valid_is_400(sandbox: Sandbox, body: dict[str, Any], errors: list[dict[str, Any]] | None) -> None:
    r = sandbox.post("/users/track", body)
    expected: dict[str, Any] = {"message": NO_VALID}
    if errors is not None:
        expected["errors"] = errors
    assert (r.status_code, r.json()) == (400, expected)
    assert sandbox.stats()["profiles"] == 0


def _objects(n: int, array: str) -> list[dict[str, Any]]:
    if array == "attributes":
        return [{"external_id": f"u{i}", "n": i} for i in range(n)]
    if array == "events":
        return [{**EVENT, "external_id": f"u{i}"} for i in range(n)]
    return [{**PURCHASE, "external_id": f"u{i}"} for i in range(n)]


@pytest.mark.parametrize(
    ("counts", "status"),
    [({"attributes": 75}, 201), ({"attributes": 76}, 400), ({"attributes": 25, "events": 25, "purchases": 25}, 201),
     ({"attributes": 25, "events": 25, "purchases": 26}, 400), ({"events": 40, "purchases": 40}, 400)],
)  # fmt: skip
def test_75_objects_combined(sandbox: Sandbox, counts: dict[str, int], status: int) -> None:
    r = sandbox.post("/users/track", {a: _objects(n, a) for a, n in counts.items()})
    assert r.status_code == status, r.text
    if status == 400:
        assert r.json() == {"message": "Max Input Length Exceeded"}
        assert sandbox.stats()["profiles"] == 0


@pytest.fixture
def per_array(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start(tmp_path, per_array=True)


@pytest.mark.parametrize(
    ("counts", "status"),
    [({"attributes": 75, "events": 75, "purchases": 75}, 201), ({"attributes": 76}, 400), ({"events": 75, "purchases": 76}, 400)],
)  # fmt: skip
def test_per_array_limits_allow_75_of_each(per_array: Sandbox, counts: dict[str, int], status: int) -> None:
    r = per_array.post("/users/track", {a: _objects(n, a) for a, n in counts.items()})
    assert r.status_code == status, r.text
    if status == 201:
        assert r.json() == {"message": "success", **{f"{a}_processed": n for a, n in counts.items()}}
