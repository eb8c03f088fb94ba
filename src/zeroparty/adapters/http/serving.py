"""Serving the app over HTTP/1.1 (uvicorn's h11 protocol) so that it holds when exposed.

uvicorn on its own waits forever for a client's request headers, and accepts connections until the
process runs out of file descriptors; at that point every request times out and asyncio logs each
failed accept. Three guards, all at the connection level (docs/security.md, "Connections"):

- a header deadline: a connection must deliver a request's headers within `header_timeout_s` of
  opening (or of its first byte after a kept-alive response); otherwise it gets a 408 and is closed;
- a connection cap below the descriptor limit: when it is reached, the connection that has waited
  longest without sending headers is closed to make room, so idle sockets can never starve clients
  that do send requests;
- failed accepts (out of descriptors or memory) are logged once per interval with a count.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from zeroparty.adapters.http.access_log import MaskResponseIds

log = logging.getLogger("zeroparty.server")

HEADER_TIMEOUT_S = 5.0
KEEP_ALIVE_S = 5
ACCEPT_LOG_INTERVAL_S = 10.0
MAX_NOFILE = 65536  # the soft descriptor limit is raised towards the hard one, up to this
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"


@dataclass(frozen=True)
class ServerLimits:
    header_timeout_s: float = HEADER_TIMEOUT_S
    keep_alive_s: int = KEEP_ALIVE_S
    max_connections: int | None = None  # None: from the descriptor limit (`connection_cap`)


def accept_backlog(nofile: int) -> int:
    """The listen backlog, which is also how many connections asyncio accepts in one go before any
    of them reaches the gate: bounded by the descriptors, so a burst cannot run the process out."""
    return max(16, min(2048, nofile // 8))


def connection_cap(nofile: int) -> int:
    """How many connections a process with `nofile` descriptors may hold: the rest is kept for the
    database, log and data files and the threads' work (an eighth, at least 64), and for two bursts
    of accepted connections that the gate has not seen yet (`accept_backlog`)."""
    return max(16, nofile - max(64, nofile // 8) - 2 * accept_backlog(nofile))


def raise_nofile_limit(ceiling: int = MAX_NOFILE) -> int:
    """Raise the soft descriptor limit to the hard one (up to `ceiling`); the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = ceiling if hard == resource.RLIM_INFINITY else min(hard, ceiling)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return ceiling if soft == resource.RLIM_INFINITY else soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):
        return soft
    return wanted


class Evictable(Protocol):
    """What the gate needs of a connection: a way to cut it."""

    def cut(self) -> None: ...


class ConnectionGate:
    """Counts one server's connections; at the cap, makes room by cutting the connection that has
    waited longest for its headers (the newcomer itself when none is waiting)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open = 0
        self.evicted = 0
        self._waiting: dict[Evictable, None] = {}  # insertion order: oldest first

    def opened(self, conn: Evictable) -> None:
        self.open += 1
        self._waiting[conn] = None
        if self.open > self.cap:
            victim = next(iter(self._waiting))
            self.evicted += 1
            self.closed(victim)
            victim.cut()

    def waiting(self, conn: Evictable) -> None:
        """`conn` is back to waiting for a request's headers (a kept-alive connection)."""
        self._waiting[conn] = None

    def busy(self, conn: Evictable) -> None:
        """`conn` has sent a request's headers: it is no longer evictable."""
        self._waiting.pop(conn, None)

    def closed(self, conn: Evictable) -> None:
        """`conn` no longer counts: it was closed, or is about to be cut by `opened`."""
        self._waiting.pop(conn, None)
        self.open -= 1


class _GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with the header deadline and the gate (set per server by `protocol_for`)."""

    gate: ConnectionGate
    header_timeout_s: float

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._counted = True
        self._arm()
        self.gate.opened(self)

    def data_received(self, data: bytes) -> None:
        if self._deadline is None and self.conn.their_state is h11.IDLE:
            self._arm()  # the first byte of a request on a kept-alive connection starts its clock
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()
            self.gate.busy(self)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.gate.waiting(self)  # idle between requests: uvicorn's keep-alive timeout runs

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._uncount()
        super().connection_lost(exc)

    def cut(self) -> None:
        """Closed by the gate to make room; the gate has already stopped counting it."""
        self._counted = False
        self._disarm()
        self.transport.close()

    def _uncount(self) -> None:
        if self._counted:
            self._counted = False
            self.gate.closed(self)

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_late)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_late(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.write(_TIMED_OUT)
            self.transport.close()


def protocol_for(gate: ConnectionGate, header_timeout_s: float) -> type[H11Protocol]:
    """A protocol class bound to one server's gate and deadline (uvicorn instantiates it per connection)."""
    return type("GuardedH11", (_GuardedH11,), {"gate": gate, "header_timeout_s": header_timeout_s})


class AcceptErrorLog:
    """An event-loop exception handler that reports failed accepts once per `interval_s` with how
    many there were, instead of once per attempt; everything else goes to the default handler."""

    def __init__(self, interval_s: float = ACCEPT_LOG_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._count = 0
        self._next_at = float("-inf")

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not str(context.get("message", "")).startswith("socket.accept() out of system resource"):
            loop.default_exception_handler(context)
            return
        self._count += 1
        now = self._clock()
        if now < self._next_at:
            return
        log.error(
            "cannot accept connections: %s (%d time(s) since the last report); raise the descriptor limit "
            "(ulimit -n) or lower ZEROPARTY_MAX_CONNECTIONS (docs/security.md)",
            context.get("exception"),
            self._count,
        )
        self._count = 0
        self._next_at = now + self.interval_s


class GuardedServer(uvicorn.Server):
    """uvicorn's server with the accept-error log installed, calling `on_started` once it listens."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self._on_started = on_started

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # uvicorn raises a stopping signal again once it has shut down, so Ctrl-C ends the command
        # with status 130 (and `make demo` with an error); a stop asked for is a clean stop here.
        self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().set_exception_handler(AcceptErrorLog())
        await super().startup(sockets)
        if self.started and self._on_started is not None:
            self._on_started()


def server_config(app: Any, limits: ServerLimits, log_level: str, **options: Any) -> uvicorn.Config:
    nofile = raise_nofile_limit()
    cap = connection_cap(nofile)
    if limits.max_connections is not None:
        cap = min(cap, limits.max_connections)
    log.debug("descriptor limit %d: up to %d connections", nofile, cap)
    config = uvicorn.Config(
        app,
        http=protocol_for(ConnectionGate(cap), limits.header_timeout_s),
        backlog=accept_backlog(nofile),
        timeout_keep_alive=limits.keep_alive_s,
        log_level=log_level,
        proxy_headers=False,  # adapters/http/client_address.py reads them, from the trusted proxies only
        **options,
    )
    # After the Config: it (re)configures uvicorn's loggers. Response ids and tokens never reach the log.
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskResponseIds) for f in access.filters):
        access.addFilter(MaskResponseIds())
    return config


def url_of(sock: socket.socket) -> str:
    """`http://host:port` for a bound socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
