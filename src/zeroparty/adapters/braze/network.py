"""The sockets under the Braze client: httpx's own pool, with one check made cheap.

Before every request and after every answer, the connection pool asks each idle keep-alive
connection whether the peer has closed it ("is_readable"). httpcore answers that through anyio,
which builds a table of every attribute of the socket to hand back one of them: with eight
connections kept open, that was an eighth of the worker's interpreter time per request (measured
with py-spy; docs/delivery.md, "Throughput"). Here the socket is looked up once, when the
connection opens, and the check is a zero-timeout poll of it.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


def _readable(sock: socket.socket | None) -> bool:
    """True when the peer sent something or closed: an idle HTTP/1.1 connection must not be reused."""
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


class _Backend(httpcore.AnyIOBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await super().connect_tcp(host, port, timeout, local_address, socket_options))


def transport() -> httpx.AsyncHTTPTransport:
    """httpx's transport with its default settings, over connections whose reuse check is cheap."""
    made = httpx.AsyncHTTPTransport()
    # httpx takes no network backend of its own: its pool's is swapped before any connection opens.
    # tests/unit/adapters/test_braze_network.py fails if httpx or httpcore stop keeping it there.
    made._pool._network_backend = _Backend()
    return made
