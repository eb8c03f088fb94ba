"""HTTP transport to Braze (or the sandbox). The httpx transport is injectable for tests.

Text this client makes up from what the transport or the peer said is scrubbed of the API key
here; the engine scrubs again whatever it stores or logs."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from zeroparty import USER_AGENT
from zeroparty.adapters.braze import network
from zeroparty.delivery.ports import SendResult
from zeroparty.domain import json_bytes
from zeroparty.domain.scrub import PEEK_CHARS, peek, scrub
from zeroparty.errors import NotDeliveredError, RetryableDeliveryError, TerminalDeliveryError

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0)


@dataclass(frozen=True)
class Timed:
    """An answer and how long it took, request sent to answer read."""

    result: SendResult
    latency_ms: float


class BrazeClient:
    def __init__(
        self, transport: httpx.AsyncBaseTransport | None = None, timeout: httpx.Timeout = DEFAULT_TIMEOUT
    ) -> None:
        # Requests go straight to the transport: the client's redirect, auth and cookie steps do
        # nothing here (no redirects are followed, the key is a header) and cost about a quarter of
        # the interpreter time of each request, which a worker spends for every 75 updates.
        self._transport = transport or network.transport()
        self._timeout = timeout.as_dict()

    async def post_track(self, endpoint: str, api_key: str, body: dict[str, Any]) -> SendResult:
        return await self.post(endpoint, "/users/track", api_key, body)

    async def post_identify(self, endpoint: str, api_key: str, emails_to_identify: list[dict[str, Any]]) -> SendResult:
        """`/users/identify` with `emails_to_identify`: each email-only profile takes the external id,
        or is merged into the profile that has it
        (https://www.braze.com/docs/api/endpoints/user_data/post_user_identify)."""
        return await self.post(endpoint, "/users/identify", api_key, {"emails_to_identify": emails_to_identify})

    async def verify(self, endpoint: str, api_key: str) -> Timed:
        """Check a key without writing anything: `/users/track` with an empty body. Braze checks the
        key and its permission first (401 / 403), then refuses the empty batch with a 400; see
        `domain/verify.py` for what each answer means."""
        return await self.timed_post(endpoint, "/users/track", api_key, {})

    async def export_by_email(self, endpoint: str, api_key: str, email: str, fields: list[str]) -> SendResult:
        """`/users/export/ids` for one address
        (https://www.braze.com/docs/api/endpoints/export/user_data/post_users_identifier)."""
        return await self.post(
            endpoint, "/users/export/ids", api_key, {"email_address": email, "fields_to_export": fields}
        )

    async def timed_post(self, endpoint: str, path: str, api_key: str, body: dict[str, Any]) -> Timed:
        started = time.perf_counter()
        result = await self.post(endpoint, path, api_key, body)
        return Timed(result, (time.perf_counter() - started) * 1000)

    async def post(self, endpoint: str, path: str, api_key: str, body: dict[str, Any]) -> SendResult:
        try:
            resp = await self._send(endpoint.rstrip("/") + path, api_key, body)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise TerminalDeliveryError(scrub(f"the endpoint {endpoint} cannot be used: {exc}", api_key)) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Raised before a byte of the request is written (refused, DNS, TLS handshake, no free
            # connection): Braze cannot have applied anything, so the retry is a plain one.
            raise NotDeliveredError(
                scrub(f"could not reach {endpoint} ({type(exc).__name__}: {exc})", api_key)
            ) from None
        except httpx.TimeoutException as exc:
            raise RetryableDeliveryError(f"timed out talking to {endpoint} ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise RetryableDeliveryError(
                scrub(f"could not reach {endpoint} ({type(exc).__name__}: {exc})", api_key)
            ) from None
        try:
            parsed: Any = resp.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            # A proxy's error page, say: one line, cut short, its length told. The scrubber reads
            # more than is kept, so a key across the cut is still caught as a run of it.
            text, read = resp.text, 8 * PEEK_CHARS
            cut = len(text) if len(text) > read else None
            parsed = {"message": peek(scrub(text[:read], api_key), total=cut)}
        return SendResult(resp.status_code, dict(resp.headers), parsed)

    async def _send(self, url: str, api_key: str, body: dict[str, Any]) -> httpx.Response:
        content = json_bytes.dumps(body)
        request = httpx.Request(
            "POST",
            url,
            headers={
                "User-Agent": USER_AGENT,
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            content=content,
            extensions={"timeout": self._timeout},
        )
        resp = await self._transport.handle_async_request(request)
        try:
            await resp.aread()
        finally:
            await resp.aclose()
        return resp

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def export_ids(self, endpoint: str, api_key: str, body: dict[str, Any]) -> SendResult:
        """`/users/export/ids` with a body of `domain.erasure.Sent.lookups` (needs users.export.ids,
        https://www.braze.com/docs/api/endpoints/export/user_data/post_users_identifier)."""
        return await self.post(endpoint, "/users/export/ids", api_key, body)

    async def delete_by_braze_ids(self, endpoint: str, api_key: str, braze_ids: list[str]) -> SendResult:
        """`/users/delete` by `braze_ids`, at most 50 per request: exactly the profiles named, whatever
        other profile shares their email (https://www.braze.com/docs/api/endpoints/user_data/post_user_delete)."""
        if len(braze_ids) > 50:
            raise ValueError("at most 50 braze_ids per /users/delete request")
        return await self.post(endpoint, "/users/delete", api_key, {"braze_ids": braze_ids})
