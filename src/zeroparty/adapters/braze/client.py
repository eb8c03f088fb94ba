"""HTTP transport to Braze (or the sandbox). The httpx transport is injectable for tests.

Text this client makes up from what the transport or the peer said is scrubbed of the API key
here; the engine scrubs again whatever it stores or logs."""

from __future__ import annotations

import json
from typing import Any

import httpx

from zeroparty import USER_AGENT
from zeroparty.delivery.ports import SendResult
from zeroparty.domain.scrub import scrub
from zeroparty.errors import RetryableDeliveryError, TerminalDeliveryError

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)


class BrazeClient:
    def __init__(
        self, transport: httpx.AsyncBaseTransport | None = None, timeout: httpx.Timeout = DEFAULT_TIMEOUT
    ) -> None:
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    async def post_track(self, endpoint: str, api_key: str, body: dict[str, Any]) -> SendResult:
        return await self.post(endpoint, "/users/track", api_key, body)

    async def post(self, endpoint: str, path: str, api_key: str, body: dict[str, Any]) -> SendResult:
        url = endpoint.rstrip("/") + path
        try:
            resp = await self._client.post(url, json=body, headers={"Authorization": f"Bearer {api_key}"})
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise TerminalDeliveryError(scrub(f"the endpoint {endpoint} cannot be used: {exc}", api_key)) from None
        except httpx.TimeoutException as exc:
            raise RetryableDeliveryError(f"timed out talking to {endpoint} ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise RetryableDeliveryError(
                scrub(f"could not reach {endpoint} ({type(exc).__name__}: {exc})", api_key)
            ) from None
        try:
            parsed: Any = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            # Cut short, an echoed key may survive only in part: the scrubber catches runs of it.
            parsed = {"message": scrub(resp.text[:500], api_key)}
        return SendResult(resp.status_code, dict(resp.headers), parsed)

    async def aclose(self) -> None:
        await self._client.aclose()
