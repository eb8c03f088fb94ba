"""Verdicts on Braze's answers to the operator commands' calls, and the settings syntax."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from zeroparty.domain.destination_config import apply_assignments, destination_file, summary
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.verify import (
    DELETE,
    EXPORT,
    IDENTIFY,
    TRACK,
    PermissionCheck,
    PermissionReport,
    Verdict,
    delete_outcome,
    email_sha256_hex,
    instance_of,
    key_verdict,
    missing_permission_advice,
    needed_permissions,
    newly_needed,
    permission_report,
    permission_verdict,
    track_succeeded,
)
from zeroparty.errors import InvalidInput

US03 = "https://rest.iad-03.braze.com"
LOCAL = "http://127.0.0.1:9000"
EMPTY = {"message": "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."}


@pytest.mark.parametrize(
    ("endpoint", "status", "body", "kind"),
    [
        (US03, 400, EMPTY, "ok"),
        (LOCAL, 201, {"message": "success"}, "ok"),
        (LOCAL, 401, {"message": "Invalid API Key"}, "bad_key"),
        (US03, 401, {"message": "Invalid API Key"}, "wrong_instance"),
        (US03, 403, {"message": "Access Denied"}, "missing_permission"),
        (US03, 404, "<html>", "not_braze"),
        (US03, 429, {"message": "API rate limit exceeded"}, "rate_limited"),
        (US03, 503, {"message": "down"}, "unreachable"),
        (US03, 400, {"message": "Error while parsing request body."}, "unexpected"),
    ],
)
def test_key_verdicts(endpoint: str, status: int, body: Any, kind: str) -> None:
    assert key_verdict(endpoint, status, body).kind == kind


def test_a_refused_key_at_an_instance_says_it_may_belong_to_another_one() -> None:
    verdict = key_verdict(US03, 401, {"message": "Invalid API Key"})
    assert "refused by US-03 (https://rest.iad-03.braze.com" in verdict.message
    assert "belongs to another instance" in verdict.message and "EU-01" in verdict.message
    assert instance_of(US03 + "/") == "US-03" and instance_of(LOCAL) is None
    missing = key_verdict(US03, 403, {"message": "Access Denied"}).message
    assert missing.startswith("the key is valid but lacks the users.track permission")


def test_outcomes_of_sends_and_deletes() -> None:
    assert track_succeeded(201, {"message": "success"})
    assert not track_succeeded(201, {"message": "success", "errors": [{"type": "x", "index": 0}]})
    assert not track_succeeded(400, EMPTY)
    assert delete_outcome(201, {"deleted": 1, "message": "success"}) == (
        True,
        "deleted in Braze (HTTP 201, deleted: 1)",
    )
    done, why = delete_outcome(403, {"message": "Access Denied"})
    assert not done and "users.delete" in why
    assert email_sha256_hex("ada@example.com") == hashlib.sha256(b"ada@example.com").hexdigest()


def test_assignments_cover_scalars_maps_and_sets() -> None:
    uuid = "6f1c1e5a-7b9e-4a3c-9d2e-1f0a2b3c4d5e"
    s = apply_assignments(
        DestinationSettings(),
        [
            "max_objects=50",
            "renames.skin_type=skin",
            "exclude+=first_name,last_name",
            "exclude-=last_name",
            f"subscription_groups.marketing_opt_in={uuid}",
            "subscription_groups.marketing_opt_in.channel=sms",
            "batch_limits=per_array",
        ],
    )
    assert s.max_objects == 50 and s.renames == {"skin_type": "skin"} and s.exclude == {"first_name"}
    assert s.subscription_groups["marketing_opt_in"].channel == "sms" and s.batch_limits == "per_array"
    assert summary(s) == (
        "max_objects=50; batch_limits=per_array; renames skin_type→skin; exclude first_name; "
        f"groups marketing_opt_in→sms:{uuid}"  # whole: an id is copied, never cut
    )
    back = apply_assignments(
        s,
        [
            "max_objects=",
            "renames.skin_type=",
            "exclude=",
            "subscription_groups.marketing_opt_in=",
            "batch_limits=",
        ],
    )
    assert back == DestinationSettings() and summary(back) == "defaults"


@pytest.mark.parametrize(
    ("assignment", "problem"),
    [
        ("max_objects=90", "max_objects: must be less than or equal to 75"),
        ("colour=red", "colour: unknown setting 'colour'; the settings are identity, "),
        ("max_objects", "max_objects: expected key=value"),
        ("identity=phone", "identity: must be 'email', 'external_id' or 'user_alias'"),
        ("renames.skin_type=$skin", "renames.skin_type: "),
        ("subscription_groups.opt_in=123", "subscription_groups.opt_in.id: must be a subscription group id"),
        ("max_objects+=1", "max_objects: += works on sets (exclude); use = here"),
        ("exclude.a=b", "exclude.a: 'exclude' is a set"),
        ("completion_event=$done", "completion_event: an event name is 1 to 255 characters"),
    ],
)
def test_a_bad_assignment_names_its_key(assignment: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_assignments(DestinationSettings(), [assignment])
    assert str(caught.value.errors[0]).startswith(problem)


def test_renamed_and_excluded_at_once_is_refused_on_exclude() -> None:
    with pytest.raises(InvalidInput, match="exclude: 'first_name' is both renamed and excluded"):
        apply_assignments(DestinationSettings(), ["renames.first_name=fn", "exclude+=first_name"])


def test_destination_files_name_every_problem_and_never_take_a_key() -> None:
    good = destination_file({"name": "prod", "endpoint": "US-03", "settings": {"max_objects": 50}})
    assert good.endpoint == US03 and good.settings.max_objects == 50
    with pytest.raises(InvalidInput) as caught:
        destination_file({"endpoint": "US-99", "api_key": "secret", "settings": {"max_objects": 0, "colour": 1}})
    problems = [str(e) for e in caught.value.errors]
    assert problems[0].startswith("api_key: a key never goes in a file")
    assert "name: is required: 1 to 100 characters" in problems
    assert any(p.startswith("endpoint: 'US-99' is neither") for p in problems)
    assert "settings.max_objects: must be greater than or equal to 1" in problems
    assert any(p.startswith("settings.colour: unknown setting 'colour'") for p in problems)


# -- the permissions a destination needs ------------------------------------------------------------

DENIED = {"message": "Access Denied"}


def test_each_setting_needs_its_permissions() -> None:
    assert [p.name for p in needed_permissions(DestinationSettings())] == [
        "users.track",
        "users.delete",
        "users.export.ids",
    ]
    identifying = DestinationSettings(identity="external_id", identify_emails=True)
    assert [p.name for p in needed_permissions(identifying)] == [
        "users.track",
        "users.identify",
        "users.delete",
        "users.export.ids",
    ]
    # identify_emails calls /users/identify only for external_id destinations
    assert IDENTIFY not in needed_permissions(DestinationSettings(identify_emails=True))
    assert newly_needed(DestinationSettings(identity="external_id"), identifying) == (IDENTIFY,)
    assert newly_needed(identifying, DestinationSettings()) == ()


@pytest.mark.parametrize(
    ("path", "status", "body", "kind"),
    [
        ("/users/identify", 400, {"message": "one of 'aliases_to_identify' … is required"}, "ok"),
        ("/users/delete", 400, {"message": "give exactly one of external_ids, …"}, "ok"),
        ("/users/export/ids", 201, {"message": "success", "users": []}, "ok"),
        ("/users/identify", 403, DENIED, "missing_permission"),
        ("/users/delete", 401, {"message": "Invalid API Key"}, "bad_key"),
        ("/users/export/ids", 429, {"message": "API rate limit exceeded"}, "rate_limited"),
        ("/users/track", 400, {"message": "Error while parsing request body."}, "unexpected"),
    ],
)
def test_an_empty_body_tells_whether_the_key_has_the_permission(path: str, status: int, body: Any, kind: str) -> None:
    assert permission_verdict(LOCAL, path, "some.permission", status, body).kind == kind


def test_a_missing_permission_is_named_with_its_endpoint() -> None:
    advice = missing_permission_advice("users.identify", "/users/identify")
    assert advice.startswith("the key lacks the users.identify permission, which POST /users/identify needs: ")
    assert "create a key with users.identify under Settings > APIs and Identifiers > API Keys" in advice
    verdict = permission_verdict(LOCAL, "/users/identify", "users.identify", 403, DENIED)
    assert verdict.message == f"{advice} (HTTP 403 'Access Denied')"


def _checks(**kinds: str) -> list[PermissionCheck]:
    by_name = {"track": TRACK, "identify": IDENTIFY, "delete": DELETE, "export": EXPORT}
    return [PermissionCheck(by_name[k], Verdict(v, f"{k} said {v}")) for k, v in kinds.items()]  # type: ignore[arg-type]


def test_a_missing_required_permission_refuses_and_an_optional_one_warns() -> None:
    report = permission_report(_checks(track="ok", identify="missing_permission", delete="missing_permission"))
    assert report.refusal is not None and report.refusal.startswith("identify said missing_permission; without it ")
    assert "delivery pauses" in report.refusal
    [warning] = report.warnings
    assert warning == "delete said missing_permission; without it `people erase` cannot delete profiles in Braze"
    assert report.granted == ("users.track",)
    unsure = permission_report(_checks(track="ok", delete="ok", export="rate_limited"))
    assert unsure.refusal is None and unsure.granted == ("users.track", "users.delete")
    assert unsure.warnings == (
        "users.export.ids could not be checked (POST /users/export/ids): export said rate_limited",
    )


def test_a_refused_key_says_only_that() -> None:
    report = permission_report(_checks(track="bad_key", delete="bad_key"))
    assert report == PermissionReport("track said bad_key", (), ())
