"""The outbox store's contract, on a real SQLite file, a real PostgreSQL database and the in-memory
twin the engine's unit tests run on: users are leased whole, a leased user is never claimed again
(whatever its rows' numbers), settling is one transaction that never drops a row queued meanwhile.
The last tests play interleavings only PostgreSQL's row locks decide."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.databases import STORES, database_url, store_for
from tests.support.outbox_world import T0, MemoryWorld, OutboxWorld, World
from zeroparty.adapters.db.capture import SqlCaptureUnit
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.schema import delivery_queue
from zeroparty.delivery.ports import Claim
from zeroparty.domain.retry import RetryPolicy
from zeroparty.domain.settle import Pause, Retry, SettlePlan
from zeroparty.services.ports import ResponseWrite


@pytest.fixture(params=STORES)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OutboxWorld]:
    """Here `world` is any of the three stores (the conftest's is SQL only)."""
    with store_for(request.param, tmp_path, World, MemoryWorld) as found:
        yield found


def users(claim: Claim) -> list[tuple[str, list[str]]]:
    return [(u.user_key, [i.attributes["skin_type"] for i in u.items]) for u in claim.users]


def test_claim_leases_at_most_max_users_with_all_their_rows(world: OutboxWorld) -> None:
    for email, skin in (("a@x.co", "dry"), ("b@x.co", "dry"), ("a@x.co", "oily"), ("c@x.co", "dry")):
        world.respond(email, skin)
    assert [d.name for d in world.outbox.ready_destinations(T0)] == ["d"]
    first = world.claim("w1", 2)
    assert users(first) == [("a@x.co", ["dry", "oily"]), ("b@x.co", ["dry"])]
    assert all(i.attempts == 1 for u in first.users for i in u.items)
    assert users(world.claim("w2", 2)) == [("c@x.co", ["dry"])]
    assert world.claim("w3", 2).users == ()
    assert world.queue() == {"a@x.co": "leased", "b@x.co": "leased", "c@x.co": "leased"}


def test_a_partial_batch_waits_for_the_window_and_a_full_one_goes_at_once(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    waiting = world.claim("w", 2, window_s=0.05)
    assert waiting.users == () and waiting.wait_s == pytest.approx(0.05)
    assert users(world.claim("w", 2, at=T0 + timedelta(milliseconds=50), window_s=0.05)) == [("a@x.co", ["dry"])]
    world.respond("b@x.co")
    world.respond("c@x.co")
    assert len(world.claim("w", 2, window_s=10).users) == 2  # a full batch does not wait


def test_a_user_waiting_for_retry_holds_that_users_later_rows(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    first = world.claim("w1")
    [a] = first.users
    retry = Retry("a@x.co", tuple(i.id for i in a.items), T0 + timedelta(seconds=30), "HTTP 503", full=False)
    world.outbox.settle(world.dest_id, "w1", SettlePlan(retry=(retry,)), {"a@x.co": a.version}, T0)
    world.respond("a@x.co", skin="oily")
    world.respond("b@x.co")
    assert users(world.claim("w1", at=T0 + timedelta(seconds=1))) == [("b@x.co", ["dry"])]
    assert users(world.claim("w1", at=T0 + timedelta(seconds=31))) == [("a@x.co", ["dry", "oily"])]


def test_ending_a_lease_keeps_a_user_queued_when_rows_arrived_meanwhile(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    first = world.claim("w1")
    world.respond("a@x.co", skin="oily")  # queued while a's first row is in flight
    assert world.claim("w2").users == ()  # a is leased: never claimed twice
    world.deliver("w1", first)
    assert world.queue() == {"a@x.co": "ready"}
    assert users(world.claim("w2")) == [("a@x.co", ["oily"])]
    assert world.accepted("a@x.co") == {"skin_type": "dry"}


def test_delivering_everything_forgets_the_user_and_records_what_braze_holds(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    world.deliver("w", world.claim("w"))
    assert world.queue() == {} and world.states() == [("a@x.co", "delivered", 1)]
    world.respond("a@x.co", skin="oily")
    [again] = world.claim("w").users
    assert values(again.accepted) == {"skin_type": "dry"} and not again.full
    assert set(again.accepted["$at"]) == {"skin_type"}  # each value with the time it was recorded


def test_an_expired_lease_is_settled_as_unknown_and_the_late_settle_changes_nothing(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    slow = world.outbox.claim(world.dest_id, "slow", 75, 10, T0)
    after = T0 + timedelta(seconds=11)
    assert world.claim("fresh", at=after, settle_window_s=5).users == ()  # waits out the settle window
    assert world.states() == [("a@x.co", "pending", 1)]
    [again] = world.claim("fresh", at=after + timedelta(seconds=5), settle_window_s=5).users
    assert again.full and again.items[0].attempts == 2  # send everything current; the crash counted
    world.deliver("slow", slow, at=after)  # the first worker wakes up late: changes nothing
    assert world.states() == [("a@x.co", "in_flight", 2)]
    world.deliver("fresh", Claim((again,)), at=after)
    assert world.states() == [("a@x.co", "delivered", 2)]


def test_an_expired_lease_out_of_budget_ends_dead(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    world.outbox.claim(world.dest_id, "gone", 75, 10, T0)
    policy = RetryPolicy(max_attempts=1, window=timedelta(seconds=1))
    assert world.claim("next", at=T0 + timedelta(seconds=11), policy=policy).users == ()
    assert world.states() == [("a@x.co", "dead", 1)]
    assert world.errors() == ["lease expired and the retry budget is spent (1 attempts since 2026-03-01 12:00 UTC)"]
    assert world.queue() == {}  # nothing left to send: the user is forgotten


def test_release_gives_the_attempt_back_and_every_outcome_is_logged(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    [a] = world.claim("w").users
    plan = SettlePlan(release=(("a@x.co", (a.items[0].id,)),), pause=Pause("rate limited", T0 + timedelta(seconds=3)))
    world.outbox.settle(world.dest_id, "w", plan, {"a@x.co": a.version}, T0)
    assert world.states() == [("a@x.co", "pending", 0)]
    assert world.outbox.ready_destinations(T0) == []  # the pause is part of the same transaction
    world.deliver("w", world.claim("w", at=T0 + timedelta(seconds=3)))
    assert world.history() == [("released", "rate limited"), ("delivered", None)]


def test_paused_destination_is_not_ready_until_its_pause_ends(world: OutboxWorld) -> None:
    world.outbox.pause(world.dest_id, "rate limited", T0 + timedelta(seconds=5))
    assert world.outbox.ready_destinations(T0) == []
    [dest] = world.outbox.ready_destinations(T0 + timedelta(seconds=5))
    assert dest.pause_expired
    world.outbox.unpause_if_expired(world.dest_id, T0 + timedelta(seconds=5))
    assert not world.outbox.ready_destinations(T0)[0].pause_expired
    world.outbox.pause(world.dest_id, "HTTP 401", None)
    assert world.outbox.ready_destinations(T0 + timedelta(days=365)) == []


def test_a_paused_destination_leases_nothing_until_its_pause_ends(world: OutboxWorld) -> None:
    # A worker may claim with what it read before another request's answer paused the
    # destination: the claim itself must see the pause, or it sends into it.
    world.respond("a@x.co")
    world.outbox.pause(world.dest_id, "HTTP 401", None)
    assert world.claim("w").users == ()
    world.outbox.pause(world.dest_id, "rate limited", T0 + timedelta(seconds=5))
    assert world.claim("w", at=T0 + timedelta(seconds=4)).users == ()
    assert users(world.claim("w", at=T0 + timedelta(seconds=5))) == [("a@x.co", ["dry"])]


def test_a_claim_settles_expired_leases_by_the_policy_it_is_given(world: OutboxWorld) -> None:
    policy = RetryPolicy(max_attempts=2, window=timedelta(minutes=30))

    def claim(owner: str, at: datetime) -> list[int]:
        got = world.outbox.claim(world.dest_id, owner, 75, 10, at, policy=policy)
        return [i.attempts for u in got.users for i in u.items]

    for email in ("a@x.co", "b@x.co"):
        world.respond(email)
    assert claim("w1", T0) == [1, 1]
    assert claim("w2", T0 + timedelta(seconds=11)) == [2, 2]
    assert world.states() == [("a@x.co", "in_flight", 2), ("b@x.co", "in_flight", 2)]
    # Two attempts used, but the window is not: back to pending and claimed again.
    assert claim("w3", T0 + timedelta(minutes=10)) == [3, 3]
    # Now both are spent: dead, and nothing is handed out.
    assert claim("w4", T0 + timedelta(minutes=31)) == []
    assert world.states() == [("a@x.co", "dead", 3), ("b@x.co", "dead", 3)]
    outcomes = world.history()
    assert [o for o, _ in outcomes] == ["retry", "retry", "dead"] * 2
    assert all(d == "lease expired: outcome unknown" for o, d in outcomes if o == "retry")
    assert all(
        (d or "").startswith("lease expired and the retry budget is spent (3 attempts")
        for o, d in outcomes
        if o == "dead"
    )


def test_one_settle_applies_every_plan_of_a_group_with_notes_counters_and_reasons(world: OutboxWorld) -> None:
    for email in ("a@x.co", "b@x.co", "c@x.co"):
        world.respond(email)
    a, b, c = world.claim("w").users
    later = T0 + timedelta(seconds=30)
    first = SettlePlan(
        delivered=(a.items[0].id,),
        accepted={"a@x.co": {"skin_type": "dry", "first_name": "Kim"}},
        notes={a.items[0].id: "Braze refused attribute 'first_name': not valid"},
        points_sent=2,
        points_saved=1,
        health="ok",
    )
    second = SettlePlan(
        dead=(((b.items[0].id,), "Braze rejected this profile update: 'email' is not valid"),),
        retry=(Retry("c@x.co", (c.items[0].id,), later, "HTTP 503", full=False),),
        health="failed",
    )
    versions = {u.user_key: u.version for u in (a, b, c)}
    world.outbox.settle_many(
        [(world.dest_id, first, {"a@x.co": versions["a@x.co"]}), (world.dest_id, second, versions)], "w", T0
    )
    assert world.states() == [("a@x.co", "delivered", 1), ("b@x.co", "dead", 1), ("c@x.co", "pending", 1)]
    assert world.errors() == [
        "Braze refused attribute 'first_name': not valid",
        "Braze rejected this profile update: 'email' is not valid",
        "HTTP 503",
    ]
    assert world.history() == [
        ("delivered", "Braze refused attribute 'first_name': not valid"),
        ("dead", "Braze rejected this profile update: 'email' is not valid"),
        ("retry", "HTTP 503"),
    ]
    assert world.counters() == (2, 2, 1)  # two requests answered; points as the plans counted them
    assert world.accepted("a@x.co") == {"skin_type": "dry", "first_name": "Kim"}
    assert world.queue() == {"c@x.co": "ready"}
    assert world.claim("w", at=later - timedelta(seconds=1)).users == ()
    [again] = world.claim("w", at=later).users
    assert again.user_key == "c@x.co" and again.items[0].attempts == 2


def test_what_braze_accepted_is_merged_into_the_record(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    [a] = world.claim("w").users
    plan = SettlePlan(
        delivered=(a.items[0].id,), accepted={"a@x.co": {"skin_type": "dry", "skin_goals": ["hydration"]}}
    )
    world.outbox.settle(world.dest_id, "w", plan, {"a@x.co": a.version}, T0)
    world.respond("a@x.co", skin="oily")
    [again] = world.claim("w").users
    assert values(again.accepted) == {"skin_type": "dry", "skin_goals": ["hydration"]}
    plan = SettlePlan(delivered=(again.items[0].id,), accepted={"a@x.co": {"skin_type": "oily"}})
    world.outbox.settle(world.dest_id, "w", plan, {"a@x.co": again.version}, T0)
    assert world.accepted("a@x.co") == {"skin_type": "oily", "skin_goals": ["hydration"]}


def test_releasing_users_hands_them_back_at_once_without_using_an_attempt(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    world.respond("b@x.co")
    claimed = world.claim("w")
    world.outbox.release_users(world.dest_id, "someone-else", ["a@x.co"], T0)  # not theirs: nothing happens
    assert world.queue() == {"a@x.co": "leased", "b@x.co": "leased"}
    world.outbox.release_users(world.dest_id, "w", ["a@x.co"], T0)
    assert world.states() == [("a@x.co", "pending", 0), ("b@x.co", "in_flight", 1)]
    assert world.queue() == {"a@x.co": "ready", "b@x.co": "leased"}
    assert world.history() == [("released", "handed back unsent")]
    assert users(world.claim("w2")) == [("a@x.co", ["dry"])]
    assert len(claimed.users) == 2


def test_concurrent_claimers_skip_a_user_another_holds_on_postgres(tmp_path: Path) -> None:
    # Worker 1 is mid-claim: its transaction holds user a's queue row. Worker 2 neither waits for
    # the lock nor takes a's rows: it takes user b.
    with database_url("postgresql", tmp_path) as url:
        world = World(url, tmp_path)
        try:
            world.respond("a@x.co")
            world.respond("a@x.co", skin="oily")
            world.respond("b@x.co")
            with world.engine.connect() as worker1:
                worker1.execute(
                    sa.select(delivery_queue.c.user_key).where(delivery_queue.c.user_key == "a@x.co").with_for_update()
                ).scalar_one()
                assert users(world.claim("worker-2")) == [("b@x.co", ["dry"])]
                worker1.rollback()
            assert users(world.claim("worker-3")) == [("a@x.co", ["dry", "oily"])]
        finally:
            world.engine.dispose()


def test_a_row_committed_late_never_reaches_a_second_worker_on_postgres(tmp_path: Path) -> None:
    """The interleaving that broke per-user order: a capture for user a takes its row number, then
    stalls before committing, while a later capture for a commits and is claimed. The late capture
    must not hand its row to another worker while a is in flight."""
    with database_url("postgresql", tmp_path) as url:
        world = World(url, tmp_path)
        try:
            world.respond("b@x.co")
            slow = world.engine.connect()
            tx = slow.begin()
            write = _write_for(world, "a@x.co", "dry")
            SqlCaptureUnit(slow).write(write, T0)  # row for a numbered, not committed
            done = threading.Event()

            def later_capture() -> None:
                world.respond("a@x.co", skin="oily")
                done.set()

            thread = threading.Thread(target=later_capture)
            thread.start()
            time.sleep(0.5)
            assert not done.is_set()  # the later write for a waits for the earlier one: order kept
            assert users(world.claim("w1")) == [("b@x.co", ["dry"])]
            tx.commit()
            slow.close()
            thread.join(timeout=10)
            assert done.is_set()
            assert users(world.claim("w1")) == [("a@x.co", ["dry", "oily"])]  # both, in commit order
            assert world.claim("w2").users == ()
        finally:
            world.engine.dispose()


def _write_for(world: World, email: str, skin: str) -> ResponseWrite:
    """The write a capture makes, for driving its transaction by hand."""
    pub = SqlExperienceStore(world.engine).published("skin-quiz")
    assert pub is not None
    return ResponseWrite(
        response_id="00000000-0000-4000-8000-00000000000a",
        version_id=pub.version_id,
        channel="api",
        is_new=True,
        answers={},
        email=email,
        outcome_id=None,
        completed=False,
        changes={"skin_type": skin},
    )


def test_a_failed_full_resend_stays_full_until_one_succeeds(world: World) -> None:
    """After an unknown outcome Braze may hold anything; a 503 on the full resend changes nothing
    about that, so the retry must still send everything current (found by the crash test)."""
    world.respond("a@x.co")
    world.outbox.claim(world.dest_id, "gone", 75, 10, T0)
    after = T0 + timedelta(seconds=11)
    [again] = world.claim("w", at=after).users
    assert again.full
    retry = Retry("a@x.co", tuple(i.id for i in again.items), after, "HTTP 503", full=False)
    world.outbox.settle(world.dest_id, "w", SettlePlan(retry=(retry,)), {"a@x.co": again.version}, after)
    [third] = world.claim("w", at=after).users
    assert third.full
    world.deliver("w", Claim((third,)), at=after)
    world.respond("a@x.co", skin="oily")
    [fresh] = world.claim("w", at=after).users
    assert not fresh.full  # a success settles the doubt


def values(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's values, without the time of each (`$at`)."""
    return {k: v for k, v in record.items() if k != "$at"}
