"""Aliases, identify, merge, delete and subscription state over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sandbox.conftest import GROUP, NOW, Sandbox

ALIAS = {"alias_name": "anon-42", "alias_label": "quiz"}
MRU = ["unidentified", "most_recently_updated"]


def anonymous(sandbox: Sandbox, alias: dict[str, str] = ALIAS, **attrs: Any) -> None:
    """An alias-only profile with these attributes and one event."""
    sandbox.track(
        attributes=[{"user_alias": alias, "_update_existing_only": False, **attrs}],
        events=[{"user_alias": alias, "name": "finished", "time": NOW}],
    )


def test_alias_new(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="k1")
    r = sandbox.post("/users/alias/new", {"user_aliases": [
        ALIAS,                                                            # a new alias-only user
        {"alias_name": "crm-7", "alias_label": "crm", "external_id": "k1"},  # joins k1
        {"alias_name": "crm-8", "alias_label": "crm", "external_id": "k1"},  # k1 already has a "crm" alias
        {"alias_name": "x", "alias_label": "y", "external_id": "nobody"},   # no such user
        ALIAS,                                                            # already taken
    ]})  # fmt: skip
    assert (r.status_code, r.json()) == (201, {"aliases_processed": 2, "message": "success"})
    [anon] = sandbox.export(user_aliases=[ALIAS])
    assert "external_id" not in anon and anon["user_aliases"] == [ALIAS]
    assert sandbox.export(external_ids=["k1"])[0]["user_aliases"] == [{"alias_name": "crm-7", "alias_label": "crm"}]
    assert sandbox.stats()["profiles"] == 2


def test_alias_update_renames_within_the_label(sandbox: Sandbox) -> None:
    sandbox.post("/users/alias/new", {"user_aliases": [ALIAS, {"alias_name": "taken", "alias_label": "quiz"}]})
    update = {"alias_label": "quiz", "old_alias_name": "anon-42", "new_alias_name": "anon-43"}
    assert sandbox.post("/users/alias/update", {"alias_updates": [update]}).status_code == 201
    assert sandbox.export(user_aliases=[ALIAS]) == []
    assert len(sandbox.export(user_aliases=[{"alias_name": "anon-43", "alias_label": "quiz"}])) == 1
    clash = {"alias_label": "quiz", "old_alias_name": "anon-43", "new_alias_name": "taken"}
    sandbox.post("/users/alias/update", {"alias_updates": [clash]})
    assert len(sandbox.export(user_aliases=[{"alias_name": "anon-43", "alias_label": "quiz"}])) == 1


def test_identify_an_alias_only_profile_with_a_new_external_id(sandbox: Sandbox) -> None:
    anonymous(sandbox, quiz="done")
    r = sandbox.post("/users/identify", {"aliases_to_identify": [{"external_id": "cust-1", "user_alias": ALIAS}]})
    assert (r.status_code, r.json()) == (201, {"aliases_processed": 1, "message": "success"})
    [user] = sandbox.export(external_ids=["cust-1"])
    assert user["custom_attributes"] == {"quiz": "done"} and user["user_aliases"] == [ALIAS]
    assert [e["name"] for e in user["custom_events"]] == ["finished"]


def test_identify_folds_the_anonymous_profile_into_the_identified_one(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="cust-2", plan="pro", first_name="Ada")
    anonymous(sandbox, plan="free", quiz="done", first_name="Anon", last_name="Lovelace")
    sandbox.post("/users/identify", {"aliases_to_identify": [{"external_id": "cust-2", "user_alias": ALIAS}]})
    [user] = sandbox.export(external_ids=["cust-2"])
    assert user["custom_attributes"] == {"plan": "pro", "quiz": "done"}  # only what the identified one lacks
    assert (user["first_name"], user["last_name"]) == ("Ada", "Lovelace")
    assert [e["name"] for e in user["custom_events"]] == ["finished"]
    assert user["user_aliases"] == [ALIAS]
    assert sandbox.export(user_aliases=[ALIAS])[0]["external_id"] == "cust-2"  # the alias now names cust-2
    assert sandbox.stats()["profiles"] == 1


@pytest.mark.parametrize("behavior", ["none", "merge", None])
def test_identify_merges_data_whatever_merge_behavior_says(sandbox: Sandbox, behavior: str | None) -> None:
    """Since August 7, 2023 every /users/identify call merges (braze-inc/braze-docs PR 5763)."""
    sandbox.attrs(external_id="cust-3", plan="pro")
    anonymous(sandbox, quiz="done")
    body: dict[str, Any] = {"aliases_to_identify": [{"external_id": "cust-3", "user_alias": ALIAS}]}
    if behavior is not None:
        body["merge_behavior"] = behavior
    assert sandbox.post("/users/identify", body).status_code == 201
    [user] = sandbox.export(external_ids=["cust-3"])
    assert user["custom_attributes"] == {"plan": "pro", "quiz": "done"}
    assert [e["name"] for e in user["custom_events"]] == ["finished"]
    assert user["user_aliases"] == [ALIAS] and sandbox.stats()["profiles"] == 1


@pytest.mark.parametrize("behavior", ["none", "merge", None])
def test_emails_to_identify_merges_the_email_only_profile_into_the_identified_one(
    sandbox: Sandbox, behavior: str | None
) -> None:
    sandbox.attrs(external_id="cust-5", plan="pro", first_name="Ada")
    sandbox.track(
        attributes=[
            {
                "email": "Quiz@x.co",
                "quiz": "done",
                "plan": "free",
                "last_name": "Lovelace",
                "email_subscribe": "opted_in",
            }
        ],
        events=[{"email": "quiz@x.co", "name": "finished", "time": NOW}],
        purchases=[{"email": "quiz@x.co", "product_id": "p", "currency": "USD", "price": 1, "time": NOW}],
    )
    body: dict[str, Any] = {
        "emails_to_identify": [{"external_id": "cust-5", "email": "quiz@X.co", "prioritization": MRU}]
    }
    if behavior is not None:
        body["merge_behavior"] = behavior
    r = sandbox.post("/users/identify", body)
    assert (r.status_code, r.json()) == (201, {"aliases_processed": 1, "message": "success"})
    [user] = sandbox.export(external_ids=["cust-5"])
    assert user["custom_attributes"] == {"plan": "pro", "quiz": "done"}  # the identified profile's values win
    assert (user["first_name"], user["last_name"], user["email"]) == ("Ada", "Lovelace", "quiz@x.co")
    assert user["email_subscribe"] == "opted_in"  # the address's state comes with the address
    assert [e["name"] for e in user["custom_events"]] == ["finished"]
    assert [p["name"] for p in user["purchases"]] == ["p"]
    assert sandbox.stats()["profiles"] == 1


def test_identify_does_not_combine_when_the_user_has_an_alias_with_that_label(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="cust-4")
    sandbox.post(
        "/users/alias/new", {"user_aliases": [{"alias_name": "other", "alias_label": "quiz", "external_id": "cust-4"}]}
    )
    anonymous(sandbox, quiz="done")
    r = sandbox.post("/users/identify", {"aliases_to_identify": [{"external_id": "cust-4", "user_alias": ALIAS}]})
    assert r.status_code == 201
    assert sandbox.stats()["profiles"] == 2
    assert "external_id" not in sandbox.export(user_aliases=[ALIAS])[0]


def test_identify_an_unknown_alias_answers_201_and_does_nothing(sandbox: Sandbox) -> None:
    anonymous(sandbox)
    wrong_case = {"alias_name": "ANON-42", "alias_label": "quiz"}
    r = sandbox.post("/users/identify", {"aliases_to_identify": [{"external_id": "c", "user_alias": wrong_case}]})
    assert (r.status_code, r.json()) == (201, {"aliases_processed": 1, "message": "success"})
    assert sandbox.export(external_ids=["c"]) == []


@pytest.mark.parametrize(
    ("prioritization", "identified"),
    [(MRU, "second"), (["unidentified", "least_recently_updated"], "first"), (["unidentified"], None)],
)
def test_emails_to_identify_follows_the_prioritization(
    sandbox: Sandbox, prioritization: list[str], identified: str | None
) -> None:
    anonymous(sandbox, {"alias_name": "first", "alias_label": "l"}, email="lead@x.co")
    anonymous(sandbox, {"alias_name": "second", "alias_label": "l"}, email="lead@x.co")
    r = sandbox.post(
        "/users/identify",
        {"emails_to_identify": [{"external_id": "cust", "email": "Lead@x.co", "prioritization": prioritization}]},
    )
    assert r.status_code == 201
    users = sandbox.export(external_ids=["cust"])
    assert [u["user_aliases"][0]["alias_name"] for u in users] == ([identified] if identified else [])


def test_phone_numbers_to_identify(sandbox: Sandbox) -> None:
    sandbox.attrs(phone="+15555550199", quiz="done")
    body = {"phone_numbers_to_identify": [{"external_id": "cust", "phone": "+15555550199", "prioritization": MRU}]}
    assert sandbox.post("/users/identify", body).status_code == 201
    assert sandbox.custom("cust") == {"quiz": "done"}


def merge(sandbox: Sandbox, gone: dict[str, Any], keep: dict[str, Any]) -> None:
    r = sandbox.post("/users/merge", {"merge_updates": [{"identifier_to_merge": gone, "identifier_to_keep": keep}]})
    assert (r.status_code, r.json()) == (202, {"message": "success"})


def test_merge_fills_what_the_kept_profile_lacks_and_removes_the_other(sandbox: Sandbox) -> None:
    sandbox.track(
        attributes=[{"external_id": "old", "first_name": "Ada", "email": "ada@x.co", "color": "red", "size": 1},
                    {"external_id": "new", "first_name": "Al", "color": "blue"}],
        events=[{"external_id": "old", "name": "e", "time": NOW}, {"external_id": "new", "name": "e", "time": "2026-02-01T00:00:00Z"}],
        purchases=[{"external_id": "old", "product_id": "p", "currency": "USD", "price": 1, "time": NOW}],
    )  # fmt: skip
    sandbox.post("/users/alias/new", {"user_aliases": [{**ALIAS, "external_id": "old"}]})
    merge(sandbox, {"external_id": "old"}, {"external_id": "new"})
    [user] = sandbox.export(external_ids=["new"])
    assert (user["first_name"], user["email"]) == ("Al", "ada@x.co")
    assert user["custom_attributes"] == {"color": "blue", "size": 1}
    assert user["custom_events"] == [
        {"name": "e", "first": "2026-01-02T03:04:05.000Z", "last": "2026-02-01T00:00:00.000Z", "count": 2}
    ]
    assert [p["name"] for p in user["purchases"]] == ["p"] and user["user_aliases"] == [ALIAS]
    assert sandbox.export(external_ids=["old"]) == [] and sandbox.stats()["profiles"] == 1


@pytest.mark.parametrize(
    ("gone", "keep", "merged"),
    [
        ({"email": "m@x.co", "prioritization": MRU}, {"external_id": "john"}, True),
        ({"email": "m@x.co", "prioritization": ["unidentified"]}, {"external_id": "john"}, True),
        ({"email": "m@x.co", "prioritization": ["identified"]}, {"external_id": "john"}, False),  # no identified user with that email
        ({"user_alias": ALIAS}, {"external_id": "john"}, True),
        ({"user_alias": ALIAS}, {"external_id": "nobody"}, False),
        ({"external_id": "john"}, {"external_id": "john"}, False),
    ],
)  # fmt: skip
def test_merge_identifiers(sandbox: Sandbox, gone: dict[str, Any], keep: dict[str, Any], merged: bool) -> None:
    sandbox.attrs(external_id="john")
    anonymous(sandbox, email="m@x.co", quiz="done")
    merge(sandbox, gone, keep)
    assert sandbox.custom("john") == ({"quiz": "done"} if merged else {})
    assert sandbox.stats()["profiles"] == (1 if merged else 2)


def test_merge_by_email_skips_when_the_prioritization_leaves_two(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="john")
    anonymous(sandbox, {"alias_name": "a", "alias_label": "l"}, email="m@x.co")
    anonymous(sandbox, {"alias_name": "b", "alias_label": "l"}, email="m@x.co")
    merge(sandbox, {"email": "m@x.co", "prioritization": ["unidentified"]}, {"external_id": "john"})
    assert sandbox.stats()["profiles"] == 3


@pytest.mark.parametrize(
    ("body", "deleted"),
    [
        ({"external_ids": ["d1", "d2", "nobody"]}, 2),
        ({"user_aliases": [ALIAS]}, 1),
        ({"email_addresses": ["shared@x.co"]}, 2),  # a plain address names every user holding it
        ({"email_addresses": [{"email": "shared@x.co", "prioritization": ["identified"]}]}, 1),
        # Both were updated by the same request: a tie, and a tie deletes nobody.
        ({"email_addresses": [{"email": "shared@x.co", "prioritization": ["most_recently_updated"]}]}, 0),
        ({"phone_numbers": ["+15555550123"]}, 1),
        ({"phone_numbers": [{"phone": "+15555550123", "prioritization": ["unidentified"]}]}, 0),
    ],
)  # fmt: skip
def test_delete(sandbox: Sandbox, body: dict[str, Any], deleted: int) -> None:
    sandbox.track(attributes=[
        {"external_id": "d1"}, {"external_id": "d2", "email": "shared@x.co"}, {"external_id": "d3", "phone": "+15555550123"},
        {"user_alias": ALIAS, "_update_existing_only": False, "email": "shared@x.co"},
    ])  # fmt: skip
    before = sandbox.stats()["profiles"]
    r = sandbox.post("/users/delete", body)
    assert (r.status_code, r.json()) == (201, {"deleted": deleted, "message": "success"})
    assert sandbox.stats()["profiles"] == before - deleted


def test_delete_by_braze_id(sandbox: Sandbox) -> None:
    sandbox.attrs(external_id="d1", n=1)
    braze_id = sandbox.export(external_ids=["d1"])[0]["braze_id"]
    assert sandbox.post("/users/delete", {"braze_ids": [braze_id]}).json()["deleted"] == 1
    assert sandbox.export(external_ids=["d1"]) == []


def group_state(sandbox: Sandbox, external_id: str) -> list[dict[str, str]]:
    groups: list[dict[str, str]] = sandbox.profile(external_ids=[external_id]).get("subscription_groups", [])
    return groups


def test_subscription_groups_v1_and_v2(sandbox: Sandbox) -> None:
    sandbox.track(attributes=[
        {"external_id": "s1", "email": "s1@x.co"}, {"external_id": "s2", "email": "s1@x.co"}, {"external_id": "s3", "phone": "+15555550111"},
    ])  # fmt: skip
    v1 = {"subscription_group_id": GROUP, "subscription_state": "subscribed", "external_id": ["s1"]}
    assert (sandbox.post("/subscription/status/set", v1).json()) == {"message": "success"}
    assert group_state(sandbox, "s1") == [{"subscription_group_id": GROUP, "subscription_state": "subscribed"}]
    assert group_state(sandbox, "s2") == []
    v2 = {"subscription_groups": [{"subscription_group_id": GROUP, "subscription_state": "unsubscribed", "emails": ["S1@x.co"]},
                                  {"subscription_group_id": GROUP, "subscription_state": "subscribed", "phones": ["+15555550111"]}]}  # fmt: skip
    assert sandbox.post("/v2/subscription/status/set", v2).status_code == 201
    for external_id, state in (("s1", "unsubscribed"), ("s2", "unsubscribed"), ("s3", "subscribed")):
        assert group_state(sandbox, external_id) == [{"subscription_group_id": GROUP, "subscription_state": state}]


def test_email_status_follows_the_address(sandbox: Sandbox) -> None:
    sandbox.track(attributes=[{"external_id": "e1", "email": "e@x.co"}, {"external_id": "e2", "email": "e@x.co"}])
    r = sandbox.post("/email/status", {"email": ["E@x.co", "later@x.co"], "subscription_state": "opted_in"})
    assert (r.status_code, r.json()) == (201, {"message": "success"})
    assert [u["email_subscribe"] for u in sandbox.export(email_address="e@x.co")] == ["opted_in", "opted_in"]
    sandbox.attrs(email="later@x.co", n=1)  # an address no user had gets its state when a user gets it
    sandbox.attrs(external_id="e3", email="later@x.co")
    assert [u.get("email_subscribe") for u in sandbox.export(email_address="later@x.co")] == ["opted_in", "opted_in"]
    sandbox.post("/email/status", {"email": "later@x.co", "subscription_state": "unsubscribed"})
    sandbox.attrs(external_id="e3", email_subscribe="subscribed")  # /users/track still sets it per user
    assert sandbox.export(external_ids=["e3"])[0]["email_subscribe"] == "subscribed"


BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("/users/alias/new", {"user_aliases": [{"alias_name": "x"}]}, "user_aliases.0.alias_label: Field required"),
    ("/users/alias/new", {"user_aliases": []}, "user_aliases: List should have at least 1 item"),
    ("/users/alias/new", {"user_aliases": [{"alias_name": f"a{i}", "alias_label": "l"} for i in range(51)]}, "user_aliases: List should have at most 50 items"),
    ("/users/alias/update", {"alias_updates": [{"alias_label": "l", "old_alias_name": "a"}]}, "alias_updates.0.new_alias_name: Field required"),
    ("/users/identify", {}, "one of 'aliases_to_identify', 'emails_to_identify' or 'phone_numbers_to_identify' is required"),
    ("/users/identify", {"emails_to_identify": [{"external_id": "c", "email": "a@x.co"}]}, "emails_to_identify.0.prioritization: Field required"),
    ("/users/identify", {"emails_to_identify": [{"external_id": "c", "email": "a@x.co", "prioritization": ["identified", "unidentified"]}]},
     "'prioritization' may hold only one of 'identified' and 'unidentified'"),
    ("/users/identify", {"aliases_to_identify": [{"external_id": "x" * 988, "user_alias": ALIAS}]}, "'external_id' must be fewer than 988 bytes"),
    ("/users/identify", {"aliases_to_identify": [{"external_id": "c", "user_alias": ALIAS}], "merge_behavior": "both"}, "merge_behavior: Input should be 'none' or 'merge'"),
    ("/users/merge", {"merge_updates": "nope"}, "'merge_updates' must be an array of objects"),
    ("/users/merge", {"merge_updates": [{"identifier_to_merge": {"external_id": "a"}, "identifier_to_keep": {"external_id": "b"}}] * 51},
     "a single request may not contain more than 50 merge updates"),
    ("/users/merge", {"merge_updates": [{"identifier_to_merge": {"external_id": "a"}}]}, "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'"),
    ("/users/merge", {"merge_updates": [{"identifier_to_merge": {"external_id": 1}, "identifier_to_keep": {"external_id": "b"}}]},
     "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' property that is an object, 'email' property that is a string, or 'phone' property that is a string"),
    ("/users/merge", {"merge_updates": [{"identifier_to_merge": {"email": "a@x.co"}, "identifier_to_keep": {"external_id": "b"}}]}, "'prioritization' is required with 'email'"),
    ("/users/delete", {"external_ids": ["a"], "braze_ids": ["b"]}, "give exactly one of external_ids, user_aliases, braze_ids, email_addresses or phone_numbers"),
    ("/users/delete", {}, "give exactly one of external_ids, user_aliases, braze_ids, email_addresses or phone_numbers"),
    ("/users/delete", {"external_ids": [f"u{i}" for i in range(51)]}, "external_ids: List should have at most 50 items"),
    ("/subscription/status/set", {"subscription_group_id": "nope", "subscription_state": "subscribed", "external_id": ["a"]}, "'subscription_group_id' must be a valid UUID"),
    ("/subscription/status/set", {"subscription_group_id": GROUP, "subscription_state": "opted_in"}, "subscription_state: Input should be 'subscribed' or 'unsubscribed'"),
    ("/v2/subscription/status/set", {"subscription_groups": [{"subscription_group_id": GROUP, "subscription_state": "subscribed", "emails": ["a@x.co"], "phones": ["+1"]}]},
     "'emails' and 'phones' cannot be combined"),
    ("/email/status", {"email": "a@x.co", "subscription_state": "maybe"}, "subscription_state: Input should be 'subscribed', 'unsubscribed' or 'opted_in'"),
    ("/email/status", {"email": [f"a{i}@x.co" for i in range(51)], "subscription_state": "subscribed"}, "List should have at most 50 items"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "body", "message"), BAD_BODIES, ids=[f"{p} {m[:40]}" for p, _, m in BAD_BODIES])
def test_bad_bodies_are_400_naming_the_problem(sandbox: Sandbox, path: str, body: dict[str, Any], message: str) -> None:
    r = sandbox.post(path, body)
    assert r.status_code == 400, r.text
    assert message in r.json()["message"], r.json()
