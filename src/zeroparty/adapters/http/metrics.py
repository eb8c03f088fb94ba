"""Prometheus metrics: outbox depth by state, read from the store at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.outbox_sql import reads
from zeroparty.adapters.db.schema import responses


class StoreCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        items = GaugeMetricFamily(
            "zeroparty_outbox_items", "Outbox items by destination and state", labels=["destination", "state"]
        )
        with reader(self._engine).connect() as conn:
            rows = reads.counts_by_name(conn)
            total = conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()
        for r in rows:
            items.add_metric([r.name, r.state], r.n)
        yield items
        recorded = GaugeMetricFamily("zeroparty_responses", "Responses stored")
        recorded.add_metric([], total)
        yield recorded
