"""Which Braze profiles an erasure deletes, what a destination was sent, and what Braze's answers to
the look-ups and deletions mean (domain/erasure.py)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.erasure import (
    Delivered,
    Profile,
    Sent,
    SentRow,
    canonical,
    choose,
    delete_bodies,
    deletion,
    exported,
    refusal,
    sent_to,
)
from zeroparty.domain.verify import email_hmac_hex

ADA = "ada@example.com"
SENT = Sent(
    ADA,
    external_ids=frozenset({"cust-42"}),
    aliases=frozenset({(ADA, "zeroparty_email")}),
    attributes=frozenset({"skin_type", "skin_goals"}),
    fields=frozenset({("first_name", canonical("Ada"))}),
    events=frozenset({"quiz_completed"}),
)


def profile(braze_id: str | None = "b1", **user: Any) -> Profile:
    return Profile.from_export({"braze_id": braze_id, **user} if braze_id else user)


# (the profile as Braze exports it, deleted?, what it holds of what zeroparty sent, shared with)
CASES: list[tuple[str, Profile, bool, tuple[str, ...], str | None]] = [
    ("the email-only quiz profile", profile(email=ADA, custom_attributes={"skin_type": "dry"}), True,
     ("skin_type",), None),
    ("an app profile that merely shares the email", profile(external_id="app-10", email=ADA,
     custom_attributes={"app_opens": 3}, first_name="Adeline"), False, (), None),
    ("an app profile by-email writes landed on", profile(external_id="app-10", email=ADA,
     custom_attributes={"skin_goals": ["hydration"], "app_opens": 3}), True, ("skin_goals",), "app-10"),
    ("the profile of an external id zeroparty sent, email changed since", profile(external_id="cust-42",
     email="ada@work.example"), True, ("external_id cust-42",), None),
    ("the profile of the alias zeroparty sent", profile(user_aliases=[{"alias_name": ADA,
     "alias_label": "zeroparty_email"}]), True, ("alias zeroparty_email",), None),
    ("a standard field with the value zeroparty sent", profile(email=ADA, first_name="Ada"), True,
     ("first_name",), None),
    ("a standard field with another value", profile(email=ADA, first_name="Adeline"), False, (), None),
    ("the completion event zeroparty sent", profile(email=ADA, custom_events=[{"name": "quiz_completed",
     "count": 1}]), True, ("event quiz_completed",), None),
    ("another address holding an attribute of the same name", profile(email="bob@example.com",
     custom_attributes={"skin_type": "oily"}), False, ("skin_type",), None),
    ("an attribute cleared to null", profile(email=ADA, custom_attributes={"skin_type": None}), False, (), None),
    ("the address in another case", profile(email="Ada@Example.com", custom_attributes={"skin_type": "dry"}),
     True, ("skin_type",), None),
    ("an alias of another label", profile(email=ADA, user_aliases=[{"alias_name": ADA, "alias_label": "crm"}]),
     False, (), None),
]  # fmt: skip


@pytest.mark.parametrize(("found", "delete", "holds", "shared"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_profile_goes_when_it_holds_something_zeroparty_sent_for_the_person(
    found: Profile, delete: bool, holds: tuple[str, ...], shared: str | None
) -> None:
    [choice] = choose(SENT, [found])
    assert (choice.delete, choice.holds, choice.shared_with) == (delete, holds, shared)
    assert (choice.why_kept is None) == delete


def test_everything_a_profile_holds_is_listed_identifiers_first() -> None:
    found = profile(
        external_id="cust-42", email=ADA, first_name="Ada", custom_attributes={"skin_type": "dry", "skin_goals": []}
    )
    [choice] = choose(SENT, [found])
    assert choice.holds == ("external_id cust-42", "skin_goals", "skin_type", "first_name")
    assert choice.held() == "external_id cust-42, skin_goals, skin_type, first_name"


def test_a_profile_found_by_two_look_ups_is_chosen_once_and_one_without_braze_id_cannot_go() -> None:
    quiz = profile(email=ADA, custom_attributes={"skin_type": "dry"})
    nameless = profile(None, external_id="cust-42")
    choices = choose(SENT, [quiz, quiz, nameless])
    assert [(c.profile.braze_id, c.delete) for c in choices] == [("b1", True), (None, False)]
    assert choices[1].why_kept == "Braze exported it without a braze_id"


def test_the_export_object_is_read_as_braze_documents_it_missing_fields_empty() -> None:
    assert Profile.from_export({}) == Profile(None)
    p = Profile.from_export(
        {
            "braze_id": "b9",
            "external_id": "",
            "user_aliases": [{"alias_name": "n", "alias_label": "l"}, "junk"],
            "custom_attributes": {"a": 1, "b": None},
            "custom_events": [{"name": "e", "count": 2}],
            "dob": "1990-05-12",
            "created_at": "2024-01-01",
        }
    )
    assert p == Profile(
        "b9", None, None, frozenset({("n", "l")}), frozenset({"a"}), frozenset({("dob", '"1990-05-12"')}),
        frozenset({"e"}),
    )  # fmt: skip


def rows(*attributes: dict[str, Any], completion: bool = False, external_id: str | None = None) -> tuple[SentRow, ...]:
    return tuple(SentRow(a, completion, external_id) for a in attributes)


def test_what_an_email_destination_was_sent_by_braze_name_without_identifiers_or_consent_state() -> None:
    settings = DestinationSettings(renames={"skin_type": "quiz_skin"}, exclude=frozenset({"routine_length"}))
    delivered = Delivered(
        rows({"skin_type": "dry", "routine_length": "short", "first_name": "Ada", "email": ADA}),
        ({"skin_goals": ["x"], "$group:6f1c": "subscribed", "email_subscribe": "opted_in", "$external_id": "c-1"},),
        frozenset({ADA}),
    )
    sent = sent_to(ADA, settings, delivered, response_external_ids=["c-2"])
    assert sent == Sent(
        ADA,
        external_ids=frozenset({"c-1"}),  # recorded as written under; the responses' ids were never sent here
        attributes=frozenset({"quiz_skin", "skin_goals"}),
        fields=frozenset({("first_name", '"Ada"')}),
    )


def test_an_external_id_destination_was_sent_the_ids_of_the_rows_the_responses_and_the_keys() -> None:
    settings = DestinationSettings(identity="external_id", completion_event="quiz_completed")
    delivered = Delivered(
        rows({"skin_type": "dry"}, completion=True, external_id="cust-1"), (), frozenset({ADA, "cust-3"})
    )
    sent = sent_to(ADA, settings, delivered, response_external_ids=["cust-2"])
    assert sent.external_ids == {"cust-1", "cust-2", "cust-3"}
    assert sent.events == {"quiz_completed"} and sent.aliases == frozenset()


def test_an_alias_destination_was_sent_its_alias_and_no_event_without_a_completion() -> None:
    settings = DestinationSettings(identity="user_alias", alias_label="crm", completion_event="quiz_completed")
    sent = sent_to(ADA, settings, Delivered(rows({"skin_type": "dry"})))
    assert sent.aliases == {(ADA, "crm")} and sent.events == frozenset()


def test_the_look_ups_ask_only_for_the_fields_choosing_reads_50_ids_a_request() -> None:
    many = Sent(ADA, external_ids=frozenset(f"id-{n:03d}" for n in range(51)), aliases=frozenset({(ADA, "l")}))
    bodies = many.lookups()
    assert [sorted(b) for b in bodies] == [
        ["email_address", "fields_to_export"],
        ["external_ids", "fields_to_export"],
        ["external_ids", "fields_to_export"],
        ["fields_to_export", "user_aliases"],
    ]
    assert [len(b["external_ids"]) for b in bodies[1:3]] == [50, 1]
    assert bodies[3]["user_aliases"] == [{"alias_name": ADA, "alias_label": "l"}]
    assert bodies[0]["fields_to_export"] == ["braze_id", "external_id", "user_aliases", "email"]
    assert SENT.fields_to_export() == [
        "braze_id", "external_id", "user_aliases", "email", "first_name", "custom_attributes", "custom_events",
    ]  # fmt: skip


def test_what_was_sent_survives_sealing_and_merges_with_what_an_earlier_erasure_kept() -> None:
    assert Sent.from_json(SENT.to_json()) == SENT
    earlier = Sent(ADA, external_ids=frozenset({"old-1"}), attributes=frozenset({"old_answer"}))
    merged = SENT | earlier
    assert merged.external_ids == {"cust-42", "old-1"} and "old_answer" in merged.attributes


def test_deletions_go_50_braze_ids_a_request() -> None:
    ids = [f"b{n}" for n in range(101)]
    assert [len(b["braze_ids"]) for b in delete_bodies(ids)] == [50, 50, 1]


def test_the_deletion_outcome_counts_what_braze_queued_and_names_a_missing_permission() -> None:
    assert deletion("d", []).done and "nothing to delete" in deletion("d", []).outcome
    ok = deletion("d", [(["b1", "b2"], 201, {"deleted": 2, "message": "success"})])
    assert (ok.done, ok.outcome, ok.deleted) == (True, "deleted in Braze (HTTP 201, deleted: 2)", ("b1", "b2"))
    refused = deletion("d", [(["b1"], 201, {"deleted": 1}), (["b2"], 403, {"message": "Access Denied"})])
    assert not refused.done and refused.deleted == ("b1",)
    assert refused.outcome == (
        "the key lacks the users.delete permission needed by POST /users/delete (HTTP 403 'Access Denied'); "
        "create a key with users.delete under Settings > APIs and Identifiers > API Keys "
        "(1 profile(s) were deleted before it)"
    )


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (
            403,
            {"message": "Access Denied"},
            "the key lacks the users.export.ids permission needed by POST /users/export/ids",
        ),
        (401, {"message": "Invalid API Key"}, "the key was refused by POST /users/export/ids"),
        (429, {"message": "Rate limited"}, "Braze is rate limiting POST /users/export/ids"),
        (500, "<html>", "POST /users/export/ids failed (HTTP 500 '<html>')"),
    ],
)
def test_a_failed_look_up_says_why(status: int, body: Any, says: str) -> None:
    assert exported(status, body) is None
    assert refusal(status, body, "users.export.ids", "/users/export/ids").startswith(says)


def test_an_export_answer_gives_its_users() -> None:
    assert exported(201, {"message": "success", "users": [{"braze_id": "b1"}, 7]}) == [Profile("b1")]
    assert exported(201, {"message": "success"}) is None


def test_the_erasure_log_key_is_an_hmac_under_the_secret_not_a_plain_hash() -> None:
    one, other = email_hmac_hex(b"k" * 32, ADA), email_hmac_hex(b"j" * 32, ADA)
    assert len(one) == 64 and one != other
    assert one != hashlib.sha256(ADA.encode()).hexdigest()
    assert email_hmac_hex(b"k" * 32, ADA) == one
