"""Aliases, identify, merge, delete and subscription state, over real HTTP."""

from __future__ import annotations

from tests.integration.sandbox.conftest import Sandbox

NOW = "2026-01-02T03:04:05Z"
ALIAS = {"alias_name": "anon-42", "alias_label": "quiz"}
GROUP = "9b1f3c1e-6f0e-4a53-9d1a-2b7c8e1d0f55"


def test_alias_new_creates_an_alias_only_profile_or_adds_to_a_known_user(sandbox: Sandbox) -> None:
    r = sandbox.post("/users/alias/new", {"user_aliases": [ALIAS]})
    assert (r.status_code, r.json()) == (201, {"aliases_processed": 1, "message": "success"})
    [anon] = sandbox.export(user_aliases=[ALIAS])
    assert "external_id" not in anon
    sandbox.post("/users/track", {"attributes": [{"external_id": "k1", "a": 1}]})
    other = {"alias_name": "crm-7", "alias_label": "crm"}
    sandbox.post("/users/alias/new", {"user_aliases": [{**other, "external_id": "k1"}]})
    assert sandbox.export(user_aliases=[other])[0]["external_id"] == "k1"


def test_alias_update_renames(sandbox: Sandbox) -> None:
    sandbox.post("/users/alias/new", {"user_aliases": [ALIAS]})
    r = sandbox.post(
        "/users/alias/update",
        {"alias_updates": [{"alias_label": "quiz", "old_alias_name": "anon-42", "new_alias_name": "anon-43"}]},
    )
    assert r.status_code == 201
    assert sandbox.export(user_aliases=[ALIAS]) == []
    assert len(sandbox.export(user_aliases=[{"alias_name": "anon-43", "alias_label": "quiz"}])) == 1


def test_identify_turns_an_alias_only_profile_into_an_identified_one(sandbox: Sandbox) -> None:
    sandbox.post(
        "/users/track", {"attributes": [{"user_alias": ALIAS, "_update_existing_only": False, "quiz": "done"}]}
    )
    r = sandbox.post("/users/identify", {"aliases_to_identify": [{"external_id": "cust-1", "user_alias": ALIAS}]})
    assert (r.status_code, r.json()) == (201, {"aliases_processed": 1, "message": "success"})
    [user] = sandbox.export(external_ids=["cust-1"])
    assert user["custom_attributes"] == {"quiz": "done"} and user["user_aliases"] == [ALIAS]


def test_identify_with_merge_folds_into_the_existing_profile(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", {"attributes": [{"external_id": "cust-2", "plan": "pro"}]})
    sandbox.post("/users/track", {
        "attributes": [{"user_alias": ALIAS, "_update_existing_only": False, "plan": "free", "quiz": "done"}],
        "events": [{"user_alias": ALIAS, "name": "finished", "time": NOW}],
    })  # fmt: skip
    sandbox.post(
        "/users/identify",
        {"aliases_to_identify": [{"external_id": "cust-2", "user_alias": ALIAS}], "merge_behavior": "merge"},
    )
    [user] = sandbox.export(external_ids=["cust-2"])
    assert user["custom_attributes"] == {"plan": "pro", "quiz": "done"}  # the identified profile's values win
    assert [e["name"] for e in user["custom_events"]] == ["finished"]
    assert sandbox.client.get(sandbox.base + "/_sandbox/stats").json()["profiles"] == 1


def test_emails_to_identify_claims_the_email_only_profile(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", {"attributes": [{"email": "lead@x.co", "quiz": "done"}]})
    sandbox.post(
        "/users/identify",
        {
            "emails_to_identify": [
                {
                    "external_id": "cust-3",
                    "email": "lead@x.co",
                    "prioritization": ["unidentified", "most_recently_updated"],
                }
            ]
        },
    )
    [user] = sandbox.export(email_address="lead@x.co")
    assert user["external_id"] == "cust-3" and user["custom_attributes"] == {"quiz": "done"}


def test_merge_keeps_target_values_and_removes_the_merged_profile(sandbox: Sandbox) -> None:
    sandbox.post(
        "/users/track", {"attributes": [{"external_id": "old", "first_name": "Ada", "color": "red", "size": 1}]}
    )
    sandbox.post("/users/track", {"attributes": [{"external_id": "new", "color": "blue"}]})
    r = sandbox.post(
        "/users/merge",
        {
            "merge_updates": [
                {"identifier_to_merge": {"external_id": "old"}, "identifier_to_keep": {"external_id": "new"}}
            ]
        },
    )
    assert (r.status_code, r.json()) == (202, {"message": "success"})
    [user] = sandbox.export(external_ids=["new"])
    assert user["first_name"] == "Ada"
    assert user["custom_attributes"] == {"color": "blue", "size": 1}
    assert sandbox.export(external_ids=["old"]) == []


def test_delete_removes_profiles_and_counts_them(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", {"attributes": [{"external_id": "d1"}, {"external_id": "d2"}]})
    r = sandbox.post("/users/delete", {"external_ids": ["d1", "d2", "nobody"]})
    assert (r.status_code, r.json()) == (201, {"deleted": 2, "message": "success"})
    assert sandbox.export(external_ids=["d1", "d2"]) == []


def test_delete_needs_exactly_one_kind_of_identifier(sandbox: Sandbox) -> None:
    r = sandbox.post("/users/delete", {"external_ids": ["a"], "braze_ids": ["b"]})
    assert r.status_code == 400 and "exactly one of" in r.json()["message"]


def test_subscription_groups_v1_and_v2_and_email_status(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", {"attributes": [{"external_id": "s1", "email": "s1@x.co"}]})
    r = sandbox.post(
        "/subscription/status/set",
        {"subscription_group_id": GROUP, "subscription_state": "subscribed", "external_id": "s1"},
    )
    assert r.status_code == 201
    assert sandbox.export(external_ids=["s1"])[0]["subscription_groups"] == [
        {"subscription_group_id": GROUP, "subscription_state": "subscribed"}
    ]
    sandbox.post(
        "/v2/subscription/status/set",
        {
            "subscription_groups": [
                {"subscription_group_id": GROUP, "subscription_state": "unsubscribed", "emails": ["s1@x.co"]}
            ]
        },
    )
    assert sandbox.export(external_ids=["s1"])[0]["subscription_groups"][0]["subscription_state"] == "unsubscribed"
    sandbox.post("/email/status", {"email": "s1@x.co", "subscription_state": "opted_in"})
    assert sandbox.export(external_ids=["s1"])[0]["email_subscribe"] == "opted_in"


def test_bad_bodies_of_user_endpoints_are_400_naming_the_field(sandbox: Sandbox) -> None:
    cases = [
        ("/users/alias/new", {"user_aliases": [{"alias_name": "x"}]}, "user_aliases.0.alias_label"),
        ("/users/merge", {"merge_updates": "nope"}, "merge_updates"),
        (
            "/v2/subscription/status/set",
            {"subscription_groups": [{"subscription_group_id": "not-a-uuid", "subscription_state": "subscribed"}]},
            "subscription_group_id",
        ),
        ("/email/status", {"email": "a@x.co", "subscription_state": "maybe"}, "subscription_state"),
    ]
    for path, body, field in cases:
        r = sandbox.post(path, body)
        assert r.status_code == 400, (path, r.text)
        assert field in r.json()["message"], (path, r.json())
