"""The connection guards' decisions: the cap, which connection makes room, the accept-error log."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from zeroparty.adapters.http.serving import AcceptErrorLog, ConnectionGate, Evictable, accept_backlog, connection_cap


class Conn(Evictable):
    def __init__(self, name: str) -> None:
        self.name = name
        self.was_cut = False

    def cut(self) -> None:
        self.was_cut = True

    def __repr__(self) -> str:
        return self.name


def test_the_cap_keeps_descriptors_for_everything_else_and_for_bursts_of_accepts() -> None:
    assert (accept_backlog(256), connection_cap(256)) == (32, 256 - 64 - 64)
    assert (accept_backlog(1024), connection_cap(1024)) == (128, 1024 - 128 - 256)
    assert (accept_backlog(65536), connection_cap(65536)) == (2048, 65536 - 8192 - 4096)
    assert (accept_backlog(50), connection_cap(50)) == (16, 16)  # never below a usable floor


def test_at_the_cap_the_longest_waiting_connection_makes_room() -> None:
    gate = ConnectionGate(cap=3)
    a, b, c, d = Conn("a"), Conn("b"), Conn("c"), Conn("d")
    for conn in (a, b, c):
        gate.opened(conn)
    gate.busy(a)  # a sent its headers: it is being served, never cut
    gate.opened(d)
    assert (a.was_cut, b.was_cut, c.was_cut, d.was_cut) == (False, True, False, False)
    assert gate.open == 3 and gate.evicted == 1


def test_a_newcomer_is_cut_when_every_connection_is_busy() -> None:
    gate = ConnectionGate(cap=2)
    a, b, c = Conn("a"), Conn("b"), Conn("c")
    for conn in (a, b):
        gate.opened(conn)
        gate.busy(conn)
    gate.opened(c)
    assert (a.was_cut, b.was_cut, c.was_cut) == (False, False, True)
    assert gate.open == 2


def test_a_kept_alive_connection_waiting_again_is_evictable_again() -> None:
    gate = ConnectionGate(cap=2)
    a, b, c = Conn("a"), Conn("b"), Conn("c")
    gate.opened(a)
    gate.busy(a)
    gate.opened(b)
    gate.waiting(a)  # a's response went out; it idles before its next request
    gate.closed(b)
    gate.opened(c)
    gate.busy(c)
    assert not a.was_cut
    gate.opened(Conn("d"))
    assert a.was_cut


class Loop:
    def __init__(self) -> None:
        self.default: list[dict[str, Any]] = []

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        self.default.append(context)


def test_failed_accepts_are_logged_once_per_interval_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    handler = AcceptErrorLog(interval_s=10, clock=lambda: now[0])
    loop = Loop()
    failed = {"message": "socket.accept() out of system resource", "exception": OSError(24, "Too many open files")}
    with caplog.at_level(logging.ERROR, logger="zeroparty.server"):
        for step in range(3200 * 5):  # five seconds at 3,200 failures a second
            now[0] = step / 3200
            handler(loop, failed)  # type: ignore[arg-type]
        now[0] = 10.5
        handler(loop, failed)  # type: ignore[arg-type]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "Too many open files" in lines[0] and "(1 time(s)" in lines[0]
    assert f"({3200 * 5} time(s)" in lines[1]
    assert not loop.default


def test_other_loop_errors_go_to_the_default_handler() -> None:
    loop = Loop()
    AcceptErrorLog()(loop, {"message": "Task exception was never retrieved"})  # type: ignore[arg-type]
    assert loop.default == [{"message": "Task exception was never retrieved"}]
