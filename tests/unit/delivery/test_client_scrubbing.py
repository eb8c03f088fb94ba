"""The Braze client keeps the API key out of the messages it makes from what the peer said."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from zeroparty.adapters.braze.client import BrazeClient
from zeroparty.delivery.ports import SendResult
from zeroparty.errors import RetryableDeliveryError

KEY = "8c3f1e2a-5b7d-4e9f-a1c2-d3e4f5a6b7c8"


def send(handler: object) -> SendResult:
    async def go() -> SendResult:
        client = BrazeClient(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
        try:
            return await client.post_track("https://rest.iad-01.braze.com", KEY, {"attributes": []})
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_a_non_json_answer_cut_short_inside_the_key_is_scrubbed() -> None:
    page = "x" * 480 + f"token={KEY.upper()}"  # the 500-character cut falls inside the key
    result = send(lambda _r: httpx.Response(401, text=page))
    assert result.body == {"message": "x" * 480 + "token=[redacted]"}


def test_transport_error_messages_are_scrubbed() -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"proxy refused Bearer {KEY[:20]}")

    with pytest.raises(RetryableDeliveryError) as caught:
        send(handler)
    assert str(caught.value).endswith("proxy refused Bearer [redacted])")
    assert KEY[:8] not in str(caught.value)
