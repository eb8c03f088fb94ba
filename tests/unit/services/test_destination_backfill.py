"""Backfill through the store's port: chunks of respondents, each queued in a transaction of its
own with the clock's time, keyed by external id when the destination names people by it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.services.destination_backfill import CHUNK, BackfillService, Queued
from zeroparty.services.destination_types import BrazeConnection

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SINCE = datetime(2026, 11, 1, tzinfo=UTC)


class Destinations:
    def __init__(self, settings: DestinationSettings) -> None:
        self.settings = settings

    def connection(self, name: str) -> BrazeConnection:
        return BrazeConnection(7, name, "https://x", "key", "…1", None, self.settings)


class Store:
    def __init__(self, emails: list[str]) -> None:
        self.emails = emails
        self.asked_since: datetime | None = None
        self.queued: list[tuple[int, int, datetime | None, datetime, bool, bool]] = []

    def respondents(self, since: datetime | None) -> list[str]:
        self.asked_since = since
        return self.emails

    def queue(
        self,
        destination_id: int,
        emails: Sequence[str],
        since: datetime | None,
        now: datetime,
        *,
        by_external_id: bool = False,
        with_consent: bool = False,
    ) -> Queued:
        self.queued.append((destination_id, len(emails), since, now, by_external_id, with_consent))
        return Queued(len(emails) - 1, 1)


def test_respondents_are_queued_a_chunk_at_a_time_and_counted() -> None:
    emails = [f"p{n}@example.com" for n in range(CHUNK + 3)]
    store = Store(emails)
    service = BackfillService(Destinations(DestinationSettings()), store, clock=lambda: T0)
    plan = service.plan("eu", SINCE)
    assert plan.emails == emails and store.asked_since == SINCE and plan.dest.id == 7
    told: list[int] = []
    queued = service.run(plan, with_consent=True, advanced=told.append)
    assert told == [CHUNK, 3]
    assert store.queued == [(7, CHUNK, SINCE, T0, False, True), (7, 3, SINCE, T0, False, True)]
    assert queued == Queued(CHUNK + 1, 2)


def test_an_external_id_destination_is_queued_by_external_id_and_nobody_queues_nothing() -> None:
    external = DestinationSettings.model_validate({"identity": "external_id"})
    store = Store(["a@example.com"])
    service = BackfillService(Destinations(external), store, clock=lambda: T0)
    service.run(service.plan("eu", None))
    assert store.queued == [(7, 1, None, T0, True, False)]
    empty = BackfillService(Destinations(external), Store([]), clock=lambda: T0)
    assert empty.run(empty.plan("eu", None)) == Queued()
