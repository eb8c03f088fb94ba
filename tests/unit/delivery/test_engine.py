"""The delivery engine's decisions, driven through its ports with in-memory fakes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from zeroparty.delivery.engine import DeliveryEngine, EngineSettings
from zeroparty.delivery.ports import ClaimedItem, Destination, SendResult
from zeroparty.domain.braze_payload import BrazeLimits, DeliveryPlan, UserObject, plan_delivery
from zeroparty.domain.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from zeroparty.errors import RetryableDeliveryError, TerminalDeliveryError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = "rest-key-0f3a9c"


@dataclass
class Row:
    id: str
    user: str
    attrs: dict[str, Any]
    state: str = "pending"
    attempts: int = 0
    available_at: datetime = T0
    error: str | None = None


@dataclass
class MemoryOutbox:
    rows: list[Row] = field(default_factory=list)
    paused: tuple[str, datetime | None] | None = None

    def add(self, user: str, **attrs: Any) -> None:
        self.rows.append(Row(str(len(self.rows)), user, attrs))

    def ready_destinations(self, now: datetime) -> list[Destination]:
        if self.paused and (self.paused[1] is None or self.paused[1] > now):
            return []
        return [Destination(1, "d", "http://braze.test", KEY, pause_expired=self.paused is not None)]

    def claim(
        self,
        destination_id: int,
        owner: str,
        max_users: int,
        lease_s: float,
        now: datetime,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) -> list[ClaimedItem]:
        out = []
        for r in self.rows:
            if r.state == "pending" and r.available_at <= now:
                r.state, r.attempts = "in_flight", r.attempts + 1
                out.append(ClaimedItem(r.id, r.user, r.attrs, r.attempts, T0))
        return out

    def _set(self, ids: Sequence[str], **values: Any) -> None:
        for r in self.rows:
            if r.id in ids:
                for k, v in values.items():
                    setattr(r, k, v)

    def delivered(self, ids: Sequence[str], owner: str, now: datetime, status: int) -> None:
        self._set(ids, state="delivered")

    def retry_at(self, ids: Sequence[str], owner: str, at: datetime, error: str, now: datetime) -> None:
        self._set(ids, state="pending", available_at=at, error=error)

    def dead(self, ids: Sequence[str], owner: str, error: str, now: datetime) -> None:
        self._set(ids, state="dead", error=error)

    def release(self, ids: Sequence[str], owner: str, error: str, now: datetime) -> None:
        for r in self.rows:
            if r.id in ids:
                r.state, r.attempts, r.error = "pending", r.attempts - 1, error

    def pause(self, destination_id: int, reason: str, until: datetime | None) -> None:
        self.paused = (reason, until)

    def unpause_if_expired(self, destination_id: int, now: datetime) -> None:
        if self.paused and self.paused[1] is not None and self.paused[1] <= now:
            self.paused = None

    def states(self) -> dict[str, str]:
        return {r.user: r.state for r in self.rows}


class ScriptedBraze:
    """Answers from a function of the request body; records every body."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []

    async def post_track(self, endpoint: str, api_key: str, body: dict[str, Any]) -> SendResult:
        self.bodies.append(body)
        result = self.answer(body)
        if isinstance(result, Exception):
            raise result
        assert isinstance(result, SendResult)
        return result


def run(outbox: MemoryOutbox, braze: ScriptedBraze, now: datetime = T0, **settings: Any) -> None:
    engine = DeliveryEngine(outbox, braze, EngineSettings(**settings), clock=lambda: now, rng=random.Random(1))
    asyncio.run(engine.drain_once())


def ok(_body: dict[str, Any]) -> SendResult:
    return SendResult(201, {}, {"message": "success"})


def test_each_users_rows_are_merged_into_one_object() -> None:
    outbox = MemoryOutbox()
    outbox.add("a@x.co", color="red", size=1)
    outbox.add("b@x.co", color="blue")
    outbox.add("a@x.co", color="green")
    braze = ScriptedBraze(ok)
    run(outbox, braze)
    assert braze.bodies == [
        {"attributes": [{"email": "a@x.co", "color": "green", "size": 1}, {"email": "b@x.co", "color": "blue"}]}
    ]
    assert set(outbox.states().values()) == {"delivered"}


def test_partial_errors_dead_letter_only_the_named_objects() -> None:
    outbox = MemoryOutbox()
    for u in ("a", "b", "c"):
        outbox.add(f"{u}@x.co", n=1)
    braze = ScriptedBraze(
        lambda _b: SendResult(
            201, {}, {"message": "success", "errors": [{"type": "bad", "input_array": "attributes", "index": 1}]}
        )
    )
    run(outbox, braze)
    assert outbox.states() == {"a@x.co": "delivered", "b@x.co": "dead", "c@x.co": "delivered"}
    assert "bad" in (outbox.rows[1].error or "")


def test_a_400_is_bisected_until_the_culprit_is_alone() -> None:
    outbox = MemoryOutbox()
    for i in range(8):
        outbox.add(f"u{i}@x.co", n=i)

    def answer(body: dict[str, Any]) -> SendResult:
        poisoned = any(o["email"] == "u5@x.co" for o in body["attributes"])
        return SendResult(400, {}, {"message": "bad"}) if poisoned else ok(body)

    braze = ScriptedBraze(answer)
    run(outbox, braze)
    states = outbox.states()
    assert states.pop("u5@x.co") == "dead"
    assert set(states.values()) == {"delivered"}
    assert len(braze.bodies) <= 1 + 2 * 3  # log2(8) levels of halves


def test_transient_failures_back_off_and_keep_the_row() -> None:
    outbox = MemoryOutbox()
    outbox.add("a@x.co", n=1)
    braze = ScriptedBraze(lambda _b: RetryableDeliveryError("connection refused"))
    run(outbox, braze)
    row = outbox.rows[0]
    assert row.state == "pending" and row.attempts == 1
    assert T0 <= row.available_at <= T0 + timedelta(seconds=1)
    assert row.error == "connection refused"


def test_dead_letter_only_after_attempts_and_window() -> None:
    outbox = MemoryOutbox()
    outbox.add("a@x.co", n=1)
    outbox.rows[0].attempts = 7
    braze = ScriptedBraze(lambda _b: SendResult(500, {}, {"message": "oops"}))
    run(outbox, braze, now=T0 + timedelta(minutes=10))
    assert outbox.rows[0].state == "pending"  # 8 attempts, but the 3 h window is not spent
    outbox.rows[0].available_at = T0
    run(outbox, braze, now=T0 + timedelta(hours=4))
    assert outbox.rows[0].state == "dead"


def test_rate_limit_pauses_the_destination_without_using_an_attempt() -> None:
    outbox = MemoryOutbox()
    outbox.add("a@x.co", n=1)
    braze = ScriptedBraze(lambda _b: SendResult(429, {"X-RateLimit-Reset": str(int(T0.timestamp()) + 5)}, {}))
    run(outbox, braze)
    assert outbox.rows[0].state == "pending" and outbox.rows[0].attempts == 0
    assert outbox.paused is not None and outbox.paused[1] == T0 + timedelta(seconds=5)
    braze.answer = ok
    run(outbox, braze, now=T0 + timedelta(seconds=1))
    assert outbox.rows[0].state == "pending"  # still paused: nothing sent
    assert len(braze.bodies) == 1
    run(outbox, braze, now=T0 + timedelta(seconds=5))
    assert outbox.rows[0].state == "delivered" and outbox.paused is None


def test_a_refused_key_pauses_until_resumed_and_dead_letters_nothing() -> None:
    outbox = MemoryOutbox()
    outbox.add("a@x.co", n=1)
    braze = ScriptedBraze(lambda _b: SendResult(401, {}, {"message": f"Invalid API key: {KEY}"}))
    run(outbox, braze)
    assert outbox.paused is not None and outbox.paused[1] is None and "401" in outbox.paused[0]
    assert KEY not in outbox.paused[0] and "[redacted]" in outbox.paused[0]
    assert outbox.rows[0].state == "pending" and outbox.rows[0].attempts == 0
    run(outbox, braze, now=T0 + timedelta(days=1))
    assert len(braze.bodies) == 1


def test_an_unusable_endpoint_pauses_the_destination() -> None:
    outbox = MemoryOutbox()
    outbox.add("a@x.co", n=1)
    braze = ScriptedBraze(lambda _b: TerminalDeliveryError("the endpoint ftp://x cannot be used"))
    run(outbox, braze)
    assert outbox.paused is not None and outbox.paused[1] is None and "ftp://x" in outbox.paused[0]
    assert outbox.rows[0].state == "pending" and outbox.rows[0].attempts == 0


def test_a_pause_mid_claim_hands_back_the_batches_not_yet_sent() -> None:
    outbox = MemoryOutbox()
    for i in range(4):
        outbox.add(f"u{i}@x.co", n=i)
    braze = ScriptedBraze(lambda _b: SendResult(429, {"Retry-After": "30"}, {}))
    run(outbox, braze, limits=BrazeLimits(max_objects=2))  # two batches of two users
    assert len(braze.bodies) == 1  # the second batch is not sent into a known rate limit
    assert {(r.state, r.attempts) for r in outbox.rows} == {("pending", 0)}


def test_an_object_that_cannot_be_encoded_is_dead_and_the_rest_delivered() -> None:
    outbox = MemoryOutbox()
    outbox.add("a@x.co", n=1)
    outbox.add("bad@x.co", bio="half a pair: \ud83d")
    outbox.add("c@x.co", n=3)
    braze = ScriptedBraze(ok)
    run(outbox, braze)
    assert outbox.states() == {"a@x.co": "delivered", "bad@x.co": "dead", "c@x.co": "delivered"}
    assert [o["email"] for o in braze.bodies[0]["attributes"]] == ["a@x.co", "c@x.co"]
    reason = outbox.rows[1].error or ""
    assert "'bio'" in reason and "not valid Unicode" in reason
    assert "\ud83d" not in reason and "half a pair" not in reason


def test_an_object_over_the_per_object_limit_is_dead_without_a_request() -> None:
    outbox = MemoryOutbox()
    outbox.add("big@x.co", blob="x" * 2000)
    outbox.add("small@x.co", n=1)
    braze = ScriptedBraze(ok)
    run(outbox, braze, limits=BrazeLimits(max_object_bytes=1000))
    assert outbox.states() == {"big@x.co": "dead", "small@x.co": "delivered"}
    assert braze.bodies == [{"attributes": [{"email": "small@x.co", "n": 1}]}]
    reason = outbox.rows[0].error or ""
    assert "over Braze's limit of 1,000 bytes" in reason and "xxxx" not in reason


def test_an_unexpected_error_while_sending_is_pinned_to_the_object_that_causes_it() -> None:
    outbox = MemoryOutbox()
    for i in range(8):
        outbox.add(f"u{i}@x.co", n=i)

    def answer(body: dict[str, Any]) -> SendResult | Exception:
        if any(o["email"] == "u3@x.co" for o in body["attributes"]):
            return RuntimeError("a bug in the transport")
        return ok(body)

    braze = ScriptedBraze(answer)
    run(outbox, braze)
    states = outbox.states()
    assert states.pop("u3@x.co") == "pending"  # retried later, with the attempt counted
    assert set(states.values()) == {"delivered"}
    row = outbox.rows[3]
    assert row.attempts == 1 and row.available_at > T0
    assert row.error == "unexpected error while sending (RuntimeError); see the worker log"


def test_an_unexpected_error_on_every_request_leaves_nothing_in_flight() -> None:
    outbox = MemoryOutbox()
    for i in range(3):
        outbox.add(f"u{i}@x.co", n=i)
    outbox.rows[0].attempts = 7  # its budget ends with this attempt
    braze = ScriptedBraze(lambda _b: KeyError("boom"))
    run(outbox, braze, now=T0 + timedelta(hours=4))
    assert [(r.state, r.attempts) for r in outbox.rows] == [("dead", 8), ("pending", 1), ("pending", 1)]
    assert (outbox.rows[0].error or "").startswith("retries exhausted: unexpected error while sending (KeyError)")


def test_an_unexpected_error_while_settling_retries_the_batch() -> None:
    class FailingAck(MemoryOutbox):
        def delivered(self, ids: Sequence[str], owner: str, now: datetime, status: int) -> None:
            raise RuntimeError("storage hiccup")

    outbox = FailingAck()
    outbox.add("a@x.co", n=1)
    run(outbox, ScriptedBraze(ok))
    assert outbox.rows[0].state == "pending"
    assert outbox.rows[0].error == "unexpected error while settling the request (RuntimeError); see the worker log"


def test_an_unexpected_error_while_planning_spares_the_other_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    def fussy(objects: Sequence[UserObject], limits: BrazeLimits) -> DeliveryPlan:
        if any(o.email == "odd@x.co" for o in objects):
            raise LookupError("a planner bug")
        return plan_delivery(objects, limits)

    monkeypatch.setattr("zeroparty.delivery.engine.plan_delivery", fussy)
    outbox = MemoryOutbox()
    outbox.add("a@x.co", n=1)
    outbox.add("odd@x.co", n=2)
    run(outbox, ScriptedBraze(ok))
    assert outbox.states() == {"a@x.co": "delivered", "odd@x.co": "pending"}
    assert "LookupError" in (outbox.rows[1].error or "")


@pytest.mark.parametrize(
    "echo",
    [
        KEY,
        KEY.upper(),
        KEY[:10],
        KEY[-9:].upper(),
        f"key={KEY[2:12].swapcase()}…",
    ],
)
def test_echoes_of_the_key_are_scrubbed_from_stored_errors(echo: str) -> None:
    outbox = MemoryOutbox()
    outbox.add("a@x.co", n=1)
    braze = ScriptedBraze(lambda _b: SendResult(401, {}, {"message": f"Invalid API key: {echo}"}))
    run(outbox, braze)
    assert outbox.paused is not None and "[redacted]" in outbox.paused[0]
    for text in (outbox.paused[0], outbox.rows[0].error or ""):
        assert not any(KEY[i : i + 8].lower() in text.lower() for i in range(len(KEY) - 7))


def test_echoes_of_the_key_are_scrubbed_from_transport_errors_and_partial_failures() -> None:
    outbox = MemoryOutbox()
    outbox.add("a@x.co", n=1)
    outbox.add("b@x.co", n=2)
    braze = ScriptedBraze(lambda _b: RetryableDeliveryError(f"proxy said: bad token {KEY[:-2].upper()}"))
    run(outbox, braze)
    assert outbox.rows[0].error == "proxy said: bad token [redacted]"
    body = {"message": "success", "errors": [{"type": f"not yours: {KEY}", "input_array": "attributes", "index": 1}]}
    braze.answer = lambda _b: SendResult(201, {}, body)
    run(outbox, braze, now=T0 + timedelta(minutes=1))
    assert outbox.rows[1].state == "dead"
    assert outbox.rows[1].error == "Braze rejected this profile update: not yours: [redacted]"
