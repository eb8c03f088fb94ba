"""Request body limits, enforced before any handler runs.

The whole body is read here, against a size limit counted on the bytes actually received (a small or
missing Content-Length is not trusted) and against a deadline, then handed to the app. A client that
sends part of a body and goes silent, or drips it a byte at a time, is answered 408 and cut off when the
deadline passes; it holds nothing but its own connection meanwhile (no thread, no database connection).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_BODY_TIMEOUT_S = 5.0


def too_large_body(max_bytes: int) -> dict[str, object]:
    return {
        "detail": f"request body is larger than {max_bytes} bytes",
        "errors": [{"field": "body", "message": f"must be at most {max_bytes} bytes"}],
    }


def too_slow_body(timeout_s: float) -> dict[str, object]:
    return {
        "detail": f"the request body did not arrive within {timeout_s:g} s",
        "errors": [{"field": "body", "message": f"must arrive within {timeout_s:g} s"}],
    }


class _Disconnected(Exception):
    """The client went away while sending its body: nothing to answer."""


class BodyLimits:
    """`max_bytes` for every path, except under `own_limit_prefixes`: apps mounted there answer their
    own 413 (the Braze sandbox answers Braze's), so they get the first limit + 1 bytes to see it."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
        own_limit_prefixes: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.own_limits = dict(own_limit_prefixes or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own = next((n for p, n in self.own_limits.items() if scope["path"].startswith(p)), None)
        limit = own if own is not None else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if own is None and declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, too_large_body(limit))
            return
        try:
            # A deadline on this task, not `wait_for`: that makes a task and a future per request.
            async with asyncio.timeout(self.timeout_s):
                body = await _read(receive, limit)
        except TimeoutError:
            await _answer(send, 408, too_slow_body(self.timeout_s))
            return
        except _Disconnected:
            return
        if len(body) > limit and own is None:
            await _answer(send, 413, too_large_body(limit))
            return
        await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive, limit: int) -> bytes:
    """The body; reading stops once more than `limit` bytes arrived (the caller sees the excess)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit or not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: disconnect notices, as the server gives them

    return replay


async def _answer(send: Send, status: int, payload: dict[str, object]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
