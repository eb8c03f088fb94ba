"""The connection guards on a real server (in this process): a client that does not send its
headers in time is cut with a 408, and at the connection cap idle sockets make room for clients
that do send requests. The same guards under a real descriptor limit, in a process of its own:
tests/reliability/test_idle_flood.py."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.support.server import is_closed, serve
from tests.support.waiting import wait_for
from zeroparty.adapters.http.serving import ServerLimits


async def hello(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


APP = Starlette(routes=[Route("/", hello)])


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    got = b""
    while chunk := sock.recv(4096):
        got += chunk
    return got


@pytest.fixture
def quick() -> Iterator[str]:
    with serve(APP, limits=ServerLimits(header_timeout_s=0.5, max_connections=20)) as base:
        yield base


def test_a_client_that_sends_no_headers_is_cut_with_a_408(quick: str) -> None:
    with connect(quick) as silent:
        started = time.monotonic()
        answer = read_all(silent)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert time.monotonic() - started < 5


def test_a_client_dripping_its_headers_is_cut_too(quick: str) -> None:
    with connect(quick) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\n")
        for _ in range(3):  # 0.6 s of bytes trickling in, each well inside the deadline
            time.sleep(0.2)
            try:
                slow.sendall(b"x-a: b\r\n")
            except OSError:
                break
        assert read_all(slow).startswith(b"HTTP/1.1 408 ")


def test_a_kept_alive_connection_serves_request_after_request(quick: str) -> None:
    with httpx.Client(base_url=quick) as client:
        for _ in range(3):
            assert client.get("/").text == "hello"
            time.sleep(0.3)  # idle between requests is the keep-alive timeout's business, not the header deadline's


def test_at_the_cap_idle_sockets_make_room_for_real_requests(quick: str) -> None:
    idle = [connect(quick) for _ in range(60)]  # three times the cap of 20
    try:
        with httpx.Client(base_url=quick, timeout=5) as client:
            for _ in range(10):
                assert client.get("/", headers={"connection": "close"}).text == "hello"

        def cut() -> int:
            return sum(is_closed(s) for s in idle)

        # The first 40 are cut at once to make room; the rest by the header deadline.
        wait_for(cut, lambda n: n == len(idle), timeout=10, interval=0.1)
    finally:
        for s in idle:
            s.close()
