"""The Braze client keeps the API key out of the messages it makes from what the peer said."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support.processes import closed_port
from zeroparty.adapters.braze.client import BrazeClient
from zeroparty.delivery.ports import SendResult
from zeroparty.errors import NotDeliveredError, RetryableDeliveryError

KEY = "8c3f1e2a-5b7d-4e9f-a1c2-d3e4f5a6b7c8"


def send(handler: object) -> SendResult:
    async def go() -> SendResult:
        client = BrazeClient(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
        try:
            return await client.post_track("https://rest.iad-01.braze.com", KEY, {"attributes": []})
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_a_non_json_page_is_one_line_cut_short_with_its_length_and_no_key() -> None:
    # A proxy's error page: the cut falls five characters into the key, too few for the scrubber
    # to recognise had it come after the cut.
    page = "<html>\n<body>\n" + "x" * 161 + KEY.upper() + "\n" + "y" * 3000 + "\n</body>\n</html>"
    result = send(lambda _r: httpx.Response(502, text=page))
    message = result.body["message"]
    assert message.startswith("<html> <body> " + "x" * 161 + "[reda")
    assert message.endswith(f"… ({len(page):,} characters)") and len(message) <= 200
    assert KEY[:4].upper() not in message.upper()


def test_a_short_non_json_answer_is_kept_whole_on_one_line() -> None:
    result = send(lambda _r: httpx.Response(401, text=f"Unauthorized:\n  key {KEY} is not valid\n"))
    assert result.body == {"message": "Unauthorized: key [redacted] is not valid"}


def test_transport_error_messages_are_scrubbed() -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"proxy refused Bearer {KEY[:20]}")

    with pytest.raises(RetryableDeliveryError) as caught:
        send(handler)
    assert str(caught.value).endswith("proxy refused Bearer [redacted])")
    assert KEY[:8] not in str(caught.value)


def test_a_refused_connection_is_told_apart_from_a_request_that_may_have_landed() -> None:
    """A connection Braze never accepted is NotDeliveredError (a plain retry); a connection that
    dropped after the request went is only RetryableDeliveryError (the outcome is unknown)."""

    async def refused(port: int) -> None:
        client = BrazeClient()
        try:
            await client.post_track(f"http://127.0.0.1:{port}", KEY, {"attributes": []})
        finally:
            await client.aclose()

    with closed_port() as port, pytest.raises(NotDeliveredError, match="could not reach"):
        asyncio.run(refused(port))

    def drop(_request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    with pytest.raises(RetryableDeliveryError) as dropped:
        send(drop)
    assert not isinstance(dropped.value, NotDeliveredError)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectTimeout("timed out connecting"),
        httpx.ConnectError("[Errno -2] Name or service not known"),  # DNS
        httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),  # TLS, before sending
        httpx.PoolTimeout("no connection free"),
    ],
    ids=["connect-timeout", "dns", "tls", "pool-timeout"],
)
def test_a_request_that_never_left_is_a_plain_retry(failure: Exception) -> None:
    def fail(_request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(NotDeliveredError, match="could not reach"):
        send(fail)
