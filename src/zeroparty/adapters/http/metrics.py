"""Prometheus metrics: outbox depth by state, read from the store at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import destinations, outbox, responses


class StoreCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        items = GaugeMetricFamily(
            "zeroparty_outbox_items", "Outbox items by destination and state", labels=["destination", "state"]
        )
        with reader(self._engine).connect() as conn:
            rows = conn.execute(
                sa.select(destinations.c.name, outbox.c.state, sa.func.count())
                .join(destinations, destinations.c.id == outbox.c.destination_id)
                .group_by(destinations.c.name, outbox.c.state)
            ).all()
            total = conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()
        for name, state, count in rows:
            items.add_metric([name, state], count)
        yield items
        recorded = GaugeMetricFamily("zeroparty_responses", "Responses stored")
        recorded.add_metric([], total)
        yield recorded
