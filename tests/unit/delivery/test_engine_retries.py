"""Retries on fake time: backoff with jitter after a 5xx, the breaker during an outage, an unknown
outcome waiting out the settle window and then sending everything current, the dead-letter rule
(both the attempts and the window spent), and rows a vanished worker left in flight."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.support.delivery_rig import Rig
from tests.support.fake_braze import dropped, late, status, timeout
from zeroparty.delivery.engine import EngineSettings
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.retry import RetryPolicy

POLICY = RetryPolicy()
NO_WINDOW = EngineSettings(batch_window_s=0.0)  # a retry goes the moment it is due, so waits read exactly


def gaps(rig: Rig) -> list[float]:
    times = [c.at for c in rig.braze.tracks if c.at is not None]
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


def test_server_errors_are_retried_after_a_jittered_backoff_each_counting_an_attempt(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(engine=NO_WINDOW, seed=11)
    rig.braze.then(status(503, "Service Unavailable"), times=2)
    rig.respond("kim@example.com")
    rig.deliver()
    assert [c.status for c in rig.braze.tracks] == [503, 503, 201]
    jitter = random.Random(11)  # the rig's seed: the engine draws the same waits, within 1 s then 2 s
    assert gaps(rig) == pytest.approx([POLICY.backoff(1, jitter), POLICY.backoff(2, jitter)], abs=1e-6)
    row = rig.rows()["kim@example.com"]
    assert (row.state, row.attempts) == ("delivered", 3)
    assert [(a.outcome, a.detail) for a in rig.outbox.history(row.id)] == [
        ("retry", "HTTP 503: Service Unavailable"),
        ("retry", "HTTP 503: Service Unavailable"),
        ("delivered", None),
    ]


def test_a_timeout_resends_what_the_request_in_doubt_carried_after_the_settle_window(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(engine=NO_WINDOW)
    rig.respond("kim@example.com")
    rig.deliver()
    rig.respond("kim@example.com", skin="oily")
    rig.braze.then(timeout)
    rig.deliver()
    _, changed, again = rig.braze.tracks
    assert changed.status is None and changed.attributes == [{"email": "kim@example.com", "skin_type": "oily"}]
    assert again.at is not None and changed.at is not None and again.at - changed.at == timedelta(seconds=30)
    # Braze may or may not have applied the lost request: what it carried goes again, and only that
    # (the other answers were accepted earlier and cannot have been changed by it).
    assert again.attributes == [{"email": "kim@example.com", "skin_type": "oily"}]
    retry = rig.outbox.history(rig.rows()["kim@example.com"].id)[0]
    assert (
        retry.detail == "outcome unknown (no answer within 30.0 s); will resend what it carried after the settle window"
    )
    rig.respond("kim@example.com", skin="oily", first_name="Kim")
    rig.deliver()
    assert rig.braze.tracks[-1].attributes == [{"email": "kim@example.com", "first_name": "Kim"}]  # trusted again


def test_after_a_timeout_the_keys_in_doubt_go_with_their_newest_values_and_what_changed_since(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(engine=NO_WINDOW)
    rig.respond("kim@example.com")
    rig.deliver()
    rig.respond("kim@example.com", skin="oily")
    rig.braze.then(late)  # Braze holds the request and applies it after its timeout
    rig.deliver(within_s=1)
    rig.respond("kim@example.com", skin="dry", first_name="Kim")  # back to dry: equal to the old record
    rig.time.advance(10)
    rig.braze.land_late()  # oily lands now, after the newer answer was given
    rig.deliver()
    assert rig.braze.tracks[-1].attributes == [{"email": "kim@example.com", "skin_type": "dry", "first_name": "Kim"}]
    assert rig.braze.profiles["kim@example.com"]["skin_type"] == "dry"


def test_a_dropped_connection_is_retried_and_the_duplicate_is_harmless(rig: Rig) -> None:
    rig.braze.then(dropped)
    rig.respond("kim@example.com")
    rig.deliver()
    assert [c.status for c in rig.braze.tracks] == [None, 201]
    assert rig.rows()["kim@example.com"].attempts == 2
    assert rig.braze.profiles["kim@example.com"]["skin_type"] == "dry"


def test_a_request_applied_after_its_timeout_never_overwrites_a_newer_value(rig: Rig) -> None:
    emails = [f"late{i}@example.com" for i in range(10)]
    for email in emails:
        rig.respond(email)
    rig.braze.then(late)  # the batch of ten: no answer, but Braze holds it
    rig.deliver(within_s=1)
    assert rig.states() == {"pending": 10}
    for email in emails:
        rig.respond(email, skin="oily")
    rig.time.advance(20)
    rig.braze.land_late()  # inside the settle window: the old values land now
    assert {rig.braze.profiles[e]["skin_type"] for e in emails} == {"dry"}
    rig.deliver()
    assert {rig.braze.profiles[e]["skin_type"] for e in emails} == {"oily"}
    assert rig.states() == {"delivered": 20}


def test_an_outage_is_probed_not_flooded_and_the_backlog_drains_at_once_after_it(make_rig: Callable[..., Rig]) -> None:
    # No batching window: each early response goes alone, so five requests fail in a row.
    rig = make_rig(engine=EngineSettings(batch_window_s=0.0))
    rig.braze.then(status(503), times=8)
    for i in range(5):
        rig.respond(f"early{i}@example.com")
        rig.step()
    assert [c.status for c in rig.braze.tracks] == [503] * 5
    for i in range(40):
        rig.respond(f"during{i}@example.com")
    rig.deliver()
    assert rig.states() == {"delivered": 45}
    statuses = [c.status for c in rig.braze.tracks]
    assert statuses[:8] == [503] * 8 and set(statuses[8:]) == {201}
    # Open after five failures: one probe at a time, after 1 s, then 2, 4 and 8 s.
    waits = gaps(rig)[4:8]
    assert [w >= floor for w, floor in zip(waits, (1, 2, 4, 8), strict=True)] == [True] * 4, waits
    assert len(statuses) - 8 <= 4  # the backlog went out in full batches once Braze was back


def test_a_row_is_dead_only_once_both_its_attempts_and_its_window_are_spent(rig: Rig) -> None:
    rig.braze.then(status(503), times=10_000)
    rig.respond("kim@example.com")
    rig.deliver(within_s=2 * 3600)
    row = rig.rows()["kim@example.com"]
    assert row.state == "pending" and row.attempts > POLICY.max_attempts  # many attempts, but the window is not spent
    rig.deliver()
    row = rig.rows()["kim@example.com"]
    assert row.state == "dead" and row.last_error == "retries exhausted: HTTP 503"
    died = rig.outbox.history(row.id)[-1]
    assert died.outcome == "dead" and died.at - row.created_at >= POLICY.window
    assert rig.braze.profiles == {}


def test_rows_left_in_flight_by_a_vanished_worker_end_dead_or_get_delivered(rig: Rig) -> None:
    now = rig.time.now()
    fresh = rig.outbox.enqueue("fresh@example.com", {"attributes": {"skin_type": "dry"}}, now - timedelta(minutes=2))
    rig.outbox.claim(rig.dest, "worker-gone", 75, 10, now - timedelta(minutes=1))  # it died a minute ago
    start = now - timedelta(hours=4)
    spent = rig.outbox.enqueue("spent@example.com", {"attributes": {"skin_type": "dry"}}, start)
    for n in range(POLICY.max_attempts):  # hours ago, workers kept dying on this one: eight claims
        rig.outbox.claim(rig.dest, "worker-gone", 75, 10, start + timedelta(seconds=20 * n), policy=POLICY)
    rig.deliver()
    [dead] = [rig.outbox.row(i) for i in spent]
    assert dead.state == "dead" and dead.attempts == POLICY.max_attempts
    assert dead.last_error == "lease expired and the retry budget is spent (8 attempts since 2026-03-01 08:00 UTC)"
    [delivered] = [rig.outbox.row(i) for i in fresh]
    assert (delivered.state, delivered.attempts) == ("delivered", 2)
    assert [(a.outcome, a.detail) for a in rig.outbox.history(delivered.id)] == [
        ("retry", "lease expired: outcome unknown"),
        ("delivered", None),
    ]
    assert [c.users for c in rig.braze.tracks] == [["fresh@example.com"]]


def test_a_users_later_rows_wait_for_their_retry_and_go_with_it(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(settings=DestinationSettings(max_in_flight=1))
    rig.braze.then(status(503))
    rig.respond("kim@example.com")
    rig.deliver(within_s=0.1)
    rig.respond("kim@example.com", skin="oily")  # queued while kim waits for the retry
    rig.respond("lee@example.com")
    rig.deliver()
    assert [c.users for c in rig.braze.tracks] == [["kim@example.com"], ["lee@example.com"], ["kim@example.com"]]
    assert rig.braze.tracks[-1].attributes[0]["skin_type"] == "oily"  # both rows at once, the later one winning
    assert rig.states() == {"delivered": 3}
