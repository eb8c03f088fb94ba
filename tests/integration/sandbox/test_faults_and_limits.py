"""Fault injection, rate limiting in both header modes, the request log and instance checks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.sandbox.conftest import KEY, Sandbox, start

ONE = {"attributes": [{"external_id": "u1", "n": 1}]}


def test_scripted_statuses_are_served_in_order_then_normal_answers_resume(sandbox: Sandbox) -> None:
    spec = {
        "faults": [
            {"kind": "status", "status": 503, "count": 2},
            {"kind": "status", "status": 429, "count": 1, "retry_after": 7},
        ]
    }
    r = sandbox.client.post(sandbox.base + "/_sandbox/faults", json=spec)
    assert r.status_code == 200 and len(r.json()["faults"]) == 2
    assert sandbox.client.get(sandbox.base + "/_sandbox/faults").json() == r.json()
    statuses = [sandbox.post("/users/track", ONE).status_code for _ in range(4)]
    assert statuses == [503, 503, 429, 201]
    assert sandbox.client.get(sandbox.base + "/_sandbox/faults").json() == {"faults": []}  # all consumed


def test_a_fault_429_carries_reset_headers(sandbox: Sandbox) -> None:
    sandbox.client.post(
        sandbox.base + "/_sandbox/faults",
        json={"faults": [{"kind": "status", "status": 429, "count": 1, "retry_after": 7}]},
    )
    r = sandbox.post("/users/track", ONE)
    assert r.status_code == 429
    assert abs(int(r.headers["X-RateLimit-Reset"]) - (time.time() + 7)) <= 2


def test_drop_applies_the_request_but_sends_no_answer(sandbox: Sandbox) -> None:
    sandbox.client.post(sandbox.base + "/_sandbox/faults", json={"faults": [{"kind": "drop", "count": 1}]})
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox.post("/users/track", ONE)
    assert sandbox.export(external_ids=["u1"])[0]["custom_attributes"] == {"n": 1}


def test_delay_holds_the_answer(sandbox: Sandbox) -> None:
    sandbox.client.post(
        sandbox.base + "/_sandbox/faults", json={"faults": [{"kind": "delay", "seconds": 0.5, "count": 1}]}
    )
    started = time.monotonic()
    assert sandbox.post("/users/track", ONE).status_code == 201
    assert time.monotonic() - started >= 0.5


def test_a_share_of_answers_can_fail(sandbox: Sandbox) -> None:
    sandbox.client.post(
        sandbox.base + "/_sandbox/faults", json={"faults": [{"kind": "status", "status": 500, "ratio": 0.5}]}
    )
    statuses = [sandbox.post("/users/track", ONE).status_code for _ in range(60)]
    assert 10 < statuses.count(500) < 50 and statuses.count(201) + statuses.count(500) == 60
    assert sandbox.client.delete(sandbox.base + "/_sandbox/faults").json() == {"faults": []}
    assert sandbox.post("/users/track", ONE).status_code == 201


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"faults": [{"kind": "status", "count": 1}]}, "faults.0"),
        ({"faults": [{"kind": "status", "status": 418, "count": 1}]}, "faults.0.status"),
        ({"faults": [{"kind": "drop"}]}, "faults.0"),
        ({"faults": [{"kind": "explode", "count": 1}]}, "faults.0.kind"),
        ({"nope": 1}, "faults"),
    ],
)
def test_bad_fault_specs_are_422_naming_the_field(sandbox: Sandbox, spec: dict[str, object], field: str) -> None:
    r = sandbox.client.post(sandbox.base + "/_sandbox/faults", json=spec)
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]]


def test_request_log_stats_and_reset(sandbox: Sandbox) -> None:
    sandbox.post("/users/track", ONE)
    sandbox.post("/users/track", {"attributes": [{"n": 1}]})
    log = sandbox.client.get(sandbox.base + "/_sandbox/requests", params={"limit": 10}).json()["requests"]
    assert [e["status"] for e in log] == [201, 400]
    assert log[0]["request_body"] == ONE and log[0]["response_body"]["message"] == "success"
    assert log[0]["latency_ms"] >= 0
    stats = sandbox.client.get(sandbox.base + "/_sandbox/stats").json()
    assert stats["requests_by_path"] == {"/users/track": {"201": 1, "400": 1}}
    assert stats["objects"] == {"attributes": 1, "events": 0, "purchases": 0}
    assert sandbox.client.post(sandbox.base + "/_sandbox/reset").json() == {"message": "reset"}
    stats = sandbox.client.get(sandbox.base + "/_sandbox/stats").json()
    assert stats["requests_total"] == 0 and stats["profiles"] == 0


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start(tmp_path, track_rate_limit=5, track_rate_window_s=30)


@pytest.fixture
def limited_mau(tmp_path: Path) -> Iterator[Sandbox]:
    yield from start(tmp_path, track_rate_limit=5, track_rate_window_s=30, rate_limit_mode="mau")


def test_rate_limit_epoch_mode(limited: Sandbox) -> None:
    answers = [limited.post("/users/track", ONE) for _ in range(7)]
    assert [a.status_code for a in answers] == [201] * 5 + [429] * 2
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    reset = int(answers[-1].headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 31  # an epoch second, inside the window
    assert answers[-1].headers["X-RateLimit-Limit"] == "5"


def test_rate_limit_mau_mode(limited_mau: Sandbox) -> None:
    answers = [limited_mau.post("/users/track", ONE) for _ in range(6)]
    assert [a.status_code for a in answers] == [201] * 5 + [429]
    assert 1 <= int(answers[0].headers["X-RateLimit-Reset"]) <= 30  # seconds remaining
    last = answers[-1]
    assert "X-RateLimit-Reset" not in last.headers and "X-RateLimit-Limit" not in last.headers
    assert 1 <= int(last.headers["X-Ratelimit-Retry-After"]) <= 30


def test_limits_are_per_key(tmp_path: Path) -> None:
    for sandbox in start(tmp_path, track_rate_limit=1, track_rate_window_s=30):
        assert sandbox.post("/users/track", ONE).status_code == 201
        assert sandbox.post("/users/track", ONE).status_code == 429
        assert sandbox.post("/users/export/ids", {"external_ids": ["u1"]}).status_code == 201  # its own limit


def test_a_key_sent_to_another_instance_is_401(tmp_path: Path) -> None:
    for sandbox in start(tmp_path, instance_host="rest.iad-03.braze.com"):
        assert sandbox.post("/users/track", ONE).status_code == 401
        ok = sandbox.client.post(
            sandbox.base + "/users/track",
            json=ONE,
            headers={"Authorization": f"Bearer {KEY}", "Host": "rest.iad-03.braze.com"},
        )
        assert ok.status_code == 201
