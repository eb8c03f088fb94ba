"""The outbox store's contract, on a real SQLite file and a real PostgreSQL database: users are
leased whole, a leased user is never claimed again (whatever its rows' numbers), settling is one
transaction that never drops a row queued meanwhile."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.databases import database_url
from tests.support.outbox_world import T0, World
from zeroparty.adapters.db.capture import SqlCaptureUnit
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.schema import delivery_attempts, delivery_queue, delivery_state
from zeroparty.delivery.ports import Claim
from zeroparty.domain.retry import RetryPolicy
from zeroparty.domain.settle import Pause, Retry, SettlePlan
from zeroparty.services.ports import ResponseWrite


def users(claim: Claim) -> list[tuple[str, list[str]]]:
    return [(u.user_key, [i.attributes["skin_type"] for i in u.items]) for u in claim.users]


def test_claim_leases_at_most_max_users_with_all_their_rows(world: World) -> None:
    for email, skin in (("a@x.co", "dry"), ("b@x.co", "dry"), ("a@x.co", "oily"), ("c@x.co", "dry")):
        world.respond(email, skin)
    assert [d.name for d in world.outbox.ready_destinations(T0)] == ["d"]
    first = world.claim("w1", 2)
    assert users(first) == [("a@x.co", ["dry", "oily"]), ("b@x.co", ["dry"])]
    assert all(i.attempts == 1 for u in first.users for i in u.items)
    assert users(world.claim("w2", 2)) == [("c@x.co", ["dry"])]
    assert world.claim("w3", 2).users == ()
    assert world.queue() == {"a@x.co": "leased", "b@x.co": "leased", "c@x.co": "leased"}


def test_a_partial_batch_waits_for_the_window_and_a_full_one_goes_at_once(world: World) -> None:
    world.respond("a@x.co")
    waiting = world.claim("w", 2, window_s=0.05)
    assert waiting.users == () and waiting.wait_s == pytest.approx(0.05)
    assert users(world.claim("w", 2, at=T0 + timedelta(milliseconds=50), window_s=0.05)) == [("a@x.co", ["dry"])]
    world.respond("b@x.co")
    world.respond("c@x.co")
    assert len(world.claim("w", 2, window_s=10).users) == 2  # a full batch does not wait


def test_a_user_waiting_for_retry_holds_that_users_later_rows(world: World) -> None:
    world.respond("a@x.co")
    first = world.claim("w1")
    [a] = first.users
    retry = Retry("a@x.co", tuple(i.id for i in a.items), T0 + timedelta(seconds=30), "HTTP 503", full=False)
    world.outbox.settle(world.dest_id, "w1", SettlePlan(retry=(retry,)), {"a@x.co": a.version}, T0)
    world.respond("a@x.co", skin="oily")
    world.respond("b@x.co")
    assert users(world.claim("w1", at=T0 + timedelta(seconds=1))) == [("b@x.co", ["dry"])]
    assert users(world.claim("w1", at=T0 + timedelta(seconds=31))) == [("a@x.co", ["dry", "oily"])]


def test_ending_a_lease_keeps_a_user_queued_when_rows_arrived_meanwhile(world: World) -> None:
    world.respond("a@x.co")
    first = world.claim("w1")
    world.respond("a@x.co", skin="oily")  # queued while a's first row is in flight
    assert world.claim("w2").users == ()  # a is leased: never claimed twice
    world.deliver("w1", first)
    assert world.queue() == {"a@x.co": "ready"}
    assert users(world.claim("w2")) == [("a@x.co", ["oily"])]
    with world.engine.connect() as conn:
        accepted = conn.execute(sa.select(delivery_state.c["values"])).scalar_one()
    assert accepted == {"skin_type": "dry"}


def test_delivering_everything_forgets_the_user_and_records_what_braze_holds(world: World) -> None:
    world.respond("a@x.co")
    world.deliver("w", world.claim("w"))
    assert world.queue() == {} and world.states() == [("a@x.co", "delivered", 1)]
    world.respond("a@x.co", skin="oily")
    [again] = world.claim("w").users
    assert again.accepted == {"skin_type": "dry"} and not again.full


def test_an_expired_lease_is_settled_as_unknown_and_the_late_settle_changes_nothing(world: World) -> None:
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


def test_an_expired_lease_out_of_budget_ends_dead(world: World) -> None:
    world.respond("a@x.co")
    world.outbox.claim(world.dest_id, "gone", 75, 10, T0)
    policy = RetryPolicy(max_attempts=1, window=timedelta(seconds=1))
    assert world.claim("next", at=T0 + timedelta(seconds=11), policy=policy).users == ()
    assert world.states() == [("a@x.co", "dead", 1)]


def test_release_gives_the_attempt_back_and_every_outcome_is_logged(world: World) -> None:
    world.respond("a@x.co")
    [a] = world.claim("w").users
    plan = SettlePlan(release=(("a@x.co", (a.items[0].id,)),), pause=Pause("rate limited", T0 + timedelta(seconds=3)))
    world.outbox.settle(world.dest_id, "w", plan, {"a@x.co": a.version}, T0)
    assert world.states() == [("a@x.co", "pending", 0)]
    assert world.outbox.ready_destinations(T0) == []  # the pause is part of the same transaction
    world.deliver("w", world.claim("w"))
    with world.engine.connect() as conn:
        logged = conn.execute(sa.select(delivery_attempts.c.outcome).order_by(delivery_attempts.c.id)).scalars().all()
    assert logged == ["released", "delivered"]


def test_paused_destination_is_not_ready_until_its_pause_ends(world: World) -> None:
    world.outbox.pause(world.dest_id, "rate limited", T0 + timedelta(seconds=5))
    assert world.outbox.ready_destinations(T0) == []
    [dest] = world.outbox.ready_destinations(T0 + timedelta(seconds=5))
    assert dest.pause_expired
    world.outbox.unpause_if_expired(world.dest_id, T0 + timedelta(seconds=5))
    assert not world.outbox.ready_destinations(T0)[0].pause_expired
    world.outbox.pause(world.dest_id, "HTTP 401", None)
    assert world.outbox.ready_destinations(T0 + timedelta(days=365)) == []


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
