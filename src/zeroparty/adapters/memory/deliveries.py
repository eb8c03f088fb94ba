"""Delivery's operator view in memory: `services.deliveries.DeliveryReads` over a `MemoryOutbox`,
with the semantics of `adapters/db/deliveries.py`. `tests/integration/test_deliveries_store.py`
runs one contract suite against both."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from zeroparty.adapters.memory.outbox import MemoryOutbox
from zeroparty.adapters.memory.records import DestinationRecord, OutboxRow
from zeroparty.domain.budget import budget_state, month_of
from zeroparty.domain.latency import LATENCY_SAMPLE, percentile
from zeroparty.errors import FieldError, NotFound
from zeroparty.services.deliveries import Attempt, DeadItem, DestinationStats, ItemState


class MemoryDeliveries:
    """Delivery's view of one workspace's destinations: other workspaces' rows are not there."""

    def __init__(self, outbox: MemoryOutbox, *, workspace_id: int) -> None:
        self._outbox = outbox
        self._workspace_id = workspace_id

    def _destinations(self) -> dict[str, DestinationRecord]:
        found = map(self._outbox.destination, self._outbox.destination_ids())
        return {d.name: d for d in found if d.workspace_id == self._workspace_id}

    def destination_id(self, name: str) -> int:
        found = self._destinations().get(name)
        if found is None:
            raise NotFound(FieldError("--destination", f"no destination named '{name}'"))
        return found.id

    def stats(self, now: datetime) -> list[DestinationStats]:
        rows = self._outbox.rows()
        return [
            self._stats(d, [r for r in rows if r.destination_id == d.id], now)
            for _, d in sorted(self._destinations().items())
        ]

    def _stats(self, d: DestinationRecord, rows: list[OutboxRow], now: datetime) -> DestinationStats:
        states = Counter(r.state for r in rows)
        delivered = [r for r in rows if r.state == "delivered" and r.delivered_at is not None]
        newest = sorted(delivered, key=lambda r: r.delivered_at or r.created_at, reverse=True)[:LATENCY_SAMPLE]
        latencies = [max(0.0, ((r.delivered_at or r.created_at) - r.created_at).total_seconds()) for r in newest]
        sent = self._outbox.counters(d.id)
        return DestinationStats(
            d.name,
            states["pending"],
            states["in_flight"],
            states["delivered"],
            states["dead"],
            d.paused_reason,
            d.paused_until,
            percentile(latencies, 50),
            percentile(latencies, 99),
            len(latencies),
            sent.requests,
            sent.points_sent,
            sent.points_saved,
            budget_state(d.settings, self._outbox.month_points(d.id, month_of(now))),
        )

    def dead(self, destination: str | None = None) -> list[DeadItem]:
        names = {d.id: name for name, d in self._destinations().items()}
        if destination is not None:
            self.destination_id(destination)  # an unknown name is an error, not an empty list
        found = []
        for r in self._outbox.rows():
            if r.state != "dead" or r.destination_id not in names:
                continue
            if destination not in (None, names[r.destination_id]):
                continue
            died = [a.at for a in self._outbox.history(r.id) if a.outcome == "dead"]
            at = max(died) if died else r.created_at
            item = DeadItem(
                r.id, names[r.destination_id], r.user_key, at, r.attempts, r.last_error, r.response_id or ""
            )
            found.append((at, r.seq, item))
        return [item for _, _, item in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)]

    def items(self, ids: Sequence[str]) -> dict[str, ItemState]:
        names = {d.id: name for name, d in self._destinations().items()}
        rows = {r.id: r for r in self._outbox.rows() if r.destination_id in names}
        return {i: ItemState(i, names[rows[i].destination_id], rows[i].state) for i in dict.fromkeys(ids) if i in rows}

    def attempts(self, limit: int, response_id: str | None = None) -> list[Attempt]:
        names = {d.id: d.name for d in self._destinations().values()}
        rows = {r.id: r for r in self._outbox.rows() if r.destination_id in names}
        found = [
            Attempt(a.at, names[row.destination_id], row.user_key, row.id, row.response_id, a.outcome, a.detail)
            for a in self._outbox.history()
            if (row := rows.get(a.outbox_id)) is not None and response_id in (None, row.response_id)
        ]
        return found[::-1][:limit]
