"""The Braze client through httpx's MockTransport: headers, body, and how failures are typed."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from zeroparty import USER_AGENT
from zeroparty.adapters.braze.client import BrazeClient, Timed
from zeroparty.delivery.ports import SendResult
from zeroparty.errors import RetryableDeliveryError, TerminalDeliveryError


def send(handler: object | None, endpoint: str = "https://rest.iad-01.braze.com") -> SendResult:
    async def go() -> SendResult:
        transport = httpx.MockTransport(handler) if handler else None  # type: ignore[arg-type]
        client = BrazeClient(transport=transport)
        try:
            return await client.post_track(endpoint, "key-123", {"attributes": [{"email": "a@x.co"}]})
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_request_carries_partner_user_agent_bearer_key_and_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"message": "success"}, headers={"X-RateLimit-Remaining": "9"})

    result = send(handler)
    [req] = seen
    assert str(req.url) == "https://rest.iad-01.braze.com/users/track"
    assert req.headers["user-agent"] == USER_AGENT and USER_AGENT.startswith("partner-zeroparty-zeroparty/")
    assert req.headers["authorization"] == "Bearer key-123"
    assert json.loads(req.content) == {"attributes": [{"email": "a@x.co"}]}
    assert result.status == 201 and result.body == {"message": "success"}
    assert result.headers["x-ratelimit-remaining"] == "9"


def test_non_json_answers_are_kept_as_a_message() -> None:
    result = send(lambda _r: httpx.Response(502, text="<html>Bad gateway</html>"))
    assert result.status == 502 and result.body == {"message": "<html>Bad gateway</html>"}


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")]
)
def test_transport_failures_are_retryable(error: Exception) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(RetryableDeliveryError):
        send(handler)


def test_an_unusable_endpoint_is_terminal() -> None:
    with pytest.raises(TerminalDeliveryError, match="cannot be used"):
        send(None, endpoint="ftp://rest.iad-01.braze.com")  # the real transport refuses it before any I/O


def call(handler: object, fn: str, *args: str) -> object:
    async def go() -> object:
        client = BrazeClient(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]
        try:
            return await getattr(client, fn)("https://rest.iad-03.braze.com", "key-123", *args)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_verify_posts_an_empty_track_body_with_the_partner_user_agent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(400, json={"message": "Valid data must be provided in the 'attributes' …"})

    timed = call(handler, "verify")
    [req] = seen
    assert str(req.url) == "https://rest.iad-03.braze.com/users/track" and json.loads(req.content) == {}
    assert req.headers["user-agent"] == USER_AGENT and req.headers["authorization"] == "Bearer key-123"
    assert isinstance(timed, Timed) and timed.result.status == 400 and timed.latency_ms >= 0


def test_export_by_email_and_delete_by_braze_ids_use_brazes_documented_bodies() -> None:
    seen: list[tuple[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, json.loads(request.content)))
        return httpx.Response(201, json={"message": "success"})

    call(handler, "export_by_email", "a@x.co", ["email"])  # type: ignore[arg-type]
    call(handler, "delete_by_braze_ids", ["b1", "b2"])  # type: ignore[arg-type]
    assert seen == [
        ("/users/export/ids", {"email_address": "a@x.co", "fields_to_export": ["email"]}),
        ("/users/delete", {"braze_ids": ["b1", "b2"]}),
    ]
