"""Braze behaviours the delivery engine relies on, over real HTTP: subscription state shared by an
email address, nested values dropped whole, phone and `$` name refusals, and deleting by every
identifier kind."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sandbox.conftest import GROUP, NOW, Sandbox

ALIAS = {"alias_name": "anon-1", "alias_label": "quiz"}
SUBSCRIBED = [{"subscription_group_id": GROUP, "subscription_state": "subscribed"}]


def by_email(sandbox: Sandbox, email: str) -> dict[str | None, dict[str, Any]]:
    """Every profile holding `email`, keyed by external_id (None for the anonymous one)."""
    profiles = sandbox.api.get("/_sandbox/profiles", params={"q": email}).json()["profiles"]
    return {p.get("external_id"): p for p in profiles if p.get("email") == email}


# -- 1. subscription state follows the email address ---------------------------------------------------


@pytest.mark.parametrize(
    "addressed",
    [{"external_id": "k1"}, {"email": "Shared@X.co"}, {"user_alias": ALIAS}],
    ids=["by external_id", "by email lookup", "by alias"],
)
def test_email_subscribe_and_groups_reach_every_profile_with_the_email(
    sandbox: Sandbox, addressed: dict[str, Any]
) -> None:
    sandbox.track(
        attributes=[
            {"external_id": "k1", "email": "shared@x.co"},
            {"external_id": "k2", "email": "shared@x.co", "email_subscribe": "subscribed"},
            {"user_alias": ALIAS, "_update_existing_only": False, "email": "shared@x.co"},
            {"external_id": "other", "email": "other@x.co", "email_subscribe": "subscribed"},
        ]
    )
    sandbox.attrs(**addressed, email_subscribe="unsubscribed", subscription_groups=SUBSCRIBED)
    shared = by_email(sandbox, "shared@x.co")
    assert len(shared) == 3
    assert {k: (p["email_subscribe"], p["subscription_groups"]) for k, p in shared.items()} == {
        k: ("unsubscribed", SUBSCRIBED) for k in ("k1", "k2", None)
    }
    other = sandbox.profile(external_ids=["other"])
    assert other["email_subscribe"] == "subscribed" and "subscription_groups" not in other


def test_a_profile_that_takes_a_shared_email_with_a_state_passes_it_on(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="k1", email="shared@x.co", email_subscribe="subscribed")
    sandbox.attrs(external_id="k2", email="shared@x.co", email_subscribe="opted_in")
    assert {k: p["email_subscribe"] for k, p in by_email(sandbox, "shared@x.co").items()} == {
        "k1": "opted_in",
        "k2": "opted_in",
    }


# -- 2. nested values Braze drops ---------------------------------------------------------------------

DROPPED: list[tuple[str, dict[str, Any]]] = [
    ("a null inside an object", {"pet": {"name": None}}),
    ("an invalid $time", {"pet": {"born": {"$time": "someday"}}}),
    ("a null $time", {"pet": {"born": {"$time": None}}}),
    ("a key with a dot", {"pet": {"first.name": "Rex"}}),
    ("a key starting with $", {"pet": {"$name": "Rex"}}),
    ("a key holding $", {"pet": {"na$me": "Rex"}}),
    ("a null in an array of objects", {"pets": [{"id": 1, "name": None}]}),
    ("a bad $time in an $add", {"pets": {"$add": [{"id": 2, "at": {"$time": "nope"}}]}}),
    ("a dotted key in an $update", {"pets": {"$update": [{"$identifier_key": "id", "$identifier_value": 1,
                                                          "$new_object": {"a.b": 1}}]}}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "bad"), DROPPED, ids=[d[0] for d in DROPPED])
def test_an_invalid_nested_value_drops_every_nested_update_of_the_request(
    sandbox: Sandbox, case: str, bad: dict[str, Any]
) -> None:
    sandbox.attrs(external_id="u1", pet={"name": "Rex"}, pets=[{"id": 1, "name": "Gus"}])
    r = sandbox.track(
        attributes=[
            {"external_id": "u1", **bad, "n": 1},
            {"external_id": "u2", "toy": {"kind": "ball"}, "m": 2},  # valid, yet nested: dropped too
        ]
    )
    assert (r.status_code, r.json()) == (201, {"message": "success", "attributes_processed": 2})
    notes = sandbox.log()[0]["notes"]
    assert any(n.startswith("all nested custom attribute updates dropped") for n in notes), notes
    assert sandbox.custom("u1") == {"pet": {"name": "Rex"}, "pets": [{"id": 1, "name": "Gus"}], "n": 1}
    assert sandbox.custom("u2") == {"m": 2}


def test_valid_nested_updates_in_a_clean_request_are_applied(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="u1", pet={"name": "Rex", "born": {"$time": "2020-01-01"}})
    assert sandbox.custom("u1") == {"pet": {"name": "Rex", "born": "2020-01-01T00:00:00.000Z"}}


# -- 3. phone identifiers -----------------------------------------------------------------------------

PHONE_PROBLEM = "'phone' must be a valid phone number to identify a user"


@pytest.mark.parametrize("phone", ["call me", "+1", "12345", "555-01", "+1234567890123456", "+1 555 CALL NOW"])
def test_an_invalid_phone_identifier_is_refused(sandbox: Sandbox, phone: str) -> None:
    r = sandbox.track(
        attributes=[{"external_id": "good", "n": 1}, {"phone": phone, "n": 2}],
        events=[{"phone": phone, "name": "e", "time": NOW}],
    )
    assert r.status_code == 201
    assert r.json()["errors"] == [
        {"type": PHONE_PROBLEM, "input_array": "attributes", "index": 1},
        {"type": PHONE_PROBLEM, "input_array": "events", "index": 0},
    ]
    assert sandbox.stats()["profiles"] == 1


@pytest.mark.parametrize("phone", ["+15555550100", "+1 (555) 555-0100", "+44 7911 123456", "5555550100"])
def test_a_valid_phone_identifier_finds_or_creates_the_user(sandbox: Sandbox, phone: str) -> None:
    sandbox.attrs(phone=phone, n=1)
    sandbox.attrs(phone=phone, n=2)
    [user] = sandbox.export(phone=phone)
    assert user["custom_attributes"] == {"n": 2}


def test_an_invalid_phone_as_a_plain_field_is_stored_as_sent(sandbox: Sandbox) -> None:
    """With a primary identifier, phone is an ordinary profile string (the page's identifier rules)."""
    sandbox.attrs(external_id="u1", phone="call me")
    assert sandbox.export(external_ids=["u1"])[0]["phone"] == "call me"


# -- 4. custom attribute names starting with $ -------------------------------------------------------


@pytest.mark.parametrize("name", ["$color", "$add", "$time", "$"])
def test_a_top_level_name_starting_with_dollar_rejects_its_object_only(sandbox: Sandbox, name: str) -> None:
    r = sandbox.track(
        attributes=[{"external_id": "a", "ok": 1}, {"external_id": "b", name: 1, "color": "red"}],
        events=[{"external_id": "b", "name": "e", "time": NOW}],
    )
    assert (r.status_code, r.json()) == (
        201,
        {
            "message": "success",
            "attributes_processed": 1,
            "events_processed": 1,
            "errors": [
                {"type": f"Attribute name '{name}' must not start with $", "input_array": "attributes", "index": 1}
            ],
        },
    )
    assert sandbox.custom("a") == {"ok": 1}
    assert sandbox.custom("b") == {}  # created by its event; nothing of the rejected object was set


def test_dollar_inside_a_name_is_allowed_at_the_top_level(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="a", **{"price_in_us_dollars_or_$": 1})
    assert sandbox.custom("a") == {"price_in_us_dollars_or_$": 1}


# -- 7. /users/delete by every identifier kind --------------------------------------------------------


def _population(sandbox: Sandbox) -> dict[str, str]:
    """Four users with events and aliases; their braze_ids by external_id (or 'anon')."""
    sandbox.track(
        attributes=[
            {"external_id": "d1", "email": "d1@x.co"},
            {"external_id": "d2", "email": "shared@x.co"},
            {"external_id": "d3", "phone": "+15555550123"},
            {"user_alias": ALIAS, "_update_existing_only": False, "email": "shared@x.co"},
        ],
        events=[{"external_id": "d1", "name": "e", "time": NOW}, {"external_id": "d2", "name": "e", "time": NOW}],
    )
    sandbox.post(
        "/users/alias/new", {"user_aliases": [{"alias_name": "crm-1", "alias_label": "crm", "external_id": "d1"}]}
    )
    ids = {u["external_id"]: u["braze_id"] for u in sandbox.export(external_ids=["d1", "d2", "d3"])}
    ids["anon"] = sandbox.export(user_aliases=[ALIAS])[0]["braze_id"]
    return ids


@pytest.mark.parametrize(
    ("body", "gone"),
    [
        ({"external_ids": ["d1", "nobody"]}, {"d1"}),
        ({"user_aliases": [ALIAS, {"alias_name": "crm-1", "alias_label": "crm"}]}, {"anon", "d1"}),
        ({"braze_ids": ["<d3>", "000000000000000000000000"]}, {"d3"}),
        ({"email_addresses": [" D1@X.co "]}, {"d1"}),
        ({"email_addresses": ["shared@x.co"]}, {"d2", "anon"}),
        ({"email_addresses": [{"email": "Shared@x.co", "prioritization": ["unidentified"]}]}, {"anon"}),
        ({"email_addresses": [{"email": "shared@x.co", "prioritization": ["identified", "most_recently_updated"]}]}, {"d2"}),
        ({"phone_numbers": [{"phone": "+15555550123", "prioritization": ["identified"]}]}, {"d3"}),
    ],
)  # fmt: skip
def test_delete_by_each_identifier_kind(sandbox: Sandbox, body: dict[str, Any], gone: set[str]) -> None:
    ids = _population(sandbox)
    if "braze_ids" in body:
        body = {"braze_ids": [ids["d3"] if b == "<d3>" else b for b in body["braze_ids"]]}
    r = sandbox.post("/users/delete", body)
    assert (r.status_code, r.json()) == (201, {"deleted": len(gone), "message": "success"})
    left = {k for k, braze_id in ids.items() if sandbox.api.get(f"/_sandbox/profiles/{braze_id}").status_code == 200}
    assert left == set(ids) - gone
    if "d1" in gone:  # its events and aliases went with it: the alias can name someone else now
        assert sandbox.export(user_aliases=[{"alias_name": "crm-1", "alias_label": "crm"}]) == []
        assert sandbox.stats()["profiles"] == 4 - len(gone)
