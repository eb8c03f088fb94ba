"""`zeroparty people erase EMAIL`: a whole server captures and delivers to two sandboxes over HTTP;
then the real command erases one person here and in Braze, logs it without the address, and a
failed Braze call is retried by running it again."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.integration.test_cli import run
from tests.integration.test_cli_destinations import FULL, NO_TRACK, TRACK_ONLY, errors, sandbox, stack_post
from tests.support.stack import SANDBOX_KEY, Stack, exported, running_stack

ADA = "ada@example.com"
BOB = "bob@example.com"


def states(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "zeroparty.db") as db:
        return [s for (s,) in db.execute("SELECT state FROM outbox ORDER BY seq")]


def count(data_dir: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(data_dir / "zeroparty.db") as db:
        n = db.execute(sql, args).fetchone()[0]
    assert isinstance(n, int)
    return n


def exported_by(base: str, email: str) -> list[dict[str, Any]]:
    return exported(base, FULL, email_address=email)


def test_erase_removes_the_person_here_and_in_braze_and_retries_a_failed_call(tmp_path: Path) -> None:
    with sandbox(tmp_path / "other") as other, running_stack(tmp_path, worker=False) as stack:
        # A second destination whose key may write but not delete.
        added = run(tmp_path, "destinations", "add-braze", "limited", "--endpoint", other, key=TRACK_ONLY)
        assert added.returncode == 0, added.stderr
        assert stack_post(stack.base, ADA) == 201 and stack_post(stack.base, BOB) == 201
        deliver(tmp_path, {"sandbox": SANDBOX_KEY, "limited": TRACK_ONLY})
        assert states(tmp_path) == ["delivered"] * 4
        assert len(stack.export_by_email(ADA)) == 1 and len(exported_by(other, ADA)) == 1

        first = run(tmp_path, "people", "erase", "  Ada@Example.com ")
        assert first.returncode == 1
        lines = first.stdout.splitlines()
        assert lines[0].startswith(f"Erased {ADA} here: ")
        for erased in ("6 answers", "2 delivery_attempts", "2 outbox", "1 responses"):
            assert erased in lines[0]
        assert lines[1] == "  limited: refused: the key lacks the users.delete permission (HTTP 403 'Access Denied')"
        assert lines[2] == "  sandbox: deleted in Braze (HTTP 201, deleted: 1)"
        digest = hashlib.sha256(ADA.encode()).hexdigest()
        assert lines[3] == f"Logged as erasure #1 (SHA-256 of the address: {digest})."
        assert errors(first).strip() == (
            "error: Braze did not delete the profile at limited; the local erasure is done. Fix the cause and run "
            "the same command again: it retries only those."
        )
        assert stack.export_by_email(ADA) == [] and len(stack.export_by_email(BOB)) == 1
        assert len(exported_by(other, ADA)) == 1  # not deleted there yet
        _nothing_left_of_ada(tmp_path, stack)

        # The operator gives `limited` a key that may delete; the same command retries only it.
        assert run(tmp_path, "destinations", "update-key", "limited", key=FULL).returncode == 0
        again = run(tmp_path, "people", "erase", ADA)
        assert again.returncode == 0, again.stderr
        assert again.stdout.splitlines() == [
            f"Erased {ADA} here: nothing was stored.",
            "  limited: deleted in Braze (HTTP 201, deleted: 1) (retried from an earlier erasure)",
            f"Logged as erasure #2 (SHA-256 of the address: {digest}).",
        ]
        assert exported_by(other, ADA) == [] and len(exported_by(other, BOB)) == 1

        done = run(tmp_path, "people", "erase", ADA)
        assert done.returncode == 0 and "No Braze destination received anything for this address." in done.stdout

    with sqlite3.connect(tmp_path / "zeroparty.db") as db:
        log = db.execute("SELECT email_sha256, responses, destinations FROM erasures ORDER BY id").fetchall()
    assert [(h, n) for h, n, _ in log] == [(digest, 1), (digest, 0), (digest, 0)]
    assert json.loads(log[0][2]) == [
        {
            "destination": "limited",
            "outcome": "refused: the key lacks the users.delete permission (HTTP 403 'Access Denied')",
            "done": False,
        },
        {"destination": "sandbox", "outcome": "deleted in Braze (HTTP 201, deleted: 1)", "done": True},
    ]
    assert "ada" not in repr(log).lower()
    # Erased rows are overwritten, not left in free pages or the WAL.
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("zeroparty.db*"))
    assert ADA.encode() not in stored and BOB.encode() in stored


def deliver(data_dir: Path, keys: dict[str, str]) -> None:
    """Deliver the queued rows the way the engine records a delivery: each user's attributes to
    /users/track over HTTP, then the row delivered with an attempt logged. (Erasure is under test
    here; delivery has its own tests.)"""
    now = datetime.now(UTC).isoformat(sep=" ")
    with sqlite3.connect(data_dir / "zeroparty.db") as db:
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


def test_erase_with_a_key_that_may_not_even_track_is_reported(tmp_path: Path) -> None:
    """A destination that never received anything is not called."""
    with sandbox(tmp_path / "other") as other:
        added = run(tmp_path, "destinations", "add-braze", "x", "--endpoint", other, "--no-verify", key=NO_TRACK)
        assert added.returncode == 0, added.stderr
        done = run(tmp_path, "people", "erase", ADA)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[:2] == [
            f"Erased {ADA} here: nothing was stored.",
            "No Braze destination received anything for this address.",
        ]


def test_erase_waits_for_a_delivery_in_flight(tmp_path: Path) -> None:
    with running_stack(tmp_path, worker=False) as stack:
        assert stack_post(stack.base, ADA) == 201
        with sqlite3.connect(tmp_path / "zeroparty.db") as db:  # a worker holds Ada's row right now
            db.execute(
                "UPDATE outbox SET state = 'in_flight', lease_owner = 'w1', "
                "lease_expires_at = datetime('now', '+60 seconds') WHERE user_key = ?",
                (ADA,),
            )
        busy = run(tmp_path, "people", "erase", ADA)
        assert busy.returncode == 1
        assert errors(busy).startswith("error: EMAIL: a delivery for this address is in flight (its lease ends at ")
        assert "run the command again after that" in errors(busy)
        assert count(tmp_path, "SELECT count(*) FROM responses WHERE email = ?", ADA) == 1  # nothing erased
        assert count(tmp_path, "SELECT count(*) FROM erasures") == 0
        with sqlite3.connect(tmp_path / "zeroparty.db") as db:  # the lease ran out: the worker died
            db.execute("UPDATE outbox SET lease_expires_at = datetime('now', '-1 seconds') WHERE user_key = ?", (ADA,))
        done = run(tmp_path, "people", "erase", ADA)
        assert done.returncode == 0, done.stderr
        assert count(tmp_path, "SELECT count(*) FROM responses WHERE email = ?", ADA) == 0
