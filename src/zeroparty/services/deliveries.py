"""Delivery as operators see it and act on it: per-destination figures, the dead items with Braze's
reason for each, and replaying them. `zeroparty deliveries` is one face of it; the console will be
another. The store answers through `DeliveryReads`; a replay goes through the outbox's
`requeue_dead`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from zeroparty.domain.budget import BudgetState
from zeroparty.services.audit import AuditService
from zeroparty.services.clock import utcnow

REPLAY_CHUNK = 500  # ids per replay transaction
HISTORY_LIMIT = 1000  # attempts shown of one response


@dataclass(frozen=True)
class DestinationStats:
    name: str
    pending: int
    in_flight: int
    delivered: int
    dead: int
    paused_reason: str | None
    paused_until: datetime | None
    latency_p50_s: float | None  # from queued (outbox.created_at) to delivered_at
    latency_p99_s: float | None
    latency_rows: int  # delivered rows the percentiles are over (the last LATENCY_SAMPLE at most)
    requests: int
    points_sent: int
    points_saved: int
    budget: BudgetState = BudgetState(0, None, False)  # this calendar month's points against the budget


@dataclass(frozen=True)
class DeadItem:
    id: str
    destination: str
    user: str  # the email the row is for
    dead_at: datetime  # when it was dead-lettered (its last `dead` attempt)
    attempts: int
    reason: str | None  # Braze's reason for this item's object, or why it could not be sent
    response_id: str


@dataclass(frozen=True)
class Attempt:
    """One line of an item's delivery history: what happened when it was sent (or replayed)."""

    at: datetime
    destination: str
    user: str  # the email the item is for
    item_id: str
    response_id: str | None
    outcome: str  # delivered, retry, dead, unknown, replayed, …
    detail: str | None  # Braze's answer or why it was not sent; never a key


@dataclass(frozen=True)
class ItemState:
    id: str
    destination: str
    state: str


class DeliveryReads(Protocol):
    def destination_id(self, name: str) -> int:
        """The destination's id; NotFound (naming `--destination`) when there is none by that name."""
        ...

    def stats(self, now: datetime) -> list[DestinationStats]:
        """Every destination's figures, by name."""
        ...

    def dead(self, destination: str | None = None) -> list[DeadItem]:
        """Every dead item (of one destination, if named: NotFound when unknown), newest first."""
        ...

    def items(self, ids: Sequence[str]) -> dict[str, ItemState]:
        """The state and destination of each of `ids` that is an outbox item."""
        ...

    def attempts(self, limit: int, response_id: str | None = None) -> list[Attempt]:
        """The latest `limit` attempts (of one response's items, if given), newest first."""
        ...


class DeadRequeue(Protocol):
    def requeue_dead(self, ids: Sequence[str], now: datetime, *, destination_id: int | None = None) -> int:
        """Dead rows back to pending (of `destination_id` only, when given); how many went."""
        ...


@dataclass(frozen=True)
class Replay:
    """What a replay did: the dead items it set out to replay, how many it did, and a line for each
    id it could not (the caller fails when there is any)."""

    wanted: int
    replayed: int
    problems: list[str]


def dead_among(
    found: Mapping[str, ItemState], ids: Sequence[str], destination: str | None
) -> tuple[list[str], list[str]]:
    """The ids that are dead items (of `destination`), and a problem line for each other id. Pure."""
    wanted: list[str] = []
    problems: list[str] = []
    for item_id in dict.fromkeys(ids):
        item = found.get(item_id)
        if item is None:
            problems.append(f"ID: '{item_id}' is not a delivery item")
        elif item.state != "dead":
            problems.append(f"ID: '{item_id}' is {item.state.replace('_', ' ')}, not dead: nothing to replay")
        elif destination is not None and item.destination != destination:
            problems.append(f"ID: '{item_id}' is a dead item of '{item.destination}', not of --destination")
        else:
            wanted.append(item_id)
    return wanted, problems


class DeliveriesService:
    def __init__(
        self,
        reads: DeliveryReads,
        requeue: DeadRequeue | None = None,
        clock: Callable[[], datetime] = utcnow,
        *,
        audit: AuditService | None = None,
        workspace_id: int | None = None,
    ) -> None:
        self._reads = reads
        self._requeue = requeue  # None: this one only reads
        self._clock = clock
        self._audit = audit
        self._workspace_id = workspace_id

    def stats(self) -> list[DestinationStats]:
        return self._reads.stats(self._clock())

    def dead(self, destination: str | None = None) -> list[DeadItem]:
        return self._reads.dead(destination)

    def recent(self, limit: int = 50) -> list[Attempt]:
        """The latest attempts over the workspace's destinations, newest first."""
        return self._reads.attempts(limit)

    def history(self, response_id: str) -> list[Attempt]:
        """Every attempt to deliver one response, newest first (empty: none, or not this workspace's)."""
        return self._reads.attempts(HISTORY_LIMIT, response_id)

    def replay(self, ids: Sequence[str] | None, destination: str | None = None, *, actor: str | None = None) -> Replay:
        """Put dead items back to pending: the same id, their history kept, their users queued again.
        `ids` None: every dead item (of `destination`). Ids that are not dead items (of
        `destination`, when given) get a problem line each; the others are replayed."""
        if self._requeue is None:
            raise RuntimeError("this deliveries service was made to read only")
        dest_id = self._reads.destination_id(destination) if destination is not None else None
        problems: list[str]
        if ids is None:
            wanted, problems = [i.id for i in self._reads.dead(destination)], []
        else:
            wanted, problems = dead_among(self._reads.items(ids), ids, destination)
        now = self._clock()
        replayed = sum(
            self._requeue.requeue_dead(wanted[n : n + REPLAY_CHUNK], now, destination_id=dest_id)
            for n in range(0, len(wanted), REPLAY_CHUNK)
        )
        if replayed < len(wanted):  # dead a moment ago, replayed by someone else meanwhile
            problems.append(f"ID: {len(wanted) - replayed} item(s) were no longer dead when replayed")
        if actor is not None and self._audit is not None:  # None: a caller that logs it itself
            target = destination or "every destination"
            detail = {"all": ids is None, "wanted": len(wanted), "replayed": replayed}
            self._audit.record(self._workspace_id, actor, "deliveries.replay", target, dict(detail))
        return Replay(len(wanted), replayed, problems)
