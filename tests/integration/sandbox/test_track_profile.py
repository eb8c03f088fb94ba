"""Profile semantics of /users/track over real HTTP. Each row: the attributes objects sent for one user,
one request each, then the custom attributes (or profile fields) read back."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integration.sandbox.conftest import GROUP, NOW, Sandbox

GROUP_2 = "0f7b3c6e-1d2a-4b5c-8d9e-0a1b2c3d4e5f"
IN_A_YEAR = datetime.fromtimestamp(time.time() + 365 * 86400, UTC).isoformat()

CUSTOM: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    ("set", [{"color": "red", "n": 1, "x": 1.5, "ok": True}], {"color": "red", "n": 1, "x": 1.5, "ok": True}),
    ("null unsets", [{"color": "red", "n": 1}, {"color": None}], {"n": 1}),
    ("null on a missing attribute", [{"color": None}], {}),
    ("inc", [{"n": 1}, {"n": {"inc": 2}}, {"n": {"inc": -5}}], {"n": -2}),
    ("inc a missing attribute starts at 0", [{"n": {"inc": 3}}], {"n": 3}),
    ("inc a string starts at 0", [{"n": "x"}, {"n": {"inc": 3}}], {"n": 3}),
    ("inc by a float", [{"n": 1}, {"n": {"inc": 0.5}}], {"n": 1.5}),
    ("inc past the number range is ignored", [{"n": 1.7e308}, {"n": {"inc": 1.7e308}}], {"n": 1.7e308}),
    ("array set replaces", [{"tags": ["a", "b"]}, {"tags": ["c"]}], {"tags": ["c"]}),
    ("array set keeps unique values", [{"tags": ["hotdog", "hotdog", "hotdog", "pizza"]}], {"tags": ["hotdog", "pizza"]}),
    ("array set over the cap keeps the newest", [{"tags": [str(i) for i in range(30)]}], {"tags": [str(i) for i in range(5, 30)]}),
    ("add appends", [{"tags": ["a"]}, {"tags": {"add": ["b", "c"]}}], {"tags": ["a", "b", "c"]}),
    ("add to a missing attribute", [{"tags": {"add": ["a"]}}], {"tags": ["a"]}),
    ("re-add moves to the end", [{"tags": ["a", "b", "c"]}, {"tags": {"add": ["a"]}}], {"tags": ["b", "c", "a"]}),
    ("remove", [{"tags": ["a", "b", "c"]}, {"tags": {"remove": ["b", "zzz"]}}], {"tags": ["a", "c"]}),
    ("add and remove together", [{"tags": ["a", "b"]}, {"tags": {"add": ["c"], "remove": ["a"]}}], {"tags": ["b", "c"]}),
    ("add over the cap drops the oldest", [{"tags": {"add": [str(i) for i in range(30)]}}], {"tags": [str(i) for i in range(5, 30)]}),
    ("1 and true are different values", [{"tags": [1, True, "1"]}], {"tags": [1, True, "1"]}),
    ("nested object is created", [{"pet": {"name": "Rex", "age": 3}}], {"pet": {"name": "Rex", "age": 3}}),
    ("nested object overwrites by default", [{"pet": {"name": "Rex", "age": 3}}, {"pet": {"age": 4}}], {"pet": {"age": 4}}),
    ("_merge_objects deep-merges", [{"pet": {"name": "Rex", "vet": {"city": "Oslo"}}}, {"_merge_objects": True, "pet": {"vet": {"zip": "0150"}}}],
     {"pet": {"name": "Rex", "vet": {"city": "Oslo", "zip": "0150"}}}),
    ("_merge_objects onto a missing attribute", [{"_merge_objects": True, "pet": {"name": "Rex"}}], {"pet": {"name": "Rex"}}),
    ("nested $time becomes a time", [{"dates": {"birthday": {"$time": "1980-01-01T19:20:30Z"}}}], {"dates": {"birthday": "1980-01-01T19:20:30.000Z"}}),
    ("nested year over 3000 is not stored", [{"dates": {"far": {"$time": "3100-01-01"}, "near": {"$time": "2000-01-01"}}}],
     {"dates": {"near": "2000-01-01T00:00:00.000Z"}}),
    ("nested null drops every nested update of the request", [{"pet": {"name": "Rex"}}, {"pet": {"name": None}, "toy": {"kind": "ball"}, "n": 1}],
     {"pet": {"name": "Rex"}, "n": 1}),
    ("nested bad $time drops every nested update", [{"pet": {"born": {"$time": "someday"}}, "n": 1}], {"n": 1}),
    ("nested key with a space drops every nested update", [{"pet": {"first name": "Rex"}, "n": 1}], {"n": 1}),
    ("nested key with a dot drops every nested update", [{"pet": {"a.b": "Rex"}, "n": 1}], {"n": 1}),
    ("nested object over 100 KB is dropped", [{"pet": {"name": "Rex"}}, {"pet": {f"k{i}": "x" * 250 for i in range(500)}}], {"pet": {"name": "Rex"}}),
    ("array of objects set", [{"pets": [{"id": 1, "name": "Gus"}, {"id": 2, "name": "Gerald"}]}], {"pets": [{"id": 1, "name": "Gus"}, {"id": 2, "name": "Gerald"}]}),
    ("$add appends objects", [{"pets": [{"id": 1}]}, {"pets": {"$add": [{"id": 2}, {"id": 3}]}}], {"pets": [{"id": 1}, {"id": 2}, {"id": 3}]}),
    ("$remove removes every match", [{"pets": [{"id": 1, "type": "dog"}, {"id": 2, "type": "cat"}, {"id": 3, "type": "dog"}]},
                                     {"pets": {"$remove": [{"$identifier_key": "type", "$identifier_value": "dog"}]}}],
     {"pets": [{"id": 2, "type": "cat"}]}),
    ("$update with _merge_objects deep-merges", [{"pets": [{"id": 4, "breed": "salmon", "name": "Larry"}]},
                                                 {"_merge_objects": True, "pets": {"$update": [{"$identifier_key": "id", "$identifier_value": 4, "$new_object": {"breed": "goldfish"}}]}}],
     {"pets": [{"id": 4, "breed": "goldfish", "name": "Larry"}]}),
    ("$update without _merge_objects overwrites", [{"pets": [{"id": 4, "breed": "salmon", "name": "Larry"}]},
                                                   {"pets": {"$update": [{"$identifier_key": "id", "$identifier_value": 4, "$new_object": {"breed": "goldfish"}}]}}],
     {"pets": [{"breed": "goldfish"}]}),
    ("$update with no match changes nothing", [{"pets": [{"id": 1}]}, {"_merge_objects": True, "pets": {"$update": [{"$identifier_key": "id", "$identifier_value": 9, "$new_object": {"a": 1}}]}}],
     {"pets": [{"id": 1}]}),
    ("$add over 100 KB is dropped silently", [{"pets": [{"id": 1}]}, {"pets": {"$add": [{"blob": "x" * 250} for _ in range(450)]}}], {"pets": [{"id": 1}]}),
    ("$time inside an array of objects", [{"orders": [{"item": "T-shirt", "at": {"$time": "2020-05-28"}}]}], {"orders": [{"item": "T-shirt", "at": "2020-05-28T00:00:00.000Z"}]}),
    ("ISO date string becomes a time", [{"joined": "2021-12-01"}], {"joined": "2021-12-01T00:00:00.000Z"}),
    ("US date string becomes a time", [{"joined": "12/1/2021"}], {"joined": "2021-12-01T00:00:00.000Z"}),
    ("dashed US date becomes a time", [{"joined": "12-1-2021"}], {"joined": "2021-12-01T00:00:00.000Z"}),
    ("time with an offset becomes UTC", [{"seen": "2021-12-01T10:00:00+02:00"}], {"seen": "2021-12-01T08:00:00.000Z"}),
    ("Braze's millisecond format", [{"seen": "2021-12-01T10:00:00:123Z"}], {"seen": "2021-12-01T10:00:00.123Z"}),
    ("year over 3000 stays a string", [{"far": "3100-01-01"}], {"far": "3100-01-01"}),
    ("digits are not a date", [{"code": "20211201", "v": "1-2"}], {"code": "20211201", "v": "1-2"}),
    ("top-level $time", [{"seen": {"$time": "2025-05-05"}}], {"seen": "2025-05-05T00:00:00.000Z"}),
    ("top-level $time that is no time is skipped", [{"seen": {"$time": "nope"}, "n": 1}], {"n": 1}),
    ("bio is not processed", [{"bio": "hello", "n": 1}], {"n": 1}),
    ("a differently cased profile field is a custom attribute", [{"First_Name": "Ada"}], {"First_Name": "Ada"}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "steps", "expected"), CUSTOM, ids=[c[0] for c in CUSTOM])
def test_custom_attribute_semantics(
    sandbox: Sandbox, case: str, steps: list[dict[str, Any]], expected: dict[str, Any]
) -> None:
    for attrs in steps:
        sandbox.attrs(external_id="u", **attrs)
    assert sandbox.custom("u") == expected


def test_future_times_become_now(sandbox: Sandbox) -> None:
    before = datetime.now(UTC).isoformat()
    sandbox.track(
        attributes=[{"external_id": "u", "later": IN_A_YEAR[:10], "nested": {"at": {"$time": IN_A_YEAR}}}],
        events=[{"external_id": "u", "name": "e", "time": IN_A_YEAR}],
        purchases=[{"external_id": "u", "product_id": "p", "currency": "EUR", "price": 1, "time": IN_A_YEAR}],
    )
    user = sandbox.export(external_ids=["u"])[0]
    after = datetime.now(UTC).isoformat()
    for moment in (
        user["custom_attributes"]["later"],
        user["custom_attributes"]["nested"]["at"],
        user["custom_events"][0]["first"],
        user["purchases"][0]["first"],
    ):
        assert before[:19] <= moment[:19] <= after[:19], moment


FIELDS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("names and city", {"first_name": "Ada", "last_name": "L", "home_city": "Oslo"}, {"first_name": "Ada", "last_name": "L", "home_city": "Oslo"}),
    ("email is kept in lower case", {"email": "Ada@Example.COM"}, {"email": "ada@example.com"}),
    ("country code", {"country": "au"}, {"country": "AU"}),
    ("country name is mapped", {"country": "Australia"}, {"country": "AU"}),
    ("country alpha-3 is mapped", {"country": "DEU"}, {"country": "DE"}),
    ("unknown country is null", {"country": "Atlantis"}, {"country": None}),
    ("language", {"language": "FR"}, {"language": "fr"}),
    ("gender", {"gender": "P"}, {"gender": "P"}),
    ("dob", {"dob": "1980-12-21"}, {"dob": "1980-12-21"}),
    ("valid time zone", {"time_zone": "America/New_York"}, {"time_zone": "America/New_York"}),
    ("unknown time zone is not set", {"time_zone": "Mars/Olympus"}, {"time_zone": "Europe/Oslo"}),
    ("subscription states", {"email_subscribe": "opted_in", "push_subscribe": "unsubscribed"}, {"email_subscribe": "opted_in", "push_subscribe": "unsubscribed"}),
    ("location", {"current_location": {"longitude": -73.99, "latitude": 40.75}}, {"last_coordinates": [-73.99, 40.75]}),
    ("session dates", {"date_of_first_session": "2020-01-02"}, {"date_of_first_session": "2020-01-02T00:00:00.000Z"}),
    ("tracking flags", {"email_open_tracking_disabled": True}, {"email_open_tracking_disabled": True}),
    ("phone", {"phone": "+15043277269"}, {"phone": "+15043277269"}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "attrs", "expected"), FIELDS, ids=[f[0] for f in FIELDS])
def test_profile_fields(sandbox: Sandbox, case: str, attrs: dict[str, Any], expected: dict[str, Any]) -> None:
    sandbox.attrs(external_id="u", country="NO", time_zone="Europe/Oslo")
    sandbox.attrs(external_id="u", **attrs)
    profile = sandbox.profile(external_ids=["u"])
    assert {key: profile.get(key) for key in expected} == expected


def test_a_profile_field_set_to_null_is_unset(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="u", first_name="Ada", gender="F")
    sandbox.attrs(external_id="u", first_name=None, gender=None)
    user = sandbox.export(external_ids=["u"])[0]
    assert "first_name" not in user and "gender" not in user


def test_external_id_cannot_be_removed_with_null(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="u", email="u@x.co")
    sandbox.attrs(email="u@x.co", external_id=None, n=1)  # a null external_id is no identifier: email looks up
    [user] = sandbox.export(email_address="u@x.co")
    assert user["external_id"] == "u" and user["custom_attributes"] == {"n": 1}


def test_subscription_groups_set_per_group_and_reach_users_with_the_same_email(sandbox: Sandbox) -> None:
    sandbox.attrs(email="same@x.co", source="email-only")
    sandbox.attrs(
        external_id="u",
        email="same@x.co",
        subscription_groups=[{"subscription_group_id": GROUP, "subscription_state": "subscribed"}],
    )
    sandbox.attrs(
        external_id="u",
        subscription_groups=[{"subscription_group_id": GROUP_2, "subscription_state": "unsubscribed"}],
        email_subscribe="opted_in",
    )
    expected = [
        {"subscription_group_id": GROUP, "subscription_state": "subscribed"},
        {"subscription_group_id": GROUP_2, "subscription_state": "unsubscribed"},
    ]
    assert sandbox.profile(external_ids=["u"])["subscription_groups"] == expected
    other = [
        p
        for p in sandbox.api.get("/_sandbox/profiles", params={"q": "same@x.co"}).json()["profiles"]
        if "external_id" not in p
    ]
    assert [(o["subscription_groups"], o["email_subscribe"]) for o in other] == [(expected, "opted_in")]


IDENTITY: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    ("email-only profile is created once", [{"email": "New@X.co", "n": 1}, {"email": "new@x.co", "n": 2}], {"new@x.co": [(None, {"n": 2})]}),
    ("email prefers the profile with an external_id",
     [{"email": "a@x.co", "src": "email-only"}, {"external_id": "known", "email": "a@x.co"}, {"email": "a@x.co", "plan": "pro"}],
     {"a@x.co": [(None, {"src": "email-only"}), ("known", {"plan": "pro"})]}),
    ("email prefers the most recently updated identified profile",
     [{"external_id": "k1", "email": "b@x.co"}, {"external_id": "k2", "email": "b@x.co"}, {"email": "b@x.co", "hit": True}],
     {"b@x.co": [("k1", {}), ("k2", {"hit": True})]}),
    ("without identified profiles, the most recently updated one",
     [{"user_alias": {"alias_name": "a1", "alias_label": "l"}, "_update_existing_only": False, "email": "c@x.co"},
      {"user_alias": {"alias_name": "a2", "alias_label": "l"}, "_update_existing_only": False, "email": "c@x.co"},
      {"email": "c@x.co", "hit": True}],
     {"c@x.co": [(None, {}), (None, {"hit": True})]}),
    ("an unknown external_id with a known email makes a second profile",
     [{"email": "d@x.co", "src": "email-only"}, {"external_id": "new", "email": "d@x.co", "src": "identified"}],
     {"d@x.co": [(None, {"src": "email-only"}), ("new", {"src": "identified"})]}),
    ("email is the lookup before phone",
     [{"phone": "+15555550100", "by": "phone"}, {"email": "p@x.co", "phone": "+15555550100", "by": "email"}],
     {"p@x.co": [(None, {"by": "email"})]}),
    ("phone looks up when alone", [{"phone": "+15555550101", "n": 1}, {"phone": "+15555550101", "n": 2}], {}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "steps", "by_email"), IDENTITY, ids=[c[0] for c in IDENTITY])
def test_email_and_phone_resolution(
    sandbox: Sandbox, case: str, steps: list[dict[str, Any]], by_email: dict[str, Any]
) -> None:
    for attrs in steps:
        sandbox.attrs(**attrs)
    for email, expected in by_email.items():
        users = sorted(sandbox.export(email_address=email), key=lambda u: u.get("external_id") or "")
        assert [(u.get("external_id"), u["custom_attributes"]) for u in users] == expected


def test_phone_only_profile(sandbox: Sandbox) -> None:
    sandbox.attrs(phone="+15555550101", n=1)
    sandbox.attrs(phone="+15555550101", n=2)
    [user] = sandbox.export(phone="+15555550101")
    assert user["custom_attributes"] == {"n": 2} and user["phone"] == "+15555550101" and "external_id" not in user


UPDATE_ONLY: list[tuple[str, dict[str, Any], bool]] = [
    ("external_id creates by default", {"attributes": [{"external_id": "x", "a": 1}]}, True),
    ("external_id with update-only does not create", {"attributes": [{"external_id": "x", "_update_existing_only": True}]}, False),
    ("alias attributes do not create by default", {"attributes": [{"user_alias": {"alias_name": "n", "alias_label": "l"}, "a": 1}]}, False),
    ("alias attributes create with update-only false", {"attributes": [{"user_alias": {"alias_name": "n", "alias_label": "l"}, "_update_existing_only": False}]}, True),
    ("alias events never create", {"events": [{"user_alias": {"alias_name": "n", "alias_label": "l"}, "name": "e", "time": NOW, "_update_existing_only": False}]}, False),
    ("alias purchases never create", {"purchases": [{"user_alias": {"alias_name": "n", "alias_label": "l"}, "product_id": "p", "currency": "USD", "price": 1, "time": NOW}]}, False),
    ("external_id events create", {"events": [{"external_id": "x", "name": "e", "time": NOW}]}, True),
    ("email with update-only does not create", {"attributes": [{"email": "x@x.co", "_update_existing_only": True}]}, False),
    ("unknown braze_id names nobody", {"attributes": [{"braze_id": "0123456789abcdef01234567", "a": 1}]}, False),
]  # fmt: skip


@pytest.mark.parametrize(("case", "body", "creates"), UPDATE_ONLY, ids=[c[0] for c in UPDATE_ONLY])
def test_update_existing_only_defaults(sandbox: Sandbox, case: str, body: dict[str, Any], creates: bool) -> None:
    r = sandbox.post("/users/track", body)
    assert r.status_code == 201 and "errors" not in r.json(), r.text  # skipped objects still count as processed
    assert sandbox.stats()["profiles"] == (1 if creates else 0)
    if not creates:
        assert "update-only" in sandbox.log()[0]["notes"][0]  # Braze says nothing; the request log does


def test_an_alias_only_profile_is_then_updated_by_alias(sandbox: Sandbox) -> None:
    alias = {"alias_name": "anon-1", "alias_label": "quiz"}
    sandbox.attrs(user_alias=alias, _update_existing_only=False, email="anon@x.co")
    sandbox.track(
        attributes=[{"user_alias": alias, "quiz": "done"}],
        events=[{"user_alias": alias, "name": "finished", "time": NOW}],
    )
    [user] = sandbox.export(user_aliases=[alias])
    assert user["user_aliases"] == [alias] and user["email"] == "anon@x.co" and "external_id" not in user
    assert user["custom_attributes"] == {"quiz": "done"} and user["custom_events"][0]["count"] == 1


def test_update_by_braze_id(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="u")
    braze_id = sandbox.export(external_ids=["u"])[0]["braze_id"]
    sandbox.attrs(braze_id=braze_id, n=1)
    assert sandbox.custom("u") == {"n": 1}


def test_events_and_purchases_are_appended_without_dedupe(sandbox: Sandbox) -> None:
    event = {"external_id": "u", "name": "quiz_done", "time": "2026-01-01T00:00:00Z", "properties": {"score": 3}}
    purchase = {
        "external_id": "u",
        "product_id": "kit",
        "currency": "usd",
        "price": 9.5,
        "quantity": 3,
        "time": "2026-01-02T00:00:00Z",
    }
    for _ in range(2):
        assert (
            sandbox.track(events=[event, {**event, "time": "2026-01-03T00:00:00Z"}], purchases=[purchase]).status_code
            == 201
        )
    user = sandbox.export(external_ids=["u"])[0]
    assert user["custom_events"] == [
        {"name": "quiz_done", "first": "2026-01-01T00:00:00.000Z", "last": "2026-01-03T00:00:00.000Z", "count": 4}
    ]
    assert user["purchases"] == [
        {"name": "kit", "first": "2026-01-02T00:00:00.000Z", "last": "2026-01-02T00:00:00.000Z", "count": 6}
    ]


def test_success_body_counts_each_array(sandbox: Sandbox) -> None:
    r = sandbox.track(
        attributes=[{"external_id": "u1", "color": "red"}],
        events=[
            {"external_id": "u1", "name": "quiz_done", "time": NOW},
            {"external_id": "u1", "name": "x", "time": NOW},
        ],
        purchases=[{"external_id": "u1", "product_id": "p1", "currency": "USD", "price": 9.5, "time": NOW}],
    )
    assert (r.status_code, r.json()) == (
        201,
        {"message": "success", "attributes_processed": 1, "events_processed": 2, "purchases_processed": 1},
    )
    assert sandbox.stats()["objects"] == {"attributes": 1, "events": 2, "purchases": 1}
