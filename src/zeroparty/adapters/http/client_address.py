"""The request's client address and scheme, as the deployment's trusted proxies tell them.

Only a request whose connection comes from a proxy in `ZEROPARTY_TRUSTED_PROXIES` has its
`X-Forwarded-For` and `X-Forwarded-Proto` read (domain/client_address.py); from anyone else they are
ignored. Everything after this sees the resolved address as ASGI's `client`: the login limits, the
start rate limit. (uvicorn's own proxy header handling is off, so this is the one place.)
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from zeroparty.domain.client_address import Network, client_address, is_trusted


class ClientAddress:
    def __init__(self, app: ASGIApp, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            scope = self._resolved(scope)
        await self.app(scope, receive, send)

    def _resolved(self, scope: Scope) -> Scope:
        client = scope.get("client")
        peer = client[0] if client else None
        if not is_trusted(peer, self.trusted):
            return scope
        headers = scope["headers"]
        forwarded = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-for"]
        host = client_address(peer, forwarded, self.trusted)
        changed = dict(scope)
        if host != peer:
            changed["client"] = (host, 0)
        protos = [v.decode("latin-1") for k, v in headers if k == b"x-forwarded-proto"]
        proto = protos[-1].split(",")[-1].strip().lower() if protos else ""
        if proto in ("http", "https"):
            changed["scheme"] = proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
        return changed
