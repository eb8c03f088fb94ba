"""The Braze connection's correctness under Braze's own behaviours, over real HTTP against the
sandbox: a refused field does not take its siblings down, a wrong endpoint pauses, nothing is sent
twice for nothing, and a request applied late never overwrites a newer value. Each of these failed
on the engine before the per-user queue and settle plans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.integration.test_delivery import URL, response_for, states, track_requests
from tests.support.stack import SANDBOX_AUTH, Stack, running_stack
from tests.support.waiting import wait_for
from zeroparty.adapters.db.schema import delivery_counters, outbox
from zeroparty.delivery.engine import EngineSettings


def fault(stack: Stack, *faults: dict[str, Any]) -> None:
    r = httpx.post(stack.sandbox + "/_sandbox/faults", json={"faults": list(faults)}, headers=SANDBOX_AUTH)
    assert r.status_code == 200, r.text


def delivered(stack: Stack, n: int) -> None:
    wait_for(lambda: states(stack), lambda s: s.get("delivered", 0) + s.get("dead", 0) == n, timeout=20)


def test_a_refused_field_is_stripped_and_the_rest_of_the_lead_delivered(stack: Stack) -> None:
    fault(stack, {"kind": "reject", "identifier": {"email": "kim@example.com"}, "field": "first_name", "count": 1})
    assert httpx.post(stack.base + URL, json=response_for("kim@example.com")).status_code == 201
    assert httpx.post(stack.base + URL, json=response_for("lee@example.com")).status_code == 201
    delivered(stack, 2)
    assert states(stack) == {"delivered": 2}  # nothing dead: the valid answers and the opt-in got through
    [kim] = stack.export_by_email("kim@example.com")
    assert kim["custom_attributes"]["skin_type"] == "dry" and kim.get("email_subscribe") == "opted_in"
    with stack.rt.engine.connect() as conn:
        note = conn.execute(sa.select(outbox.c.last_error).where(outbox.c.user_key == "kim@example.com")).scalar_one()
    assert "first_name" in note
    bodies = [r["request_body"] for r in track_requests(stack)]
    assert any("first_name" not in o for b in bodies for o in b["attributes"] if o["email"] == "kim@example.com")


def test_a_400_naming_an_object_costs_one_more_request_not_a_bisection(stack: Stack) -> None:
    # Four users in one request; Braze refuses one object by index: the other three go again at once.
    held = {"kind": "status", "status": 400, "count": 1, "indexes": [2], "field": "skin_type", "path": "/users/track"}
    fault(stack, {"kind": "delay", "seconds": 0.3, "count": 1, "path": "/users/track"})
    for i in range(4):
        assert httpx.post(stack.base + URL, json=response_for(f"u{i}@example.com")).status_code == 201
    fault(stack, held)
    delivered(stack, 4)
    assert len(track_requests(stack)) <= 4  # 1 (delayed) + 1 (400) + 1 resend (+1 for the refused object alone)


def test_a_404_pauses_the_destination_with_the_reason_and_drops_nothing(stack: Stack) -> None:
    fault(stack, {"kind": "status", "status": 404, "count": 1, "path": "/users/track"})
    assert httpx.post(stack.base + URL, json=response_for("lost@example.com")).status_code == 201
    dest = wait_for(lambda: stack.rt.destinations.list()[0], lambda d: d.paused_reason is not None, timeout=10)
    assert "404" in (dest.paused_reason or "") and "REST endpoint" in (dest.paused_reason or "")
    assert states(stack) == {"pending": 1}
    stack.rt.destinations.resume("sandbox")
    delivered(stack, 1)
    assert states(stack) == {"delivered": 1}


def data_points(stack: Stack) -> int:
    points: int = stack.sandbox_stats()["data_points"]
    return points


def test_an_identical_resubmission_sends_nothing_and_one_change_sends_one_attribute(stack: Stack) -> None:
    assert httpx.post(stack.base + URL, json=response_for("same@example.com")).status_code == 201
    delivered(stack, 1)
    requests, points = len(track_requests(stack)), data_points(stack)
    assert httpx.post(stack.base + URL, json=response_for("same@example.com")).status_code == 201
    delivered(stack, 2)
    assert (len(track_requests(stack)), data_points(stack)) == (requests, points)  # no request at all
    assert httpx.post(stack.base + URL, json=response_for("same@example.com", skin="oily")).status_code == 201
    delivered(stack, 3)
    last = track_requests(stack)[-1]["request_body"]["attributes"]
    # The outcome follows the answer, so a changed skin type may change the routine too.
    assert {k for k in last[0] if k != "email"} <= {"skin_type", "skin_quiz_routine"}
    assert "skin_type" in last[0]
    with stack.rt.engine.connect() as conn:
        sent, saved = conn.execute(sa.select(delivery_counters.c.points_sent, delivery_counters.c.points_saved)).one()
    assert saved >= 5 + 4 and sent == data_points(stack) - 0


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[Stack]:
    # Requests time out after 0.5 s; a request whose outcome is unknown is followed, 2 s later, by
    # everything current.
    # The one-second batching window puts the first ten responses in one request.
    settings = EngineSettings(request_timeout_s=0.5, settle_window_s=2.0, lease_s=10, batch_window_s=1.0)
    with running_stack(tmp_path, engine_settings=settings) as s:
        yield s


def test_a_request_applied_after_its_timeout_never_overwrites_a_newer_value(impatient: Stack) -> None:
    stack = impatient
    # The first request is held 1.5 s by "Braze" (then applied), long after the client gave up.
    fault(stack, {"kind": "delay", "seconds": 1.5, "count": 1, "path": "/users/track"})
    emails = [f"late{i}@example.com" for i in range(10)]
    for email in emails:
        assert httpx.post(stack.base + URL, json=response_for(email, skin="dry")).status_code == 201
    wait_for(lambda: states(stack), lambda s: s.get("pending", 0) == 10, timeout=5)  # timed out: unknown
    for email in emails:
        assert httpx.post(stack.base + URL, json=response_for(email, skin="oily")).status_code == 201
    wait_for(lambda: states(stack), lambda s: s.get("delivered") == 20, timeout=20)
    for email in emails:
        assert stack.export_by_email(email)[0]["custom_attributes"]["skin_type"] == "oily", email


def test_an_outage_is_probed_not_flooded_and_the_backlog_drains_at_once_after_it(stack: Stack) -> None:
    # Eight 503s in a row: after five failures the breaker stops sending and probes with one request
    # at a growing interval; responses that arrive meanwhile are not sent into the outage.
    fault(stack, {"kind": "status", "status": 503, "count": 8, "path": "/users/track"})
    for i in range(5):
        assert httpx.post(stack.base + URL, json=response_for(f"early{i}@example.com")).status_code == 201
    wait_for(lambda: len(track_requests(stack)), lambda n: n >= 5, timeout=15)
    for i in range(40):
        assert httpx.post(stack.base + URL, json=response_for(f"during{i}@example.com")).status_code == 201
    wait_for(lambda: states(stack), lambda s: s.get("delivered") == 45, timeout=40)
    sent = track_requests(stack)
    failures = [r for r in sent if r["status"] == 503]
    assert len(failures) == 8
    recovered_at = next(i for i, r in enumerate(sent) if r["status"] == 201)
    assert len(sent) - recovered_at <= 4  # the backlog went out in full batches once Braze was back
