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
    sandbox.faults({"kind": "delay", "seconds": 1.0, "count": 1})
    started = time.monotonic()
    assert sandbox.post("/users/track", ONE).status_code == 201
    assert time.monotonic() - started >= 1.0
    started = time.monotonic()
    assert sandbox.post("/users/track", ONE).status_code == 201
    assert time.monotonic() - started < 1.0  # count: 1, so the next answer is not held


def test_a_share_of_answers_can_fail(sandbox: Sandbox) -> None:
    sandbox.faults({"kind": "status", "status": 500, "ratio": 0.5})
    statuses = [sandbox.post("/users/track", ONE).status_code for _ in range(60)]
    assert 10 < statuses.count(500) < 50 and statuses.count(201) + statuses.count(500) == 60
    assert sandbox.api.delete("/_sandbox/faults").json() == {"faults": []}
    assert sandbox.post("/users/track", ONE).status_code == 201


NO_VALID = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"message": NO_VALID}),
        (401, {"message": "Invalid API Key"}),
        (403, {"message": "Access Denied"}),
        (404, {"message": "Not Found"}),
    ],
)
def test_whole_request_4xx_faults_answer_brazes_bodies(sandbox: Sandbox, status: int, body: dict[str, Any]) -> None:
    sandbox.faults({"kind": "status", "status": status, "count": 2, "path": "/users/track"})
    answers = [sandbox.post("/users/track", ONE) for _ in range(3)]
    assert [(a.status_code, a.json()) for a in answers[:2]] == [(status, body)] * 2
    assert answers[2].status_code == 201
    assert ("X-RateLimit-Limit" in answers[0].headers) is (status != 401)  # a real 401 knows no key
    assert sandbox.log(limit=3)[0]["status"] == status
    assert sandbox.custom("u1") == {"n": 1}  # only the last request was applied


def test_a_400_fault_with_indexes_lists_them_in_errors(sandbox: Sandbox) -> None:
    sandbox.faults(
        {"kind": "status", "status": 400, "count": 1, "indexes": [0, 2]},
        {"kind": "status", "status": 400, "count": 1, "indexes": [1], "input_array": "events", "field": "name"},
        {"kind": "status", "status": 400, "count": 1, "indexes": [0], "field": "gender", "message": "'gender' is odd"},
    )
    bodies = [sandbox.post("/users/track", ONE).json() for _ in range(3)]
    assert bodies == [
        {
            "message": NO_VALID,
            "errors": [
                {"type": "Injected fault: object rejected", "input_array": "attributes", "index": 0},
                {"type": "Injected fault: object rejected", "input_array": "attributes", "index": 2},
            ],
        },
        {"message": NO_VALID, "errors": [{"type": "'name' is not valid", "input_array": "events", "index": 1}]},
        {"message": NO_VALID, "errors": [{"type": "'gender' is odd", "input_array": "attributes", "index": 0}]},
    ]


def test_a_4xx_fault_on_another_path(sandbox: Sandbox) -> None:
    sandbox.faults({"kind": "status", "status": 403, "count": 1, "path": "/users/identify"})
    body = {"aliases_to_identify": [{"external_id": "c", "user_alias": {"alias_name": "a", "alias_label": "l"}}]}
    assert sandbox.post("/users/track", ONE).status_code == 201
    r = sandbox.post("/users/identify", body)
    assert (r.status_code, r.json()) == (403, {"message": "Access Denied"})
    assert sandbox.post("/users/identify", body).status_code == 201


# -- per-object rejections ---------------------------------------------------------------------------

MIXED = {
    "attributes": [
        {"external_id": "a", "gender": "F", "n": 1},
        {"external_id": "b", "email": "X@Example.com", "gender": "M", "n": 2},
        {"email": "x@example.com", "n": 3},
    ],
    "events": [{"email": "x@example.com", "name": "e", "time": "2026-01-02T03:04:05Z"}],
}


def test_reject_by_email_refuses_every_object_carrying_it_and_applies_the_rest(sandbox: Sandbox) -> None:
    r = sandbox.faults({"kind": "reject", "identifier": {"email": "x@example.com"}, "field": "gender", "count": 1})
    assert r.json()["faults"] == [
        {"kind": "reject", "identifier": {"email": "x@example.com"}, "field": "gender", "remaining": 1}
    ]
    answer = sandbox.post("/users/track", MIXED)
    assert (answer.status_code, answer.json()) == (
        201,
        {
            "message": "success",
            "attributes_processed": 1,
            "events_processed": 0,
            "errors": [
                {"type": "'gender' is not valid", "input_array": "attributes", "index": 1},
                {"type": "'gender' is not valid", "input_array": "attributes", "index": 2},
                {"type": "'gender' is not valid", "input_array": "events", "index": 0},
            ],
        },
    )
    assert sandbox.custom("a") == {"n": 1} and sandbox.export(external_ids=["b"]) == []
    assert sandbox.export(email_address="x@example.com") == []
    assert sandbox.api.get("/_sandbox/faults").json() == {"faults": []}  # used up
    assert sandbox.post("/users/track", MIXED).json() == {
        "message": "success",
        "attributes_processed": 3,
        "events_processed": 1,
    }


def test_reject_by_external_id_counts_only_requests_that_carry_it(sandbox: Sandbox) -> None:
    sandbox.faults(
        {"kind": "reject", "identifier": {"external_id": "b"}, "field": "gender", "count": 2,
         "message": "The value provided for the 'gender' field is not valid."}
    )  # fmt: skip
    assert sandbox.post("/users/track", ONE).json() == {"message": "success", "attributes_processed": 1}
    for _ in range(2):
        r = sandbox.post("/users/track", MIXED)
        assert r.status_code == 201
        assert r.json()["errors"] == [
            {"type": "The value provided for the 'gender' field is not valid.", "input_array": "attributes", "index": 1}
        ]
    assert "errors" not in sandbox.post("/users/track", MIXED).json()


def test_reject_of_every_object_is_brazes_400(sandbox: Sandbox) -> None:
    sandbox.faults({"kind": "reject", "identifier": {"external_id": "u1"}, "field": "n", "count": 1})
    r = sandbox.post("/users/track", ONE)
    assert (r.status_code, r.json()) == (
        400,
        {"message": NO_VALID, "errors": [{"type": "'n' is not valid", "input_array": "attributes", "index": 0}]},
    )
    assert sandbox.stats()["profiles"] == 0


def test_reject_by_ratio(sandbox: Sandbox) -> None:
    sandbox.faults({"kind": "reject", "identifier": {"external_id": "u1"}, "field": "n", "ratio": 0.5})
    statuses = [sandbox.post("/users/track", ONE).status_code for _ in range(60)]
    assert 10 < statuses.count(400) < 50 and statuses.count(201) + statuses.count(400) == 60
    assert len(sandbox.api.get("/_sandbox/faults").json()["faults"]) == 1  # a ratio fault stays
    assert sandbox.api.delete("/_sandbox/faults").json() == {"faults": []}
    assert sandbox.post("/users/track", ONE).status_code == 201


def test_reject_and_whole_request_faults_keep_their_own_counts(sandbox: Sandbox) -> None:
    sandbox.faults(
        {"kind": "reject", "identifier": {"external_id": "u1"}, "field": "n", "count": 1},
        {"kind": "status", "status": 503, "count": 1},
    )
    assert sandbox.post("/users/track", ONE).status_code == 503  # the reject is not used up by it
    assert sandbox.post("/users/track", ONE).status_code == 400
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
        ({"faults": [{"kind": "status", "status": 402, "count": 1}]}, "faults.0.status"),
        ({"faults": [{"kind": "reject", "field": "gender", "count": 1}]}, "faults.0.identifier"),
        ({"faults": [{"kind": "reject", "identifier": {"email": "x@example.com"}, "count": 1}]}, "faults.0.field"),
        ({"faults": [{"kind": "reject", "identifier": {}, "field": "gender", "count": 1}]}, "faults.0.identifier"),
        (
            {
                "faults": [
                    {"kind": "reject", "identifier": {"email": "a@x.co", "external_id": "u"}, "field": "g", "count": 1}
                ]
            },
            "faults.0.identifier",
        ),
        (
            {"faults": [{"kind": "reject", "identifier": {"phone": "+15555550100"}, "field": "g", "count": 1}]},
            "faults.0.identifier.phone",
        ),
        (
            {"faults": [{"kind": "reject", "identifier": {"external_id": "u"}, "field": "", "count": 1}]},
            "faults.0.field",
        ),
        ({"faults": [{"kind": "reject", "identifier": {"external_id": "u"}, "field": "gender"}]}, "faults.0"),
        (
            {
                "faults": [
                    {
                        "kind": "reject",
                        "identifier": {"external_id": "u"},
                        "field": "gender",
                        "count": 1,
                        "message": "bad value",
                    }
                ]
            },
            "faults.0.message",
        ),
        (
            {
                "faults": [
                    {
                        "kind": "reject",
                        "identifier": {"external_id": "u"},
                        "field": "gender",
                        "count": 1,
                        "path": "/users/identify",
                    }
                ]
            },
            "faults.0.path",
        ),
        (
            {"faults": [{"kind": "status", "status": 500, "count": 1, "identifier": {"external_id": "u"}}]},
            "faults.0.identifier",
        ),
        ({"faults": [{"kind": "status", "status": 500, "count": 1, "field": "gender"}]}, "faults.0.field"),
        ({"faults": [{"kind": "drop", "count": 1, "message": "x"}]}, "faults.0.message"),
        ({"faults": [{"kind": "status", "status": 500, "count": 1, "indexes": [0]}]}, "faults.0.indexes"),
        ({"faults": [{"kind": "status", "status": 400, "count": 1, "indexes": [-1]}]}, "faults.0.indexes.0"),
        ({"faults": [{"kind": "status", "status": 400, "count": 1, "indexes": []}]}, "faults.0.indexes"),
        ({"faults": [{"kind": "status", "status": 400, "count": 1, "input_array": "people"}]}, "faults.0.input_array"),
        ({"faults": [{"kind": "status", "status": 401, "count": 1, "input_array": "events"}]}, "faults.0.input_array"),
        ({"faults": [{"kind": "status", "status": 400, "count": 1, "field": "gender"}]}, "faults.0"),
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


def test_reject_limited_to_one_array_refuses_the_attributes_and_applies_the_same_persons_event(
    sandbox: Sandbox,
) -> None:
    sandbox.faults(
        {"kind": "reject", "identifier": {"email": "x@example.com"}, "field": "n", "count": 1,
         "input_array": "attributes"}
    )  # fmt: skip
    answer = sandbox.post("/users/track", MIXED)
    assert (answer.status_code, answer.json()["events_processed"]) == (201, 1)
    assert answer.json()["errors"] == [
        {"type": "'n' is not valid", "input_array": "attributes", "index": 1},
        {"type": "'n' is not valid", "input_array": "attributes", "index": 2},
    ]
    bad = sandbox.faults({"kind": "reject", "identifier": {"email": "x@example.com"}, "field": "n", "count": 1,
                          "input_array": "carts"})  # fmt: skip
    assert bad.status_code == 422 and "input_array" in bad.text
