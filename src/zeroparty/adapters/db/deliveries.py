"""Read side of delivery (services/deliveries.py's `DeliveryReads`): per-destination counts, latency
and counters, the dead items with Braze's reason for each, and what a list of item ids refers to. This module
shapes what it shows; the statements it runs on the delivery tables are `outbox_sql/reads.py`'s
and `outbox_sql/counters.py`'s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.outbox_sql import counters, reads
from zeroparty.adapters.db.schema import destinations
from zeroparty.domain.budget import budget_state
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.latency import LATENCY_SAMPLE, percentile
from zeroparty.errors import FieldError, NotFound
from zeroparty.services.deliveries import Attempt, DeadItem, DestinationStats, ItemState

D = destinations.c
_IN_CHUNK = 500  # ids per IN (…): far below SQLite's bound-parameter limit


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + _IN_CHUNK]) for i in range(0, len(ids), _IN_CHUNK)]


class SqlDeliveries:
    """Delivery's view of one workspace's destinations: other workspaces' rows are not there."""

    def __init__(self, engine: Engine, *, workspace_id: int) -> None:
        self._engine = engine
        self._workspace_id = workspace_id

    def destination_id(self, name: str) -> int:
        with reader(self._engine).connect() as conn:
            found = conn.execute(sa.select(D.id).where(D.workspace_id == self._workspace_id, D.name == name)).scalar()
        if found is None:
            raise NotFound(FieldError("--destination", f"no destination named '{name}'"))
        return int(found)

    def stats(self, now: datetime) -> list[DestinationStats]:
        with reader(self._engine).connect() as conn:
            dests = conn.execute(
                sa.select(D.id, D.name, D.paused_reason, D.paused_until, D.settings)
                .where(D.workspace_id == self._workspace_id)
                .order_by(D.name)
            ).all()
            month = counters.month_points(conn, now)
            counts = reads.counts_by_state(conn)
            totals = counters.totals(conn)
            result = []
            for d in dests:
                latencies = self._latencies(conn, d.id)
                sent = totals.get(d.id)
                result.append(
                    DestinationStats(
                        d.name,
                        counts.get((d.id, "pending"), 0),
                        counts.get((d.id, "in_flight"), 0),
                        counts.get((d.id, "delivered"), 0),
                        counts.get((d.id, "dead"), 0),
                        d.paused_reason,
                        d.paused_until,
                        percentile(latencies, 50),
                        percentile(latencies, 99),
                        len(latencies),
                        int(sent.requests) if sent else 0,
                        int(sent.points_sent) if sent else 0,
                        int(sent.points_saved) if sent else 0,
                        budget_state(DestinationSettings.model_validate(d.settings or {}), month.get(d.id, 0)),
                    )
                )
        return result

    @staticmethod
    def _latencies(conn: Connection, destination_id: int) -> list[float]:
        rows = reads.delivered_times(conn, destination_id, LATENCY_SAMPLE)
        return [max(0.0, (r.delivered_at - r.created_at).total_seconds()) for r in rows]

    def dead(self, destination: str | None = None) -> list[DeadItem]:
        """Every dead item (of one destination, if named), newest first."""
        if destination is not None:
            self.destination_id(destination)  # an unknown name is an error, not an empty list
        with reader(self._engine).connect() as conn:
            rows = reads.dead(conn, destination, self._workspace_id)
        return [DeadItem(r.id, r.name, r.user_key, r.dead_at, r.attempts, r.last_error, r.response_id) for r in rows]

    def attempts(self, limit: int, response_id: str | None = None) -> list[Attempt]:
        with reader(self._engine).connect() as conn:
            rows = reads.attempts(conn, self._workspace_id, limit, response_id)
        return [Attempt(r.at, r.name, r.user_key, r.outbox_id, r.response_id, r.outcome, r.detail) for r in rows]

    def items(self, ids: Sequence[str]) -> dict[str, ItemState]:
        """The state and destination of each of `ids` that is an outbox item."""
        found: dict[str, ItemState] = {}
        with reader(self._engine).connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(ids))):
                for r in reads.states(conn, chunk, self._workspace_id):
                    found[r.id] = ItemState(r.id, r.name, r.state)
        return found
