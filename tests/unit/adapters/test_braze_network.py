"""The Braze client's connections: kept open between requests, and never reused once the peer has
closed one (the check that `adapters/braze/network.py` makes cheap)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore

from zeroparty.adapters.braze import network
from zeroparty.adapters.braze.client import BrazeClient

ANSWER = b'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 22\r\n\r\n{"message": "success"}'


@contextmanager
def peer(close_after_answer: bool) -> Iterator[tuple[str, list[int]]]:
    """A minimal HTTP/1.1 peer on an ephemeral port; yields its URL and the connections it accepted."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    def answer(conn: socket.socket) -> None:
        with conn:
            buf = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                head, sep, rest = buf.partition(b"\r\n\r\n")
                if not sep:
                    continue
                length = int(next(v for k, v in (h.split(b": ", 1) for h in head.split(b"\r\n")[1:])
                                  if k.lower() == b"content-length"))  # fmt: skip
                if len(rest) < length:
                    continue
                buf = rest[length:]
                conn.sendall(ANSWER)
                if close_after_answer:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join()
        server.close()


def post_n(url: str, n: int, pause_s: float = 0.0) -> list[int]:
    async def go() -> list[int]:
        client = BrazeClient()
        try:
            statuses = []
            for _ in range(n):
                statuses.append((await client.post_track(url, "key", {"attributes": [{"email": "a@x.co"}]})).status)
                await asyncio.sleep(pause_s)
            return statuses
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_the_client_uses_the_quick_backend() -> None:
    # Fails if httpx or httpcore stop keeping the pool's backend where `network.transport` sets it.
    made = network.transport()
    pool = made._pool
    assert isinstance(pool, httpcore.AsyncConnectionPool)
    assert isinstance(pool._network_backend, network._Backend)


def test_one_connection_serves_every_request_while_the_peer_keeps_it() -> None:
    with peer(close_after_answer=False) as (url, accepted):
        assert post_n(url, 5) == [201] * 5
    assert len(accepted) == 1


def test_a_connection_the_peer_closed_is_not_reused() -> None:
    # The peer closes after each answer; had the client reused the closed connection, the next
    # request would fail with a read error instead of opening a new one.
    with peer(close_after_answer=True) as (url, accepted):
        assert post_n(url, 3, pause_s=0.05) == [201] * 3
    assert len(accepted) == 3
