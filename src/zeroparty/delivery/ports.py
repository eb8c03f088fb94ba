"""What the delivery engine needs from the outside world: a durable outbox and a Braze sender."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from zeroparty.domain.retry import DEFAULT_RETRY_POLICY, RetryPolicy


@dataclass(frozen=True)
class Destination:
    id: int
    name: str
    endpoint: str
    api_key: str
    pause_expired: bool = False  # it was paused until a time now past; clear that on success


@dataclass(frozen=True)
class ClaimedItem:
    id: str
    user_key: str
    attributes: dict[str, Any]
    attempts: int  # including the claim that handed it over
    created_at: datetime


@dataclass(frozen=True)
class SendResult:
    status: int
    headers: Mapping[str, str]
    body: Any


class Outbox(Protocol):
    """Durable queue of profile changes. Every ack names the lease owner; a stale ack is ignored."""

    def ready_destinations(self, now: datetime) -> list[Destination]: ...

    def claim(
        self,
        destination_id: int,
        owner: str,
        max_users: int,
        lease_s: float,
        now: datetime,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) -> list[ClaimedItem]:
        """Lease up to `max_users` users' ready rows, counting an attempt on each. Rows whose lease
        expired first go back to pending, or to dead when `policy` says their budget is spent."""

    def delivered(self, ids: Sequence[str], owner: str, now: datetime, status: int) -> None: ...

    def retry_at(self, ids: Sequence[str], owner: str, at: datetime, error: str, now: datetime) -> None: ...

    def dead(self, ids: Sequence[str], owner: str, error: str, now: datetime) -> None: ...

    def release(self, ids: Sequence[str], owner: str, error: str, now: datetime) -> None:
        """Back to pending without using up an attempt (rate limits, paused destinations)."""

    def pause(self, destination_id: int, reason: str, until: datetime | None) -> None: ...

    def unpause_if_expired(self, destination_id: int, now: datetime) -> None: ...


class BrazeSender(Protocol):
    async def post_track(self, endpoint: str, api_key: str, body: dict[str, Any]) -> SendResult:
        """POST /users/track; raises RetryableDeliveryError on transport failures and timeouts,
        TerminalDeliveryError when the destination itself is unusable (a malformed endpoint)."""
        ...
