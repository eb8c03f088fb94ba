"""Fault injection and rate limiting (both header modes) over real HTTP."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.sandbox.conftest import EXPORT_ONLY_KEY, KEY, FakeClock, Sandbox, start

ONE = {"attributes": [{"external_id": "u1", "n": 1}]}


def test_scripted_statuses_are_served_in_order_then_normal_answers_resume(sandbox: Sandbox) -> None:
    r = sandbox.faults(
        {"kind": "status", "status": 503, "count": 2},
        {"kind": "status", "status": 429, "count": 1, "retry_after": 7},
        {"kind": "status", "status": 502, "count": 1},
    )
    assert r.status_code == 200 and len(r.json()["faults"]) == 3
    assert sandbox.api.get("/_sandbox/faults").json() == r.json()
    answers = [sandbox.post("/users/track", ONE) for _ in range(5)]
    assert [a.status_code for a in answers] == [503, 503, 429, 502, 201]
    assert answers[0].json() == {"message": "Injected fault: HTTP 503"}
    assert answers[0].headers["X-RateLimit-Limit"] == "3000"  # an injected 5xx still carries the limit headers
    assert sandbox.api.get("/_sandbox/faults").json() == {"faults": []}  # all consumed
    assert sandbox.custom("u1") == {"n": 1}  # only the last request was applied


def test_a_fault_can_target_one_path(sandbox: Sandbox) -> None:
    sandbox.faults({"kind": "status", "status": 500, "count": 1, "path": "/users/export/ids"})
    assert sandbox.post("/users/track", ONE).status_code == 201
    assert sandbox.post("/users/export/ids", {"external_ids": ["u1"]}).status_code == 500
    assert sandbox.post("/users/export/ids", {"external_ids": ["u1"]}).status_code == 201


def test_a_fault_429_carries_reset_headers_for_its_retry_after(sandbox: Sandbox) -> None:
    sandbox.faults({"kind": "status", "status": 429, "count": 1, "retry_after": 7})
    asked = time.time()
    r = sandbox.post("/users/track", ONE)
    assert r.status_code == 429
    assert math.ceil(asked + 7) <= int(r.headers["X-RateLimit-Reset"]) <= math.ceil(time.time() + 7)


def test_drop_applies_the_request_but_sends_no_answer(sandbox: Sandbox) -> None:
    sandbox.faults({"kind": "drop", "count": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox.post("/users/track", ONE)
    assert sandbox.custom("u1") == {"n": 1}
    [entry] = sandbox.api.get("/_sandbox/requests", params={"path": "/users/track"}).json()["requests"]
    assert entry["status"] == 0  # logged as dropped
    assert sandbox.post("/users/track", ONE).status_code == 201


def test_delay_holds_the_answer(sandbox: Sandbox) -> None:
    sandbox.faults({"kind": "delay", "seconds": 0.4, "count": 1})
    started = time.monotonic()
    assert sandbox.post("/users/track", ONE).status_code == 201
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    assert sandbox.post("/users/track", ONE).status_code == 201
    assert time.monotonic() - started < 0.4


def test_a_share_of_answers_can_fail(sandbox: Sandbox) -> None:
    sandbox.faults({"kind": "status", "status": 500, "ratio": 0.5})
    statuses = [sandbox.post("/users/track", ONE).status_code for _ in range(60)]
    assert 10 < statuses.count(500) < 50 and statuses.count(201) + statuses.count(500) == 60
    assert sandbox.api.delete("/_sandbox/faults").json() == {"faults": []}
    assert sandbox.post("/users/track", ONE).status_code == 201


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"faults": [{"kind": "status", "count": 1}]}, "faults.0"),
        ({"faults": [{"kind": "status", "status": 418, "count": 1}]}, "faults.0.status"),
        ({"faults": [{"kind": "drop"}]}, "faults.0"),
        ({"faults": [{"kind": "drop", "count": 1, "ratio": 0.5}]}, "faults.0"),
        ({"faults": [{"kind": "delay", "count": 1}]}, "faults.0"),
        ({"faults": [{"kind": "delay", "seconds": -1, "count": 1}]}, "faults.0.seconds"),
        ({"faults": [{"kind": "status", "status": 500, "count": 0}]}, "faults.0.count"),
        ({"faults": [{"kind": "status", "status": 500, "ratio": 1.5}]}, "faults.0.ratio"),
        ({"faults": [{"kind": "status", "status": 500, "count": 1, "path": "users/track"}]}, "faults.0.path"),
        ({"faults": [{"kind": "explode", "count": 1}]}, "faults.0.kind"),
        ({"faults": [{"kind": "drop", "count": 1, "color": "red"}]}, "faults.0.color"),
        ({"faults": []}, "faults"),
        ({"nope": 1}, "faults"),
    ],
)
def test_bad_fault_specs_are_422_naming_the_field(sandbox: Sandbox, spec: dict[str, object], field: str) -> None:
    r = sandbox.api.post("/_sandbox/faults", json=spec)
    assert r.status_code == 422
    assert field in [e["field"] for e in r.json()["errors"]] and field in r.json()["message"]
    assert sandbox.api.get("/_sandbox/faults").json() == {"faults": []}


def test_unparsable_fault_body_is_422(sandbox: Sandbox) -> None:
    r = sandbox.api.post("/_sandbox/faults", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "message" in r.json()


# -- rate limits -----------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=1_800_000_000.25)


@pytest.fixture
def limited(tmp_path: Path, clock: FakeClock) -> Iterator[Sandbox]:
    yield from start(tmp_path, clock, track_rate_limit=5, track_rate_window_s=3.0, user_endpoints_rate_limit=(2, 60.0))


@pytest.fixture
def limited_mau(tmp_path: Path, clock: FakeClock) -> Iterator[Sandbox]:
    yield from start(tmp_path, clock, track_rate_limit=5, track_rate_window_s=3.0, rate_limit_mode="mau")


def headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k.lower().startswith("x-ratelimit")}


def test_epoch_mode_429_exactly_past_the_limit(limited: Sandbox, clock: FakeClock) -> None:
    answers = [limited.post("/users/track", ONE) for _ in range(7)]
    assert [a.status_code for a in answers] == [201] * 5 + [429] * 2
    reset = str(math.ceil(1_800_000_000.25 + 3))
    assert [headers(a) for a in answers[:5]] == [
        {"x-ratelimit-limit": "5", "x-ratelimit-remaining": str(n), "x-ratelimit-reset": reset} for n in (4, 3, 2, 1, 0)
    ]
    assert headers(answers[5]) == {"x-ratelimit-limit": "5", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    assert answers[5].json() == {"message": "API rate limit exceeded"}
    assert limited.log(limit=10)[-1]["status"] == 429
    clock.advance(2.9)
    assert limited.post("/users/track", ONE).status_code == 429  # same window
    clock.advance(0.2)
    fresh = limited.post("/users/track", ONE)
    assert (fresh.status_code, fresh.headers["X-RateLimit-Remaining"]) == (201, "4")


def test_mau_mode_gives_seconds_left_and_retry_after_on_429(limited_mau: Sandbox, clock: FakeClock) -> None:
    first = limited_mau.post("/users/track", ONE)
    assert headers(first) == {"x-ratelimit-limit": "5", "x-ratelimit-remaining": "4", "x-ratelimit-reset": "3"}
    clock.advance(1.5)
    answers = [limited_mau.post("/users/track", ONE) for _ in range(5)]
    assert [a.status_code for a in answers] == [201] * 4 + [429]
    assert headers(answers[0])["x-ratelimit-reset"] == "2"  # seconds remaining, rounded up
    assert headers(answers[-1]) == {"x-ratelimit-retry-after": "2"}


def test_a_fault_429_in_mau_mode_carries_retry_after(limited_mau: Sandbox) -> None:
    limited_mau.faults({"kind": "status", "status": 429, "count": 1, "retry_after": 12})
    assert headers(limited_mau.post("/users/track", ONE)) == {"x-ratelimit-retry-after": "12"}


def test_limits_are_per_key_and_per_endpoint_group(limited: Sandbox) -> None:
    for _ in range(5):
        limited.post("/users/track", ONE)
    assert limited.post("/users/track", ONE).status_code == 429
    assert limited.post("/users/export/ids", {"external_ids": ["u1"]}).status_code == 201  # its own limit
    assert limited.post("/users/export/ids", {"external_ids": ["u1"]}, key=EXPORT_ONLY_KEY).status_code == 201
    # alias, identify, merge and delete share one limit (2 per minute here)
    assert limited.post("/users/delete", {"external_ids": ["x"]}).status_code == 201
    assert (
        limited.post("/users/alias/new", {"user_aliases": [{"alias_name": "a", "alias_label": "l"}]}).status_code == 201
    )
    third = limited.post(
        "/users/identify",
        {"aliases_to_identify": [{"external_id": "e", "user_alias": {"alias_name": "a", "alias_label": "l"}}]},
    )
    assert third.status_code == 429 and third.headers["X-RateLimit-Limit"] == "2"


def test_hourly_limits_reset_on_the_clock_hour(tmp_path: Path) -> None:
    half_past = 1_800_000_000 - (1_800_000_000 % 3600) + 1800.0
    for sandbox in start(tmp_path, FakeClock(half_past), email_status_rate_limit=(1, 3600.0)):
        r = sandbox.post("/email/status", {"email": "a@x.co", "subscription_state": "subscribed"})
        assert int(r.headers["X-RateLimit-Reset"]) == half_past + 1800


def test_a_client_that_ignores_the_headers_sees_429_past_the_limit(tmp_path: Path) -> None:
    """Real time, no fake clock: 20 requests in a burst against a limit of 12 per minute."""
    for sandbox in start(tmp_path, track_rate_limit=12, track_rate_window_s=60.0):
        statuses = [sandbox.post("/users/track", ONE).status_code for _ in range(20)]
        assert statuses == [201] * 12 + [429] * 8
        assert sandbox.stats()["requests_by_path"] == {"/users/track": {"201": 12, "429": 8}}


def test_reset_clears_rate_limit_windows(limited: Sandbox) -> None:
    for _ in range(6):
        limited.post("/users/track", ONE)
    limited.reset()
    assert limited.post("/users/track", ONE).status_code == 201


def _key(r: httpx.Response) -> Any:
    return r.headers.get("X-RateLimit-Remaining")


def test_requests_without_a_valid_key_do_not_use_the_limit(limited: Sandbox) -> None:
    for _ in range(10):
        assert limited.post("/users/track", ONE, key="wrong").status_code == 401
    assert _key(limited.post("/users/track", ONE, key=KEY)) == "4"
