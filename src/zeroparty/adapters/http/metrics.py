"""Prometheus metrics: outbox depth by state and responses stored, read from the store at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from zeroparty.services.read_ports import StoreCounts


class StoreCollector(Collector):
    def __init__(self, counts: Callable[[], StoreCounts]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._counts()
        items = GaugeMetricFamily(
            "zeroparty_outbox_items", "Outbox items by destination and state", labels=["destination", "state"]
        )
        for c in counts.outbox:
            items.add_metric([c.destination, c.state], c.items)
        yield items
        recorded = GaugeMetricFamily("zeroparty_responses", "Responses stored")
        recorded.add_metric([], counts.responses)
        yield recorded
