"""The operator's view of delivery (`services.deliveries.DeliveryReads`), on a real SQLite file, a
real PostgreSQL database and the in-memory twin the console's and the CLI's unit tests can run on:
per-destination figures, the dead items newest first with Braze's reason, what ids refer to, and a
replay through the service putting dead items back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.databases import STORES, store_for
from tests.support.outbox_world import T0, MemoryWorld, OutboxWorld, World
from zeroparty.domain.settle import SettlePlan
from zeroparty.errors import NotFound
from zeroparty.services.deliveries import DeliveriesService, ItemState

REASON = "Braze rejected this profile update: 'email' is not valid"


@pytest.fixture(params=STORES)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OutboxWorld]:
    with store_for(request.param, tmp_path, World, MemoryWorld) as found:
        yield found


def settled(world: OutboxWorld) -> dict[str, str]:
    """Four respondents: two delivered 2 s after they were queued, one dead a minute later, one pending."""
    for email in ("a@x.co", "b@x.co", "c@x.co"):
        world.respond(email)
    claim = world.claim("w", 3)
    ids = {u.user_key: u.items[0].id for u in claim.users}
    versions = {u.user_key: u.version for u in claim.users}
    delivered = SettlePlan(delivered=(ids["a@x.co"], ids["b@x.co"]), points_sent=2)
    world.outbox.settle(
        world.dest_id, "w", delivered, {k: versions[k] for k in ("a@x.co", "b@x.co")}, T0 + timedelta(seconds=2)
    )
    dead = SettlePlan(dead=(((ids["c@x.co"],), REASON),))
    world.outbox.settle(world.dest_id, "w", dead, {"c@x.co": versions["c@x.co"]}, T0 + timedelta(minutes=1))
    world.respond("d@x.co")
    return ids


def test_the_figures_count_each_state_and_time_the_deliveries(world: OutboxWorld) -> None:
    settled(world)
    [stats] = world.deliveries.stats(T0 + timedelta(minutes=2))
    assert (stats.name, stats.pending, stats.in_flight, stats.delivered, stats.dead) == ("d", 1, 0, 2, 1)
    assert (stats.latency_p50_s, stats.latency_p99_s, stats.latency_rows) == (2.0, 2.0, 2)
    assert (stats.points_sent, stats.paused_reason) == (2, None)
    assert stats.budget.used == 2


def test_the_dead_items_carry_braze_s_reason_and_when_they_died(world: OutboxWorld) -> None:
    ids = settled(world)
    [item] = world.deliveries.dead()
    assert (item.id, item.destination, item.user, item.reason) == (ids["c@x.co"], "d", "c@x.co", REASON)
    assert item.dead_at == T0 + timedelta(minutes=1) and item.attempts == 1 and item.response_id
    assert world.deliveries.dead("d") == [item]
    with pytest.raises(NotFound):
        world.deliveries.dead("nowhere")


def test_ids_are_told_apart_and_unknown_ones_left_out(world: OutboxWorld) -> None:
    ids = settled(world)
    found = world.deliveries.items([ids["a@x.co"], ids["c@x.co"], "00000000-0000-4000-8000-000000000000"])
    assert found == {
        ids["a@x.co"]: ItemState(ids["a@x.co"], "d", "delivered"),
        ids["c@x.co"]: ItemState(ids["c@x.co"], "d", "dead"),
    }
    assert world.deliveries.destination_id("d") == world.dest_id


def test_a_replay_puts_the_dead_item_back_and_names_the_others(world: OutboxWorld) -> None:
    ids = settled(world)
    service = DeliveriesService(world.deliveries, world.requeue, clock=lambda: T0 + timedelta(minutes=3))
    done = service.replay([ids["c@x.co"], ids["a@x.co"]], "d")
    assert (done.wanted, done.replayed) == (1, 1)
    assert done.problems == [f"ID: '{ids['a@x.co']}' is delivered, not dead: nothing to replay"]
    assert world.deliveries.dead() == []
    assert world.deliveries.items([ids["c@x.co"]])[ids["c@x.co"]].state == "pending"


def test_another_workspace_sees_and_replays_none_of_the_items(world: OutboxWorld) -> None:
    ids = settled(world)
    _, theirs = world.another_workspace()
    assert theirs.stats(T0) == []
    assert theirs.dead() == []
    with pytest.raises(NotFound, match="no destination named 'd'"):
        theirs.dead("d")
    with pytest.raises(NotFound):
        theirs.destination_id("d")
    assert theirs.items(list(ids.values())) == {}
    replay = DeliveriesService(theirs, world.requeue, clock=lambda: T0).replay([ids["c@x.co"]])
    assert (replay.replayed, replay.problems) == (0, [f"ID: '{ids['c@x.co']}' is not a delivery item"])
    assert DeliveriesService(theirs, world.requeue, clock=lambda: T0).replay(None).replayed == 0
    assert [i.id for i in world.deliveries.dead()] == [ids["c@x.co"]]  # still dead, in its own workspace


def test_the_attempts_are_told_newest_first_per_response_and_only_in_their_workspace(world: OutboxWorld) -> None:
    ids = settled(world)
    recent = world.deliveries.attempts(10)
    assert [(a.user, a.outcome) for a in recent[:1]] == [("c@x.co", "dead")]
    assert {(a.user, a.outcome) for a in recent} >= {("a@x.co", "delivered"), ("b@x.co", "delivered")}
    assert [a.at for a in recent] == sorted((a.at for a in recent), reverse=True)
    dead = next(a for a in recent if a.outcome == "dead")
    assert (dead.destination, dead.item_id, dead.detail) == ("d", ids["c@x.co"], REASON)
    assert dead.response_id is not None
    history = world.deliveries.attempts(10, dead.response_id)
    assert {a.item_id for a in history} == {ids["c@x.co"]}
    assert len(world.deliveries.attempts(1)) == 1
    _, theirs = world.another_workspace()
    assert theirs.attempts(10) == [] and theirs.attempts(10, dead.response_id) == []
