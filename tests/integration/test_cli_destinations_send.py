"""`zeroparty destinations test NAME`: a synthetic response through the real mapping and the
destination's settings, sent to a real sandbox over HTTP, and what comes back."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cli import run
from tests.integration.test_cli_destinations import FULL, NO_IDENTIFY, TRACK_ONLY, errors, sandbox
from tests.support.definitions import ROOT, SAMPLE
from tests.support.processes import closed_port
from tests.support.stack import exported


@pytest.fixture
def braze(tmp_path: Path) -> Iterator[str]:
    with sandbox(tmp_path) as base:
        yield base


SENT = re.compile(r"^POST (\S+)/users/track\n(\{.*?\n\})\n", re.S | re.M)


def sent_body(stdout: str) -> dict[str, Any]:
    match = SENT.search(stdout)
    assert match, stdout
    body = json.loads(match.group(2))
    assert isinstance(body, dict)
    return body


def profile(base: str, email: str) -> list[dict[str, Any]]:
    return exported(base, FULL, email_address=email)


def test_the_test_sends_the_mapped_renamed_object_and_shows_the_profile(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "experiences", "import", str(SAMPLE)).returncode == 0
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL).returncode == 0
    assert run(tmp_path, "destinations", "set", "prod", "renames.skin_type=skin", "exclude+=first_name").returncode == 0
    done = run(tmp_path, "destinations", "test", "prod")
    assert done.returncode == 0, done.stdout + done.stderr
    email = "zeroparty-test+prod@example.com"  # the same test person every run
    assert done.stdout.startswith(f"Test send to 'prod' ({braze}) with experience 'skin-quiz', as {email}.\n")
    [obj] = sent_body(done.stdout)["attributes"]
    # What the engine would send for this destination: renamed, excluded, no consent.
    assert obj == {
        "email": email,
        "skin": "dry",
        "skin_goals": ["hydration"],
        "routine_length": "none",
        "skin_quiz_routine": "hydration_boost",
    }
    assert re.search(r"^Braze answered HTTP 201 in \d+ ms:\n\{\n  \"message\": \"success\"", done.stdout, re.M)
    assert "\nData points: 5 (5 attribute(s), 0 event(s); identifiers and subscription states cost none).\n" in (
        done.stdout
    )
    assert "Profile as Braze holds it (/users/export/ids):" in done.stdout and '"skin": "dry"' in done.stdout
    assert done.stdout.rstrip().endswith("Test passed: Braze accepted the profile for 'prod'.")
    assert FULL not in done.stdout + done.stderr
    [held] = profile(braze, email)
    assert held["custom_attributes"]["skin"] == "dry" and "skin_type" not in held["custom_attributes"]


def test_without_an_experience_a_synthetic_set_is_sent(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL).returncode == 0
    done = run(tmp_path, "destinations", "test", "prod")
    assert done.returncode == 0, done.stderr
    assert "with a synthetic set of attributes (no experience)" in done.stdout
    [obj] = sent_body(done.stdout)["attributes"]
    assert obj["zeroparty_test"] is True and set(obj) == {"email", "zeroparty_test", "zeroparty_test_sent_at"}


def test_a_key_that_may_not_export_still_passes_without_the_profile(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=TRACK_ONLY).returncode == 0
    done = run(tmp_path, "destinations", "test", "prod")
    assert done.returncode == 0, done.stderr
    assert "Profile: not shown: the key may not export (no users.export.ids permission, HTTP 403)" in done.stdout
    [obj] = sent_body(done.stdout)["attributes"]
    assert len(profile(braze, obj["email"])) == 1  # it was written all the same


def test_a_refused_key_fails_with_the_verdict(tmp_path: Path, braze: str) -> None:
    added = run(
        tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, "--no-verify", key="bad-key-0123456789"
    )
    assert added.returncode == 0, added.stderr
    done = run(tmp_path, "destinations", "test", "prod")
    assert done.returncode == 1
    assert "Braze answered HTTP 401" in done.stdout
    assert errors(done).startswith("error: test failed: the key was refused (HTTP 401 'Invalid API Key')")


def test_a_paused_destination_fails_even_when_braze_accepts(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL).returncode == 0
    with sqlite3.connect(tmp_path / "zeroparty.db") as db:
        db.execute("UPDATE destinations SET paused_reason = 'Braze refused the API key (401)'")
    done = run(tmp_path, "destinations", "test", "prod")
    assert done.returncode == 1
    assert "Braze answered HTTP 201" in done.stdout
    assert errors(done).strip() == (
        "error: Braze accepted the test, but 'prod' is paused (Braze refused the API key (401)): nothing is "
        "delivered until `zeroparty destinations resume prod` (or update-key)"
    )


def test_an_unreachable_destination_fails(tmp_path: Path) -> None:
    with closed_port() as port:
        closed = f"http://127.0.0.1:{port}"
        assert (
            run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", closed, "--no-verify", key=FULL).returncode
            == 0
        )
        done = run(tmp_path, "destinations", "test", "prod")
    assert done.returncode == 1
    assert errors(done).startswith(f"error: 'prod' is unreachable: could not reach {closed} (ConnectError")
    missing = run(tmp_path, "destinations", "test", "nope")
    assert missing.returncode == 1 and "name: no destination named 'nope'" in errors(missing)


VIP = ROOT / "examples" / "vip-signup.yaml"


def test_the_test_sends_normalised_answers_and_the_event_to_one_profile_reused_every_run(
    tmp_path: Path, braze: str
) -> None:
    assert run(tmp_path, "experiences", "import", str(VIP)).returncode == 0
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL).returncode == 0
    assert run(tmp_path, "destinations", "set", "prod", "completion_event=vip_joined").returncode == 0
    first = run(tmp_path, "destinations", "test", "prod")
    assert first.returncode == 0, first.stdout + first.stderr
    body = sent_body(first.stdout)
    [obj] = body["attributes"]
    # What capture would store and the engine send: E.164, ISO codes, a Braze date, the completion time
    assert (obj["phone"], obj["country"], obj["dob"], obj["gender"]) == ("+442079460958", "GB", "1990-05-12", "F")
    assert obj["shoe_size_eu"] == 30 and obj["special_date"] == "2000-01-01T00:00:00Z"
    assert "vip_signup_completed_at" in obj
    [event] = body["events"]
    assert event["name"] == "vip_joined" and event["email"] == "zeroparty-test+prod@example.com"
    assert event["properties"]["experience"] == "vip-signup" and event["properties"]["outcome"] == "welcome"
    assert f"\nData points: {len(obj) + 1} ({len(obj)} attribute(s), 1 event(s);" in first.stdout
    second = run(tmp_path, "destinations", "test", "prod")
    assert second.returncode == 0, second.stderr
    [held] = profile(braze, "zeroparty-test+prod@example.com")  # one profile, however many runs
    assert held["phone"] == "+442079460958" and held["country"] == "GB"


def test_cleanup_deletes_the_test_profile(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL).returncode == 0
    done = run(tmp_path, "destinations", "test", "prod", "--cleanup")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Profile as Braze holds it (/users/export/ids):" in done.stdout  # it was there
    assert (
        "Cleanup: the test profile zeroparty-test+prod@example.com was deleted in Braze (HTTP 201, deleted: 1)."
        in done.stdout
    )
    assert profile(braze, "zeroparty-test+prod@example.com") == []
    assert run(tmp_path, "destinations", "update-key", "prod", key=TRACK_ONLY).returncode == 0
    refused = run(tmp_path, "destinations", "test", "prod", "--cleanup")
    assert refused.returncode == 0, refused.stderr  # the test passed; only the cleanup failed
    assert errors(refused).splitlines()[-1] == (
        "warning: cleanup: the test profile zeroparty-test+prod@example.com was not deleted: refused: the key lacks "
        "the users.delete permission (HTTP 403 'Access Denied')"
    )


def test_an_external_id_destination_is_identified_first(tmp_path: Path, braze: str) -> None:
    assert run(tmp_path, "experiences", "import", str(SAMPLE)).returncode == 0
    assert run(tmp_path, "destinations", "add-braze", "prod", "--endpoint", braze, key=FULL).returncode == 0
    setup = run(tmp_path, "destinations", "set", "prod", "identity=external_id", "identify_emails=true")
    assert setup.returncode == 0, setup.stderr
    done = run(tmp_path, "destinations", "test", "prod")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "as zeroparty-test-prod." in done.stdout.splitlines()[0]
    identify_at, track_at = done.stdout.index("/users/identify\n"), done.stdout.index("/users/track\n")
    assert identify_at < track_at  # as the engine does: identify, then track
    [obj] = sent_body(done.stdout)["attributes"]
    assert obj["external_id"] == "zeroparty-test-prod" and obj["email"] == "zeroparty-test+prod@example.com"
    [held] = exported(braze, FULL, external_ids=["zeroparty-test-prod"])
    assert held["email"] == "zeroparty-test+prod@example.com" and held["custom_attributes"]["skin_type"] == "dry"
    assert run(tmp_path, "destinations", "update-key", "prod", "--no-verify", key=NO_IDENTIFY).returncode == 0
    refused = run(tmp_path, "destinations", "test", "prod")
    assert refused.returncode == 1
    assert errors(refused).startswith(
        "error: test failed: the key lacks the users.identify permission, which POST /users/identify needs"
    )
    assert errors(refused).rstrip().endswith("nothing was sent to /users/track")
