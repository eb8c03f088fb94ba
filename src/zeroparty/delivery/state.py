"""What one delivery worker holds while it runs: its settings, what it knows of each destination
(request budget, breaker, requests in flight), and each claim in progress; and the two small
translations from a claim to what the domain plans with."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from zeroparty.delivery.ports import ClaimedUser, Destination
from zeroparty.domain.braze_payload import BrazeLimits, Change
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.holdings import trusted
from zeroparty.domain.pacing import CircuitBreaker, RequestBudget
from zeroparty.domain.retry import RetryPolicy
from zeroparty.domain.settle import RowState


@dataclass(frozen=True)
class EngineSettings:
    lease_s: float = 60.0
    idle_poll_s: float = 1.0
    batch_window_s: float = 0.05  # a partial batch waits this long for company (docs/delivery.md)
    settle_window_s: float = 30.0  # after an unknown outcome, before what it carried goes again
    request_timeout_s: float = 30.0  # total deadline of one request, never past the lease
    policy: RetryPolicy = RetryPolicy()
    max_request_bytes: int = 4 * 1024 * 1024
    max_object_bytes: int = 100 * 1024


DEFAULT_SETTINGS = EngineSettings()


@dataclass
class Pace:
    """What one worker knows of one destination: its request budget, its breaker, its requests."""

    budget: RequestBudget
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    inflight: set[asyncio.Task[None]] = field(default_factory=set)
    busy: int = 0  # batches claimed and not yet settled
    sending: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))  # requests in flight
    slots: int = 8


@dataclass
class Lease:
    """One claim in progress: the users leased, when, and what each row has been through."""

    dest: Destination
    users: dict[str, ClaimedUser]
    rows: dict[str, RowState]
    started: float  # monotonic
    paused: bool = False  # an answer paused the destination: batches not yet sent go back unsent
    strips: dict[str, int] = field(default_factory=dict)
    alone: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)  # item id → what became of part of it, until settled

    @classmethod
    def of(cls, dest: Destination, users: Sequence[ClaimedUser], now: datetime, started: float) -> Lease:
        """A claim's lease, each user's record cut to what is still trusted (`dedupe_max_age`)."""
        age = dest.settings.dedupe_max_age
        # Most users of a busy destination have no record yet: nothing to cut, nothing to copy.
        return cls(
            dest,
            {u.user_key: replace(u, accepted=trusted(u.accepted, now, age)) if u.accepted else u for u in users},
            {i.id: RowState(i.attempts, i.created_at) for u in users for i in u.items},
            started,
        )

    def learn(self, accepted: Mapping[str, Mapping[str, Any]]) -> None:
        """What an answer showed Braze now holds: a resend within this lease leaves it out (an
        event Braze accepted is never sent again, whatever happens to the attributes beside it)."""
        for key, values in accepted.items():
            user = self.users.get(key)
            if user is not None and values:
                self.users[key] = replace(user, accepted={**user.accepted, **values})


def changes_of(user: ClaimedUser) -> tuple[Change, ...]:
    return user.items  # each leased row is the change it carries


def limits_for(settings: DestinationSettings, engine: EngineSettings) -> BrazeLimits:
    return BrazeLimits(
        settings.max_objects, settings.batch_limits == "per_array", engine.max_request_bytes, engine.max_object_bytes
    )
