"""`zeroparty people erase EMAIL`: a whole server captures for two Braze peers over HTTP; then the
real command looks the person up in each, shows the profiles zeroparty wrote, asks, erases here and
deletes those profiles by braze_id, logs it under an HMAC of the address, and a re-run finishes what
a key could not do."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.integration.test_cli import run
from tests.integration.test_cli_destinations import FULL, NO_TRACK, TRACK_ONLY, errors, stack_post
from tests.support.server import serve
from tests.support.stack import SANDBOX_KEY, Stack, exported, running_stack
from tests.support.waiting import wait_for
from zeroparty.adapters.crypto import load_or_create_key
from zeroparty.adapters.db.engine import create_engine, sqlite_dbapi
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.verify import email_hmac_hex
from zeroparty.sandbox import SandboxConfig, create_sandbox_app
from zeroparty.sandbox.config import ALL_PERMISSIONS

ADA = "ada@example.com"
BOB = "bob@example.com"
EXPORT_ONLY = "export-no-delete-key-0123"  # may write and look up, not delete
KEYS = {
    FULL: ALL_PERMISSIONS,
    TRACK_ONLY: frozenset({"users.track"}),
    NO_TRACK: ALL_PERMISSIONS - {"users.track"},
    EXPORT_ONLY: ALL_PERMISSIONS - {"users.delete"},
}
QUIZ_ATTRIBUTES = {"skin_type", "skin_goals", "routine_length", "skin_quiz_routine"}


@contextmanager
def braze_peer(tmp_path: Path) -> Iterator[str]:
    """A Braze sandbox on a real port whose keys have the permissions of KEYS: its base URL."""
    engine = create_engine(f"sqlite:///{tmp_path / 'braze-sandbox.db'}")
    try:
        with serve(create_sandbox_app(engine, SandboxConfig(api_keys=KEYS))) as base:
            yield base
    finally:
        engine.dispose()


@contextmanager
def database(data_dir: Path) -> Iterator[Any]:
    """The store, opened with the SQLite library the server in this process uses: two libraries in
    one process do not see each other's locks, and a write could be lost. Commits on leaving."""
    conn = sqlite_dbapi().connect(str(data_dir / "zeroparty.db"), timeout=10)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def erasure_secret(data_dir: Path) -> bytes:
    import hmac

    key = load_or_create_key(None, data_dir / "secret.key")
    return hmac.new(key, b"zeroparty erasure log", hashlib.sha256).digest()


def requests_to(base: str, key: str, path: str) -> list[dict[str, Any]]:
    r = httpx.get(base + "/_sandbox/requests", params={"path": path}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["requests"]
    return found


def states(data_dir: Path) -> list[str]:
    with database(data_dir) as db:
        return [s for (s,) in db.execute("SELECT state FROM outbox ORDER BY seq")]


def count(data_dir: Path, sql: str, *args: object) -> int:
    with database(data_dir) as db:
        n = db.execute(sql, args).fetchone()[0]
    assert isinstance(n, int)
    return n


def exported_by(base: str, email: str) -> list[dict[str, Any]]:
    return exported(base, FULL, email_address=email)


def test_erase_removes_the_person_here_and_in_braze_and_a_rerun_finishes_what_a_key_could_not_do(
    tmp_path: Path,
) -> None:
    with braze_peer(tmp_path / "other") as other, running_stack(tmp_path, worker=False) as stack:
        # A second destination whose key may write, but neither look up nor delete.
        added = run(tmp_path, "destinations", "add-braze", "limited", "--endpoint", other, key=TRACK_ONLY)
        assert added.returncode == 0, added.stderr
        assert stack_post(stack.base, ADA) == 201 and stack_post(stack.base, BOB) == 201
        deliver(tmp_path, {"sandbox": SANDBOX_KEY, "limited": TRACK_ONLY})
        assert states(tmp_path) == ["delivered"] * 4
        [ada_here], [ada_there] = stack.export_by_email(ADA), exported_by(other, ADA)

        first = run(tmp_path, "people", "erase", "  Ada@Example.com ", "--yes")
        assert first.returncode == 1
        assert (
            "limited: cannot look up: the key lacks the users.export.ids permission needed by POST "
            "/users/export/ids (HTTP 403 'Access Denied')" in first.stdout
        )
        assert "sandbox: 1 profile(s) found, 1 to delete:" in first.stdout
        erased = next(line for line in first.stdout.splitlines() if line.startswith("Erased "))
        assert erased.startswith(f"Erased {ADA} here: ")
        for gone in ("6 answers", "2 delivery_attempts", "2 outbox", "1 responses"):
            assert gone in erased
        assert "  limited: not deleted: cannot look up: the key lacks the users.export.ids permission" in first.stdout
        assert f"  sandbox: deleted in Braze (HTTP 201, deleted: 1): {ada_here['braze_id']}" in first.stdout
        digest = email_hmac_hex(erasure_secret(tmp_path), ADA)
        assert first.stdout.rstrip().endswith(f"Logged as erasure #1 (HMAC-SHA256 of the address: {digest}).")
        assert errors(first).strip() == (
            "error: Braze is not done at limited; the local erasure is done. Fix the cause and run the same "
            "command again: it finishes only those."
        )
        assert stack.export_by_email(ADA) == [] and len(stack.export_by_email(BOB)) == 1
        assert len(exported_by(other, ADA)) == 1  # not deleted there yet
        _nothing_left_of_ada(tmp_path, stack)

        # A key that may look up but not delete: the re-run finds the profile from the sealed record.
        assert run(tmp_path, "destinations", "update-key", "limited", key=EXPORT_ONLY).returncode == 0
        second = run(tmp_path, "people", "erase", ADA, "--yes")
        assert second.returncode == 1
        assert "limited (left unfinished by an earlier erasure): 1 profile(s) found, 1 to delete:" in second.stdout
        assert "sandbox: never sent anything for this address: not called." in second.stdout
        assert (
            "  limited: the key lacks the users.delete permission needed by POST /users/delete "
            "(HTTP 403 'Access Denied')" in second.stdout
        )

        # The operator gives `limited` a key that may delete; the same command finishes there.
        assert run(tmp_path, "destinations", "update-key", "limited", key=FULL).returncode == 0
        third = run(tmp_path, "people", "erase", ADA, "--yes")
        assert third.returncode == 0, third.stderr
        assert (
            "  limited: deleted in Braze (HTTP 201, deleted: 1) (retried from an earlier erasure): "
            f"{ada_there['braze_id']}"
        ) in third.stdout
        assert exported_by(other, ADA) == [] and len(exported_by(other, BOB)) == 1

        done = run(tmp_path, "people", "erase", ADA)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-3:-1] == [
            f"Erased {ADA} here: nothing was stored.",
            "No Braze destination was sent anything for this address.",
        ]

    with database(tmp_path) as db:
        log = db.execute(
            "SELECT email_hmac, email_sha256, responses, destinations FROM erasures ORDER BY id"
        ).fetchall()
    assert [(h, old, n) for h, old, n, _ in log] == [
        (digest, None, 1),
        (digest, None, 0),
        (digest, None, 0),
        (digest, None, 0),
    ]
    assert [(c["destination"], c["done"]) for c in json.loads(log[0][3])] == [("limited", False), ("sandbox", True)]
    assert json.loads(log[2][3]) == [
        {"destination": "limited", "outcome": "deleted in Braze (HTTP 201, deleted: 1)", "done": True}
    ]
    assert "ada" not in repr(log).lower() and hashlib.sha256(ADA.encode()).hexdigest() not in repr(log)
    # Erased rows are overwritten, not left in free pages or the WAL.
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("zeroparty.db*"))
    assert ADA.encode() not in stored and BOB.encode() in stored


def deliver(data_dir: Path, keys: dict[str, str]) -> None:
    """Deliver the queued rows the way the engine records a delivery: each user's attributes to
    /users/track over HTTP, then the row delivered with an attempt logged. (Erasure is under test
    here; delivery has its own tests.)"""
    now = datetime.now(UTC).isoformat(sep=" ")
    with database(data_dir) as db:
        rows = db.execute(
            "SELECT o.id, o.user_key, o.payload, d.name, d.endpoint FROM outbox o "
            "JOIN destinations d ON d.id = o.destination_id ORDER BY o.seq"
        ).fetchall()
        for row_id, user, payload, name, endpoint in rows:
            body = {"attributes": [{"email": user, **json.loads(payload)["attributes"]}]}
            r = httpx.post(endpoint + "/users/track", json=body, headers={"Authorization": f"Bearer {keys[name]}"})
            assert r.status_code == 201, r.text
            db.execute(
                "UPDATE outbox SET state = 'delivered', attempts = 1, delivered_at = ? WHERE id = ?", (now, row_id)
            )
            db.execute(
                "INSERT INTO delivery_attempts (outbox_id, at, outcome, status_code) VALUES (?, ?, 'delivered', 201)",
                (row_id, now),
            )


def _nothing_left_of_ada(data_dir: Path, stack: Stack) -> None:
    assert count(data_dir, "SELECT count(*) FROM responses WHERE email = ?", ADA) == 0
    assert count(data_dir, "SELECT count(*) FROM outbox WHERE user_key = ?", ADA) == 0
    assert count(data_dir, "SELECT count(*) FROM answers WHERE value LIKE ?", f"%{ADA}%") == 0
    assert count(data_dir, "SELECT count(*) FROM responses WHERE email = ?", BOB) == 1
    assert count(data_dir, "SELECT count(*) FROM outbox WHERE user_key = ?", BOB) == 2
    assert count(data_dir, "SELECT count(*) FROM delivery_attempts") >= 2  # Bob's history stays
    if count(data_dir, "SELECT count(*) FROM sqlite_master WHERE name = 'consent_records'"):
        assert count(data_dir, "SELECT count(*) FROM consent_records") == 1  # Bob's only


def test_erase_refuses_what_is_not_an_email_and_touches_nothing(tmp_path: Path) -> None:
    done = run(tmp_path, "people", "erase", "not-an-address")
    assert done.returncode == 1
    assert errors(done).startswith("error: EMAIL: ")
    assert not (tmp_path / "zeroparty.db").exists()


def test_erase_calls_no_destination_that_was_never_sent_anything(tmp_path: Path) -> None:
    with braze_peer(tmp_path / "other") as other, running_stack(tmp_path, worker=False) as stack:
        added = run(tmp_path, "destinations", "add-braze", "x", "--endpoint", other, "--no-verify", key=NO_TRACK)
        assert added.returncode == 0, added.stderr
        assert stack_post(stack.base, ADA) == 201
        with database(tmp_path) as db:  # only the sandbox was ever sent Ada
            db.execute("DELETE FROM outbox WHERE destination_id = (SELECT id FROM destinations WHERE name = 'x')")
        deliver(tmp_path, {"sandbox": SANDBOX_KEY})
        done = run(tmp_path, "people", "erase", ADA, "--yes")
        assert done.returncode == 0, done.stderr
        assert "x: never sent anything for this address: not called." in done.stdout
        assert "sandbox: 1 profile(s) found, 1 to delete:" in done.stdout
        assert requests_to(other, NO_TRACK, "/users/export/ids") == []
        assert requests_to(other, NO_TRACK, "/users/delete") == []
        assert stack.export_by_email(ADA) == []


def test_erase_of_an_address_nobody_sent_calls_nobody(tmp_path: Path) -> None:
    with braze_peer(tmp_path / "other") as other:
        added = run(tmp_path, "destinations", "add-braze", "x", "--endpoint", other, "--no-verify", key=NO_TRACK)
        assert added.returncode == 0, added.stderr
        done = run(tmp_path, "people", "erase", ADA)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[:3] == [
            "x: never sent anything for this address: not called.",
            f"Erased {ADA} here: nothing was stored.",
            "No Braze destination was sent anything for this address.",
        ]
        assert requests_to(other, NO_TRACK, "/users/export/ids") == []


def test_erase_waits_for_a_delivery_in_flight(tmp_path: Path) -> None:
    with running_stack(tmp_path, worker=False) as stack:
        assert stack_post(stack.base, ADA) == 201
        with database(tmp_path) as db:  # a worker holds Ada's row right now
            db.execute(
                "UPDATE outbox SET state = 'in_flight', lease_owner = 'w1', "
                "lease_expires_at = datetime('now', '+60 seconds') WHERE user_key = ?",
                (ADA,),
            )
        busy = run(tmp_path, "people", "erase", ADA, "--yes")
        assert busy.returncode == 1
        assert errors(busy).startswith("error: EMAIL: a delivery for this address is in flight (its lease ends at ")
        assert "run the command again after that" in errors(busy)
        assert count(tmp_path, "SELECT count(*) FROM responses WHERE email = ?", ADA) == 1  # nothing erased
        assert count(tmp_path, "SELECT count(*) FROM erasures") == 0
        with database(tmp_path) as db:  # the lease ran out: the worker died
            db.execute("UPDATE outbox SET lease_expires_at = datetime('now', '-1 seconds') WHERE user_key = ?", (ADA,))
        done = run(tmp_path, "people", "erase", ADA, "--yes")
        assert done.returncode == 0, done.stderr
        assert count(tmp_path, "SELECT count(*) FROM responses WHERE email = ?", ADA) == 0


def track(base: str, key: str, *attributes: dict[str, Any]) -> None:
    r = httpx.post(
        base + "/users/track", json={"attributes": list(attributes)}, headers={"Authorization": f"Bearer {key}"}
    )
    assert r.status_code == 201, r.text


@contextmanager
def ada_and_her_app_profile(tmp_path: Path) -> Iterator[Stack]:
    """Ada's quiz answers delivered to an email-only profile; then the brand's app makes its own
    profile for her (external_id app-10), with her address, updated last."""
    with running_stack(tmp_path, worker=False) as stack:
        assert stack_post(stack.base, ADA) == 201
        deliver(tmp_path, {"sandbox": SANDBOX_KEY})
        track(stack.sandbox, SANDBOX_KEY, {"external_id": "app-10", "email": ADA, "app_opens": 3})
        assert len(stack.export_by_email(ADA)) == 2
        yield stack


def test_erase_deletes_the_quiz_profile_and_leaves_the_app_profile_sharing_the_email(tmp_path: Path) -> None:
    with ada_and_her_app_profile(tmp_path) as stack:
        [quiz] = [u for u in stack.export_by_email(ADA) if "external_id" not in u]
        done = run(tmp_path, "people", "erase", ADA, "--yes")
        assert done.returncode == 0, done.stderr
        [left] = stack.export_by_email(ADA)
        assert left["external_id"] == "app-10" and left["custom_attributes"] == {"app_opens": 3}
        assert "first_name" not in left  # no value zeroparty sent stays in any profile
        [delete] = [r["request_body"] for r in requests_to(stack.sandbox, SANDBOX_KEY, "/users/delete")]
        assert delete == {"braze_ids": [quiz["braze_id"]]}
        exports = [r["request_body"] for r in requests_to(stack.sandbox, SANDBOX_KEY, "/users/export/ids")]
        [lookup] = [body for body in exports if "fields_to_export" in body]  # the others are this test's
        assert lookup["email_address"] == ADA
        assert set(lookup["fields_to_export"]) == {
            "braze_id", "external_id", "user_aliases", "email", "first_name", "custom_attributes"
        }  # fmt: skip
        lines = done.stdout.splitlines()
        assert lines[0] == "sandbox: 2 profile(s) found, 1 to delete:"
        [deleted_row] = [line for line in lines if quiz["braze_id"] in line and "│ delete" in line]
        assert all(name in deleted_row for name in ("routine_length", "skin_goals", "skin_type", "first_name"))
        [kept_row] = [line for line in lines if "app-10" in line]
        assert "keep" in kept_row and "holds nothing zeroparty sent" in kept_row


def test_erase_asks_first_and_a_no_or_no_answer_changes_nothing_anywhere(tmp_path: Path) -> None:
    with ada_and_her_app_profile(tmp_path) as stack:
        for answer in (None, "", "n\n"):
            kept = run(tmp_path, "people", "erase", ADA, stdin=answer)
            assert kept.returncode == 1
            assert "Delete 1 profile(s) in Braze? [y/N]" in kept.stdout
            assert errors(kept).strip() == "error: --yes: not confirmed, nothing was deleted in Braze"
            assert len(stack.export_by_email(ADA)) == 2
            assert count(tmp_path, "SELECT count(*) FROM responses WHERE email = ?", ADA) == 1
            assert count(tmp_path, "SELECT count(*) FROM erasures") == 0
        assert requests_to(stack.sandbox, SANDBOX_KEY, "/users/delete") == []

        agreed = run(tmp_path, "people", "erase", ADA, stdin="y\n")
        assert agreed.returncode == 0, agreed.stderr
        assert [u.get("external_id") for u in stack.export_by_email(ADA)] == ["app-10"]
        assert count(tmp_path, "SELECT count(*) FROM responses WHERE email = ?", ADA) == 0


def test_the_plan_reads_at_80_columns_and_json_carries_the_plan_and_the_result(tmp_path: Path) -> None:
    with ada_and_her_app_profile(tmp_path) as stack:
        [quiz] = [u for u in stack.export_by_email(ADA) if "external_id" not in u]
        narrow = run(tmp_path, "people", "erase", ADA, extra={"COLUMNS": "80"}, stdin="n\n")
        assert narrow.returncode == 1
        assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
        assert quiz["braze_id"] in narrow.stdout and "app-10" in narrow.stdout

        plan_only = run(tmp_path, "people", "erase", ADA, "--json", stdin="y\n")  # never asks
        assert plan_only.returncode == 1
        assert errors(plan_only).strip() == "error: --yes: not confirmed, nothing was deleted in Braze"
        planned = json.loads(plan_only.stdout)
        assert planned["erasure_id"] is None and planned["destinations"][0]["done"] is None
        assert [p["delete"] for p in planned["destinations"][0]["profiles"]] == [True, False]
        assert len(stack.export_by_email(ADA)) == 2

        done = run(tmp_path, "people", "erase", ADA, "--yes", "--json")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert stack_post(stack.base, ADA) == 201  # Ada answers again; this time the erasure goes ahead
        deliver(tmp_path, {"sandbox": SANDBOX_KEY})
        # Braze wrote this answer, sent by email, to the identified profile with her address: the app's.
        [shared] = stack.export_by_email(ADA)
        assert shared["external_id"] == "app-10" and "skin_type" in shared["custom_attributes"]
        again = run(tmp_path, "people", "erase", ADA, "--yes", extra={"COLUMNS": "80"})
        assert again.returncode == 0, again.stderr
        assert max(len(line) for line in again.stdout.splitlines()) <= 80
        assert f"  sandbox: deleted in Braze (HTTP 201, deleted: 1): {shared['braze_id']}" in again.stdout
        assert stack.export_by_email(ADA) == []  # it held her answers: it went, and the plan said whose it was
        [sandbox] = report["destinations"]
        assert (sandbox["destination"], sandbox["sent"], sandbox["done"]) == ("sandbox", True, True)
        assert sandbox["deleted"] == [quiz["braze_id"]]
        by_id = {p["braze_id"]: p for p in sandbox["profiles"]}
        assert by_id[quiz["braze_id"]]["delete"] is True
        assert set(by_id[quiz["braze_id"]]["holds"]) >= {"skin_type", "first_name"}
        [app] = [p for p in sandbox["profiles"] if p["external_id"] == "app-10"]
        assert (app["delete"], app["holds"], app["why_kept"]) == (False, [], "holds nothing zeroparty sent")
        assert report["erased_here"]["responses"] == 1 and report["erasure_id"] == 1


def test_erase_at_a_user_alias_destination_finds_the_profile_by_the_alias_it_sent(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:  # the in-process worker delivers
        stack.rt.destinations.set_settings("sandbox", DestinationSettings(identity="user_alias", alias_label="quiz"))
        assert stack_post(stack.base, ADA) == 201
        alias = {"alias_name": ADA, "alias_label": "quiz"}
        wait_for(lambda: exported(stack.sandbox, SANDBOX_KEY, user_aliases=[alias]), bool, timeout=10)
        wait_for(lambda: states(tmp_path), lambda s: s == ["delivered"], timeout=10)
        done = run(tmp_path, "people", "erase", ADA, "--yes")
        assert done.returncode == 0, done.stderr
        assert exported(stack.sandbox, SANDBOX_KEY, user_aliases=[alias]) == []
        lookups = [r["request_body"] for r in requests_to(stack.sandbox, SANDBOX_KEY, "/users/export/ids")]
        assert {"user_aliases": [alias]} in [{"user_aliases": b.get("user_aliases")} for b in lookups]
        assert "alias quiz" in done.stdout
