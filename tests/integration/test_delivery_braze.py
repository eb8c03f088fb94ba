"""The Braze connection's correctness under Braze's own behaviours, over real HTTP against the
sandbox: a refused field does not take its siblings down, and nothing is sent twice for nothing
(the sandbox counting the data points). The engine's decisions for every other answer (400s,
pauses, outages, late applies) are unit-tested on fake time in tests/unit/delivery/."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import httpx
import sqlalchemy as sa

from tests.integration.test_delivery import URL, response_for, states, track_requests
from tests.support.definitions import SAMPLE
from tests.support.processes import cli_env
from tests.support.stack import SANDBOX_AUTH, Stack
from tests.support.waiting import wait_for
from zeroparty.adapters.db.schema import delivery_counters, outbox


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


def data_points(stack: Stack) -> int:
    points: int = stack.sandbox_stats()["data_points"]
    return points


def test_an_identical_resubmission_costs_nothing_and_one_change_sends_one_attribute(stack: Stack) -> None:
    assert httpx.post(stack.base + URL, json=response_for("same@example.com")).status_code == 201
    delivered(stack, 1)
    requests, points = len(track_requests(stack)), data_points(stack)
    assert httpx.post(stack.base + URL, json=response_for("same@example.com")).status_code == 201
    delivered(stack, 2)
    # Only the consent given again goes (it costs nothing, and the person may have unsubscribed
    # in Braze since); every answer Braze holds is left out.
    assert len(track_requests(stack)) == requests + 1 and data_points(stack) == points
    assert track_requests(stack)[-1]["request_body"]["attributes"] == [
        {"email": "same@example.com", "email_subscribe": "opted_in"}
    ]
    assert httpx.post(stack.base + URL, json=response_for("same@example.com", skin="oily")).status_code == 201
    delivered(stack, 3)
    last = track_requests(stack)[-1]["request_body"]["attributes"]
    # The outcome follows the answer, so a changed skin type may change the routine too.
    assert {k for k in last[0] if k not in ("email", "email_subscribe")} <= {"skin_type", "skin_quiz_routine"}
    assert "skin_type" in last[0]
    with stack.rt.engine.connect() as conn:
        sent, saved = conn.execute(sa.select(delivery_counters.c.points_sent, delivery_counters.c.points_saved)).one()
    assert saved >= 5 + 4 and sent == data_points(stack) - 0


def printed(stack: Stack, *args: str) -> str:
    """What `zeroparty ARGS` prints on the stack's store, in a wide terminal."""
    return subprocess.run(
        [sys.executable, "-m", "zeroparty", *args],
        env=cli_env(stack.data_dir, COLUMNS="200"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_data_points_validate_forecasts_are_what_the_sandbox_counts(stack: Stack) -> None:
    shown = printed(stack, "experiences", "validate", str(SAMPLE))
    [(first, repeat)] = [(int(a), int(b)) for a, b in re.findall(r"sandbox\W+up to (\d+) .*?(\d+) if unchanged", shown)]
    imported = printed(stack, "experiences", "import", str(SAMPLE))
    assert re.findall(r"sandbox\W+up to (\d+) .*?(\d+) if unchanged", imported) == [(str(first), str(repeat))]
    before = data_points(stack)
    assert httpx.post(stack.base + URL, json=response_for("fore@example.com")).status_code == 201
    delivered(stack, 1)
    assert data_points(stack) - before == first
    assert httpx.post(stack.base + URL, json=response_for("fore@example.com", skin="oily")).status_code == 201
    delivered(stack, 2)
    assert data_points(stack) - before - first == repeat + 1  # one answer changed (the routine did not)
