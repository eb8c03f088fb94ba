"""What every answer carries and every request line must satisfy, whichever app serves the path.

- Security headers: a strict Content-Security-Policy (own origin only; who may frame the pages is a
  deployment setting), no MIME sniffing, no Referer (a hosted page's URL holds the respondent's
  response id, which must not leak to the sites an outcome links to).
- The request path and query string are percent-decoded strictly: bytes that are not UTF-8 and control
  characters are refused with 400 naming `path` or `query`, before any route sees them.
- HEAD is answered as GET without the body (RFC 9110, 9.3.2), on every route: FastAPI's routes take
  only the methods they are declared with.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zeroparty.domain.untrusted import text_problem

DEFAULT_FRAME_ANCESTORS = "'self'"


def content_security_policy(frame_ancestors: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {frame_ancestors}"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, frame_ancestors: str = DEFAULT_FRAME_ANCESTORS) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(frame_ancestors).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def request_line_problem(raw_path: bytes, query: bytes) -> tuple[str, str] | None:
    """(field, message) when the path or query cannot be accepted, else None."""
    for field, raw in (("path", raw_path), ("query", query.replace(b"+", b" "))):
        try:
            text = unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return field, "is not valid UTF-8 once percent-decoded"
        problem = text_problem(text)
        if problem:
            return field, problem
    return None


class RequestLineGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            problem = request_line_problem(raw_path, scope.get("query_string", b""))
            if problem:
                field, message = problem
                body = json.dumps(
                    {"detail": "the request line is not valid", "errors": [{"field": field, "message": message}]}
                ).encode()
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 400, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


# Set in the scope of a HEAD routed as GET: pages that count views leave such requests out.
WAS_HEAD = "zeroparty.was_head"


class HeadAsGet:
    """Routes a HEAD request as GET and sends the answer's status and headers, never its body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET", WAS_HEAD: True}, receive, without_body)
