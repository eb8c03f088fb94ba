"""Delivery from the outbox to the Braze sandbox, over real HTTP, including a separate worker
process draining a backlog."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from tests.support.stack import SANDBOX_AUTH, Stack, running_stack
from tests.support.waiting import wait_for
from zeroparty.adapters.db.schema import outbox
from zeroparty.delivery.engine import EngineSettings

URL = "/api/v1/experiences/skin-quiz/responses"


def response_for(email: str, skin: str = "dry", opt_in: bool = True) -> dict[str, Any]:
    return {
        "answers": {"skin_type": skin, "skin_goals": ["hydration"], "routine_length": "short"},
        "inputs": {"email": email, "first_name": "Kim", "marketing_opt_in": opt_in},
    }


def states(stack: Stack) -> dict[str, int]:
    with stack.rt.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.state, sa.func.count()).group_by(outbox.c.state)).all()
    return {state: count for state, count in rows}


def track_requests(stack: Stack) -> list[dict[str, Any]]:
    r = httpx.get(
        stack.sandbox + "/_sandbox/requests", params={"path": "/users/track", "limit": 1000}, headers=SANDBOX_AUTH
    )
    requests: list[dict[str, Any]] = r.json()["requests"]
    return requests


def test_a_trickle_is_sent_at_once_woken_not_polled(tmp_path: Path) -> None:
    # The idle poll is far longer than the deadline: only the wake-up on commit can deliver in time.
    with running_stack(tmp_path, engine_settings=EngineSettings(idle_poll_s=60)) as stack:
        wait_for(lambda: track_requests(stack), lambda r: r == [], timeout=2)
        assert httpx.post(stack.base + URL, json=response_for("trickle@example.com")).status_code == 201
        users = wait_for(lambda: stack.export_by_email("trickle@example.com"), bool, timeout=20)
        profile = users[0]
        assert profile["email"] == "trickle@example.com"
        assert profile["email_subscribe"] == "opted_in"
        assert profile["first_name"] == "Kim"
        assert profile["custom_attributes"]["skin_type"] == "dry"
        assert profile["custom_attributes"]["skin_goals"] == ["hydration"]
        assert profile["custom_attributes"]["skin_quiz_routine"] == "hydration_boost"
        sent = track_requests(stack)
        assert len(sent) == 1 and len(sent[0]["request_body"]["attributes"]) == 1


def test_a_backlog_goes_out_in_full_batches_from_a_worker_process(held_stack: Stack) -> None:
    n = 160  # full batches and the last one's rest; a 1,000-user backlog is a unit test on fake time
    with httpx.Client(base_url=held_stack.base) as client:
        for i in range(n):
            r = client.post(URL, json=response_for(f"user{i:04d}@example.com", skin=("dry", "oily")[i % 2]))
            assert r.status_code == 201, r.text
    assert states(held_stack) == {"pending": n}
    env = {**os.environ, "ZEROPARTY_DATA_DIR": str(held_stack.data_dir), "ZEROPARTY_LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen([sys.executable, "-m", "zeroparty", "worker"], env=env, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: states(held_stack), lambda s: s.get("delivered") == n, timeout=60, interval=0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=20)
    assert worker.returncode == 0, stderr.decode()
    stats = held_stack.sandbox_stats()
    assert stats["requests_by_path"]["/users/track"] == {"201": math.ceil(n / 75)}
    assert stats["profiles"] == n
    sent = track_requests(held_stack)
    # Several requests are in flight at once, so they may arrive in any order.
    assert sorted((len(r["request_body"]["attributes"]) for r in sent), reverse=True) == [75] * (n // 75) + [n % 75]
    assert all("errors" not in r["response_body"] for r in sent)  # the strict sandbox accepted every object
    profile = held_stack.export_by_email(f"user{n - 1:04d}@example.com")[0]
    assert profile["custom_attributes"]["skin_type"] == "oily"


def test_a_worker_process_is_woken_by_a_commit_in_another_process(held_stack: Stack, tmp_path: Path) -> None:
    # The worker's idle poll is a minute: only the commit watcher can get the response out in time.
    log = tmp_path / "worker.log"
    env = {**os.environ, "ZEROPARTY_DATA_DIR": str(held_stack.data_dir), "ZEROPARTY_IDLE_POLL_SECONDS": "60"}
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "zeroparty", "worker"], env=env, stderr=out)
    try:
        # A first response, delivered: the worker has looked at the queue and found it empty since, so
        # from here on it sleeps until woken (or for a minute).
        assert httpx.post(held_stack.base + URL, json=response_for("first@example.com")).status_code == 201
        wait_for(lambda: held_stack.export_by_email("first@example.com"), bool, timeout=50)
        assert httpx.post(held_stack.base + URL, json=response_for("woken@example.com")).status_code == 201
        users = wait_for(lambda: held_stack.export_by_email("woken@example.com"), bool, timeout=30)
        assert users[0]["custom_attributes"]["skin_type"] == "dry"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)
    assert worker.returncode == 0, log.read_text(errors="replace")


def deliver_despite(stack: Stack, fault: dict[str, Any], email: str) -> dict[str, Any]:
    """Inject one fault script, submit a response, and wait for it to be delivered anyway."""
    assert (
        httpx.post(stack.sandbox + "/_sandbox/faults", json={"faults": [fault]}, headers=SANDBOX_AUTH).status_code
        == 200
    )
    created = httpx.post(stack.base + URL, json=response_for(email)).json()
    status: dict[str, Any] = wait_for(
        lambda: httpx.get(f"{stack.base}/api/v1/responses/{created['id']}", headers=stack.auth).json(),
        lambda s: s["delivered"],
        timeout=15,
    )
    return status


def test_server_errors_are_retried_until_delivered(stack: Stack) -> None:
    status = deliver_despite(
        stack, {"kind": "status", "status": 503, "count": 2, "path": "/users/track"}, "retry@example.com"
    )
    assert status["deliveries"][0]["attempts"] == 3
    assert [r["status"] for r in track_requests(stack)] == [503, 503, 201]
    assert stack.export_by_email("retry@example.com")[0]["custom_attributes"]["skin_type"] == "dry"


def test_rate_limit_waits_for_reset_and_uses_no_attempt(stack: Stack) -> None:
    fault = {"kind": "status", "status": 429, "count": 1, "retry_after": 1, "path": "/users/track"}
    status = deliver_despite(stack, fault, "limited@example.com")
    assert status["deliveries"][0]["attempts"] == 1
    first, second = track_requests(stack)
    assert (first["status"], second["status"]) == (429, 201)
    gap = datetime.fromisoformat(second["at"]) - datetime.fromisoformat(first["at"])
    assert gap.total_seconds() >= 0.9


def test_a_refused_key_pauses_the_destination_and_loses_nothing(tmp_path: Path) -> None:
    with running_stack(tmp_path, destination=False) as stack:
        stack.rt.destinations.add_braze("wrong", stack.sandbox, "not-the-key", datetime.now().astimezone())
        assert httpx.post(stack.base + URL, json=response_for("paused@example.com")).status_code == 201
        dest = wait_for(lambda: stack.rt.destinations.list()[0], lambda d: d.paused_reason is not None, timeout=10)
        assert "401" in (dest.paused_reason or "")
        assert "not-the-key" not in (dest.paused_reason or "")
        assert states(stack) == {"pending": 1}
        status_codes = {r["status"] for r in track_requests(stack)}
        assert status_codes == {401}


def test_a_dropped_connection_is_retried_and_the_duplicate_is_harmless(stack: Stack) -> None:
    # The sandbox applies the request, then closes the connection: the outcome is unknown to us,
    # so the item is sent again. Attribute updates are idempotent: the profile ends up the same.
    status = deliver_despite(stack, {"kind": "drop", "count": 1, "path": "/users/track"}, "dropped@example.com")
    assert status["deliveries"][0]["attempts"] == 2
    assert [r["status"] for r in track_requests(stack)] == [0, 201]
    [profile] = stack.export_by_email("dropped@example.com")
    assert profile["custom_attributes"]["skin_type"] == "dry"


def test_a_worker_killed_mid_request_loses_nothing(held_stack: Stack) -> None:
    for i in range(3):
        assert httpx.post(held_stack.base + URL, json=response_for(f"crash{i}@example.com")).status_code == 201
    # Held past the kill and past the second worker's delivery (lease 4 s + settle 1 s): when it
    # lands it applies the same values. Longer only keeps the server's shutdown waiting for it.
    fault = {"faults": [{"kind": "delay", "seconds": 6, "count": 1, "path": "/users/track"}]}
    assert httpx.post(held_stack.sandbox + "/_sandbox/faults", json=fault, headers=SANDBOX_AUTH).status_code == 200
    env = {
        **os.environ,
        "ZEROPARTY_DATA_DIR": str(held_stack.data_dir),
        "ZEROPARTY_LEASE_SECONDS": "4",
        "ZEROPARTY_SETTLE_SECONDS": "1",
    }
    command = [sys.executable, "-m", "zeroparty", "worker"]
    first = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        # The request has reached the sandbox (which now holds it) once the delay fault is used up.
        wait_for(
            lambda: httpx.get(held_stack.sandbox + "/_sandbox/faults", headers=SANDBOX_AUTH).json()["faults"],
            lambda f: f == [],
            timeout=20,
        )
        assert states(held_stack) == {"in_flight": 3}
    finally:
        first.kill()  # SIGKILL while the request hangs: no chance to release anything
        first.wait(timeout=10)
    assert states(held_stack) == {"in_flight": 3}
    second = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: states(held_stack), lambda s: s.get("delivered") == 3, timeout=30, interval=0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=20) == 0
    with held_stack.rt.engine.connect() as conn:
        attempts = conn.execute(sa.select(outbox.c.attempts)).scalars().all()
    assert attempts == [2, 2, 2]  # the crashed claim counted as an attempt
    for i in range(3):
        assert held_stack.export_by_email(f"crash{i}@example.com")[0]["custom_attributes"]["skin_type"] == "dry"
