"""A flood of idle sockets against `zeroparty serve` at its descriptor limit: requests from real
clients keep being served in their usual time, the idle sockets are cut, and the log stays small
(docs/security.md, "Connections")."""

from __future__ import annotations

import socket
import statistics
import time
from pathlib import Path

import httpx

from tests.support.definitions import ROOT
from tests.support.processes import cli_env, server_process
from tests.support.server import is_closed
from tests.support.waiting import wait_for

NOFILE = 256  # the server's descriptor limit: 128 connections once it keeps its reserve
IDLE = 400  # more idle sockets than it has descriptors
HEADER_TIMEOUT_S = 2


def timed_requests(base: str, count: int) -> list[float]:
    """Seconds each of `count` requests took, each on a connection of its own, as a new visitor's would."""
    times = []
    for _ in range(count):
        started = time.monotonic()
        r = httpx.get(base + "/healthz", headers={"connection": "close"}, timeout=10)
        assert r.status_code == 200, r.text
        times.append(time.monotonic() - started)
    return times


def test_idle_sockets_at_the_descriptor_limit_never_starve_real_requests(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", ZEROPARTY_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT_S), ZEROPARTY_WORKER="false")
    log = tmp_path / "serve.log"
    with server_process(["serve"], env, log, ROOT, nofile=NOFILE) as base:
        usual = timed_requests(base, 20)
        host, port = base.removeprefix("http://").split(":")
        idle = [socket.create_connection((host, int(port)), timeout=10) for _ in range(IDLE)]
        try:
            under_flood = timed_requests(base, 40)
            # An accept paused at the descriptor limit would cost a request a second or more.
            assert max(under_flood) < 1 + max(usual), (usual, under_flood)
            assert statistics.median(under_flood) < 5 * statistics.median(usual) + 0.05, (usual, under_flood)
            # Each idle socket is cut: to make room, or when its header deadline passes.
            wait_for(lambda: sum(is_closed(s) for s in idle), lambda n: n == IDLE, timeout=HEADER_TIMEOUT_S + 15)
        finally:
            for s in idle:
                s.close()
        assert timed_requests(base, 5)
    text = log.read_text()
    assert len(text) < 16_000, text[-2000:]
    # The cap keeps the process below its descriptor limit: not one accept failed.
    assert "cannot accept connections" not in text and "out of system resource" not in text, text[-2000:]
