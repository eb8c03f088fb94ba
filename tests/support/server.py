"""Serve an ASGI app over real HTTP on an ephemeral loopback port, in a background thread, with the
same connection guards as `zeroparty serve` (adapters/http/serving.py)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from zeroparty.adapters.http.serving import GuardedServer, ServerLimits, server_config, url_of


def bound_socket(host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound to a port the kernel picked; the caller holds it, so nobody else can."""
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets that say they are TCP,
    # and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


@contextmanager
def serve(app: Any, host: str = "127.0.0.1", limits: ServerLimits | None = None) -> Iterator[str]:
    """Yield the base URL (`http://127.0.0.1:PORT`) while uvicorn serves `app`; stop on exit."""
    sock = bound_socket(host)
    config = server_config(app, limits or ServerLimits(), "warning", lifespan="on", timeout_graceful_shutdown=5)
    server = GuardedServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def is_closed(sock: socket.socket) -> bool:
    """Whether the server has closed `sock` (whatever it sent first, such as a 408, is read and dropped)."""
    sock.settimeout(0.001)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except OSError:
        return True
    return True
