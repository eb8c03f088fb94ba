"""What the delivery engine needs from the outside world: a durable outbox and a Braze sender."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from zeroparty.domain.braze_payload import Change
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from zeroparty.domain.settle import SettlePlan


@dataclass(frozen=True)
class Destination:
    id: int
    name: str
    endpoint: str
    api_key: str
    settings: DestinationSettings = field(default_factory=DestinationSettings)
    pause_expired: bool = False  # it was paused until a time now past; clear that on success
    month_points: int = 0  # data points sent this calendar month (UTC), for the budget


_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ClaimedItem(Change):
    """One leased outbox row: the change it carries (it is the very `Change` rendering reads, so a
    claim is not copied row by row), how many times it was handed over and when it was queued."""

    attempts: int = 0  # including the claim that handed it over
    created_at: datetime = _NEVER

    @property
    def id(self) -> str:
        return self.item_id

    @classmethod
    def from_payload(
        cls, id: str, user_key: str, payload: Mapping[str, Any] | None, attempts: int, created_at: datetime
    ) -> ClaimedItem:
        """A row as capture queued it (`ProfileChange.payload`; older rows may lack keys)."""
        payload = payload or {}
        return cls(
            id,
            user_key,
            dict(payload.get("attributes") or {}),
            dict(payload.get("subscription_groups") or {}),
            payload.get("completion"),
            payload.get("external_id"),
            payload.get("email"),
            attempts,
            created_at,
        )


@dataclass(frozen=True)
class ClaimedUser:
    """One leased user: their pending rows, in order, and what the destination last accepted."""

    user_key: str
    version: int  # of the queue row when claimed; settling compares it to keep rows queued meanwhile
    items: tuple[ClaimedItem, ...]
    accepted: Mapping[str, Any]  # the record of what the destination holds (domain/holdings.py)
    full: bool  # a worker died mid-request: send everything the rows carry


@dataclass(frozen=True)
class Claim:
    users: tuple[ClaimedUser, ...] = ()
    wait_s: float | None = None  # nothing claimed yet: worth asking again after this long


@dataclass(frozen=True)
class SendResult:
    status: int
    headers: Mapping[str, str]
    body: Any


class Outbox(Protocol):
    """Durable queue of profile changes, leased per user. Every write names the lease owner; a
    write from a worker whose lease was taken over changes nothing."""

    def ready_destinations(self, now: datetime) -> list[Destination]: ...

    def claim(
        self,
        destination_id: int,
        owner: str,
        max_users: int,
        lease_s: float,
        now: datetime,
        *,
        window_s: float = 0.0,
        settle_window_s: float = 0.0,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        full_batch: int | None = None,
    ) -> Claim:
        """Lease up to `max_users` ready users with all their pending rows, counting an attempt on
        each row. Fewer than `full_batch` (default `max_users`) are only leased once the oldest has
        waited `window_s` (batches fill under load). Users whose lease expired are settled first: their rows' outcome
        is unknown, so they wait `settle_window_s` and then send everything their rows carry."""

    def settle(
        self, destination_id: int, owner: str, plan: SettlePlan, versions: Mapping[str, int], now: datetime
    ) -> None:
        """Apply one request's plan in one transaction. Users in `versions` are done with: their
        lease ends, and they are queued again when rows arrived meanwhile."""

    def settle_many(
        self, plans: Sequence[tuple[int, SettlePlan, Mapping[str, int]]], owner: str, now: datetime
    ) -> None:
        """Several plans, each as `settle` would apply it, in one transaction."""

    def pause(self, destination_id: int, reason: str, until: datetime | None) -> None: ...

    def unpause_if_expired(self, destination_id: int, now: datetime) -> None: ...

    def release_users(self, destination_id: int, owner: str, users: Sequence[str], now: datetime) -> None:
        """Hand leased users back unsent, without using an attempt (stopping, or a pause)."""


class BrazeSender(Protocol):
    async def post_track(self, endpoint: str, api_key: str, body: dict[str, Any]) -> SendResult:
        """POST /users/track; raises RetryableDeliveryError on transport failures and timeouts,
        TerminalDeliveryError when the destination itself is unusable (a malformed endpoint)."""
        ...

    async def post_identify(self, endpoint: str, api_key: str, emails_to_identify: list[dict[str, Any]]) -> SendResult:
        """POST /users/identify with `emails_to_identify` (at most 50 entries); raises like post_track."""
        ...
