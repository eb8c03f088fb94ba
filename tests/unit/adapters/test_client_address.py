"""The client address and scheme every handler sees: from X-Forwarded-* only through the
configured trusted proxies; and the setting that names them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from zeroparty.adapters.http.client_address import ClientAddress
from zeroparty.config import Settings
from zeroparty.domain.client_address import parse_trusted
from zeroparty.errors import ConfigurationError


def _seen(peer: str, headers: dict[str, str], trusted: str = "10.0.0.0/8,127.0.0.1") -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def app(scope: Any, _receive: Any, _send: Any) -> None:
        seen.update(client=scope["client"], scheme=scope["scheme"])

    scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    asyncio.run(ClientAddress(app, parse_trusted(trusted))(scope, None, None))  # type: ignore[arg-type]
    return seen


def test_a_trusted_proxy_names_the_client_and_the_scheme() -> None:
    seen = _seen("10.1.1.1", {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"})
    assert seen == {"client": ("198.51.100.7", 0), "scheme": "https"}


def test_anyone_else_is_taken_at_its_word_for_nothing() -> None:
    seen = _seen("203.0.113.5", {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"})
    assert seen == {"client": ("203.0.113.5", 5000), "scheme": "http"}
    assert _seen("10.1.1.1", {"X-Forwarded-For": "198.51.100.7"}, trusted="")["client"] == ("10.1.1.1", 5000)
    assert _seen("10.1.1.1", {"X-Forwarded-Proto": "gopher"})["scheme"] == "http"


def test_trusted_proxies_are_configured_by_environment() -> None:
    assert Settings().trusted_proxies == "127.0.0.1,::1"
    assert Settings.from_env({"ZEROPARTY_TRUSTED_PROXIES": "10.0.0.0/8,127.0.0.1"}).trusted_proxies == (
        "10.0.0.0/8,127.0.0.1"
    )
    assert parse_trusted(Settings.from_env({"ZEROPARTY_TRUSTED_PROXIES": "none"}).trusted_proxies) == ()
    with pytest.raises(ConfigurationError, match="ZEROPARTY_TRUSTED_PROXIES: 'proxy' is not an address"):
        Settings.from_env({"ZEROPARTY_TRUSTED_PROXIES": "10.0.0.0/8,proxy"})
