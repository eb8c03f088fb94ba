"""The outbox store's contract, on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.databases import database_url
from tests.support.definitions import sample
from zeroparty.adapters.crypto import SecretBox, load_or_create_key
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.capture import SqlCaptureStore
from zeroparty.adapters.db.destinations import SqlDestinations
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.outbox import SqlOutbox
from zeroparty.adapters.db.schema import delivery_attempts, outbox
from zeroparty.services.capture import CaptureService

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class World:
    def __init__(self, url: str, tmp_path: Path) -> None:
        self.engine = create_engine(url)
        migrate.upgrade(self.engine)
        box = SecretBox(load_or_create_key(None, tmp_path / "k"))
        SqlExperienceStore(self.engine).publish(sample(), T0)
        self.dest_id = SqlDestinations(self.engine, box).add_braze("d", "http://127.0.0.1:1", "key-123456789", T0)
        self.capture = CaptureService(SqlCaptureStore(self.engine), clock=lambda: T0)
        self.outbox = SqlOutbox(self.engine, box)

    def respond(self, email: str, skin: str = "dry") -> None:
        self.capture.submit_whole(
            "skin-quiz",
            {"skin_type": skin, "skin_goals": ["hydration"], "routine_length": "short"},
            {"email": email},
        )

    def states(self) -> list[tuple[str, str, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(outbox.c.user_key, outbox.c.state, outbox.c.attempts).order_by(outbox.c.seq))
            return [(r.user_key, r.state, r.attempts) for r in rows]


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with database_url(request.param, tmp_path) as url:
        w = World(url, tmp_path)
        yield w
        w.engine.dispose()


def test_claim_takes_at_most_max_users_and_all_their_rows(world: World) -> None:
    for email in ("a@x.co", "b@x.co", "a@x.co", "c@x.co"):
        world.respond(email)
    assert [d.name for d in world.outbox.ready_destinations(T0)] == ["d"]
    items = world.outbox.claim(world.dest_id, "w1", 2, 60, T0)
    assert [i.user_key for i in items] == ["a@x.co", "b@x.co", "a@x.co"]
    assert all(i.attempts == 1 for i in items)
    assert world.outbox.claim(world.dest_id, "w2", 2, 60, T0)[0].user_key == "c@x.co"
    assert world.outbox.claim(world.dest_id, "w3", 2, 60, T0) == []


def test_a_user_waiting_for_retry_holds_that_users_later_rows(world: World) -> None:
    world.respond("a@x.co")
    first = world.outbox.claim(world.dest_id, "w1", 75, 60, T0)
    world.outbox.retry_at([first[0].id], "w1", T0 + timedelta(seconds=30), "HTTP 503", T0)
    world.respond("a@x.co", skin="oily")
    world.respond("b@x.co")
    assert [i.user_key for i in world.outbox.claim(world.dest_id, "w1", 75, 60, T0 + timedelta(seconds=1))] == [
        "b@x.co"
    ]
    later = world.outbox.claim(world.dest_id, "w1", 75, 60, T0 + timedelta(seconds=31))
    assert [(i.user_key, i.attributes["skin_type"]) for i in later] == [("a@x.co", "dry"), ("a@x.co", "oily")]


def test_expired_lease_is_reclaimed_and_the_late_ack_changes_nothing(world: World) -> None:
    world.respond("a@x.co")
    [item] = world.outbox.claim(world.dest_id, "slow", 75, 10, T0)
    [again] = world.outbox.claim(world.dest_id, "fresh", 75, 10, T0 + timedelta(seconds=11))
    assert again.id == item.id and again.attempts == 2
    world.outbox.dead([item.id], "slow", "late", T0 + timedelta(seconds=12))
    assert world.states() == [("a@x.co", "in_flight", 2)]
    world.outbox.delivered([item.id], "fresh", T0 + timedelta(seconds=12), 201)
    assert world.states() == [("a@x.co", "delivered", 2)]


def test_release_gives_the_attempt_back_and_every_outcome_is_logged(world: World) -> None:
    world.respond("a@x.co")
    [item] = world.outbox.claim(world.dest_id, "w", 75, 60, T0)
    world.outbox.release([item.id], "w", "HTTP 429", T0)
    assert world.states() == [("a@x.co", "pending", 0)]
    [item] = world.outbox.claim(world.dest_id, "w", 75, 60, T0)
    world.outbox.delivered([item.id], "w", T0, 201)
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


def test_concurrent_claimers_never_share_a_user_on_postgres(tmp_path: Path) -> None:
    # Worker 1 is mid-claim: its transaction holds user a's head row. Worker 2 must neither take
    # a's later row (that would break a's order) nor wait for the lock; it takes user b.
    with database_url("postgresql", tmp_path) as url:
        world = World(url, tmp_path)
        try:
            world.respond("a@x.co")
            world.respond("a@x.co", skin="oily")
            world.respond("b@x.co")
            with world.engine.connect() as worker1:
                head = worker1.execute(
                    sa.select(outbox.c.seq)
                    .where(outbox.c.user_key == "a@x.co")
                    .order_by(outbox.c.seq)
                    .limit(1)
                    .with_for_update()
                ).scalar_one()
                assert head
                items = world.outbox.claim(world.dest_id, "worker-2", 75, 60, T0)
                assert [i.user_key for i in items] == ["b@x.co"]
                worker1.rollback()
            later = world.outbox.claim(world.dest_id, "worker-3", 75, 60, T0)
            assert [(i.user_key, i.attributes["skin_type"]) for i in later] == [("a@x.co", "dry"), ("a@x.co", "oily")]
        finally:
            world.engine.dispose()
