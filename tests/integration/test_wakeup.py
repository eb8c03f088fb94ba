"""The commit watcher (adapters/db/wakeup.py) on a real SQLite file and a real PostgreSQL database:
rows queued by another connection wake a worker; nothing wakes it when nothing was queued."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.support.outbox_world import T0, World
from zeroparty.adapters.db.outbox_sql.queue import enqueue_users
from zeroparty.adapters.db.wakeup import CommitWatcher


class Wakes:
    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.event.set()

    def settled(self, quiet_s: float = 0.5) -> int:
        """The count once no wake has come for `quiet_s`."""
        while True:
            self.event.clear()
            if not self.event.wait(quiet_s):
                return self.count


@pytest.fixture
def watched(world: World) -> Iterator[tuple[World, Wakes]]:
    wakes = Wakes()
    watcher = CommitWatcher(world.engine, wakes, interval=0.02)
    watcher.start()
    yield world, wakes
    started = time.monotonic()
    watcher.stop()
    assert time.monotonic() - started < 2, "the watcher must stop promptly"


def test_a_response_captured_elsewhere_wakes_the_worker(watched: tuple[World, Wakes]) -> None:
    world, wakes = watched
    before = wakes.settled()
    world.respond("a@x.co")
    assert wakes.event.wait(5), "no wake after a committed response"
    assert wakes.settled() > before


def test_nothing_committed_wakes_nobody(watched: tuple[World, Wakes]) -> None:
    _world, wakes = watched
    before = wakes.settled()
    time.sleep(1.0)
    assert wakes.count == before


def test_queueing_rolled_back_wakes_nobody(watched: tuple[World, Wakes]) -> None:
    world, wakes = watched
    before = wakes.settled()
    with world.engine.connect() as conn:
        with conn.begin() as tx:
            enqueue_users(conn, [world.dest_id], ["rolled@x.co"], T0)
            tx.rollback()
        assert conn.execute(sa.text("SELECT count(*) FROM delivery_queue")).scalar_one() == 0
    time.sleep(1.0)
    assert wakes.count == before
