"""Events reach the log in batches, off the caller's thread: by size, by time and on close; a
failed write is kept for the next flush; memory stays bounded while the log is down."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from zeroparty.adapters.memory.analytics import MemoryAnalytics
from zeroparty.domain.experience.funnel import Event, EventKind
from zeroparty.services.analytics_ports import Window
from zeroparty.services.event_buffer import EventBuffer

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def load(i: int = 0) -> Event:
    return Event(EventKind.LOAD, "skin-quiz", T0, 1, duration_ms=i)


def wait_for(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_full_batch_is_written_at_once_in_one_append() -> None:
    log = MemoryAnalytics()
    buffer = EventBuffer(log, max_batch=10, flush_s=60).start()
    try:
        for i in range(10):
            buffer.record(load(i))
        wait_for(lambda: log.appends == 1)
        assert [e.duration_ms for e in log.events("skin-quiz", Window())] == list(range(10))
    finally:
        buffer.close()


def test_a_partial_batch_is_written_after_the_flush_interval() -> None:
    log = MemoryAnalytics()
    buffer = EventBuffer(log, max_batch=1000, flush_s=0.05).start()
    try:
        buffer.record(load())
        wait_for(lambda: log.appends == 1)
    finally:
        buffer.close()


def test_close_writes_what_is_left() -> None:
    log = MemoryAnalytics()
    buffer = EventBuffer(log, max_batch=1000, flush_s=60).start()
    buffer.record(load())
    buffer.record(load())
    buffer.close()
    assert log.appends == 1 and buffer.written == 2 and buffer.pending() == 0


class Failing:
    def __init__(self) -> None:
        self.down = True
        self.got: list[Event] = []

    def append(self, events: Sequence[Event]) -> None:
        if self.down:
            raise OSError("the database is away")
        self.got += events


def test_a_failed_write_is_kept_and_written_by_a_later_flush() -> None:
    log = Failing()
    buffer = EventBuffer(log, max_batch=1000, flush_s=60)
    buffer.record(load(1))
    assert buffer.flush() == 0 and buffer.pending() == 1
    buffer.record(load(2))
    log.down = False
    assert buffer.flush() == 2
    assert [e.duration_ms for e in log.got] == [1, 2]  # in the order recorded


def test_while_the_log_is_down_memory_is_bounded_and_what_is_dropped_is_counted() -> None:
    log = Failing()
    buffer = EventBuffer(log, max_batch=1000, flush_s=60, max_pending=5)
    for i in range(8):
        buffer.record(load(i))
    buffer.flush()
    assert (buffer.pending(), buffer.dropped) == (5, 3)


class Slow:
    def __init__(self) -> None:
        self.release = threading.Event()

    def append(self, events: Sequence[Event]) -> None:
        self.release.wait(5)


def test_recording_never_waits_for_a_slow_log() -> None:
    log = Slow()
    buffer = EventBuffer(log, max_batch=1, flush_s=60).start()
    try:
        started = time.monotonic()
        for i in range(200):
            buffer.record(load(i))
        assert time.monotonic() - started < 0.5
    finally:
        log.release.set()
        buffer.close()
