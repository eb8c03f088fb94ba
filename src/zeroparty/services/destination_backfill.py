"""Sending a destination the responses captured before it existed (`destinations backfill`): each
respondent's current profile, as their stored answers make it, queued through the outbox like any
response, one chunk of respondents per transaction (docs/delivery.md, "Deliveries, replay and
backfill"). The store answers through `BackfillStore`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from zeroparty.services.clock import utcnow
from zeroparty.services.destination_types import BrazeConnection, Connections

CHUNK = 500  # respondents per transaction: short write locks, and within SQLite's parameter limit


@dataclass(frozen=True)
class Queued:
    """What one chunk queued: rows, and respondents left out for want of a signed external id."""

    rows: int = 0
    without_external_id: int = 0

    def __add__(self, other: Queued) -> Queued:
        return Queued(self.rows + other.rows, self.without_external_id + other.without_external_id)


class BackfillStore(Protocol):
    def respondents(self, since: datetime | None) -> list[str]:
        """Every email with a response (created at or after `since`), in order."""
        ...

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
        """Queue one outbox row per respondent in `emails` whose responses set anything, in one
        transaction; with `by_external_id` keyed by their newest signed external id."""
        ...


@dataclass(frozen=True)
class BackfillPlan:
    """Whom a backfill of `dest` queues: `emails`, with responses created since `since` (all: None)."""

    dest: BrazeConnection
    since: datetime | None
    emails: list[str]


class BackfillService:
    def __init__(self, destinations: Connections, store: BackfillStore, clock: Callable[[], datetime] = utcnow) -> None:
        self._destinations = destinations
        self._store = store
        self._clock = clock

    def plan(self, name: str, since: datetime | None) -> BackfillPlan:
        dest = self._destinations.connection(name)
        return BackfillPlan(dest, since, self._store.respondents(since))

    def run(
        self, plan: BackfillPlan, *, with_consent: bool = False, advanced: Callable[[int], None] | None = None
    ) -> Queued:
        """Queue `plan`'s respondents, CHUNK at a time; `advanced` is told each chunk's size once
        it is committed. No subscription state is sent unless `with_consent`."""
        by_external_id = plan.dest.settings.identity == "external_id"
        queued = Queued()
        for n in range(0, len(plan.emails), CHUNK):
            chunk = plan.emails[n : n + CHUNK]
            queued += self._store.queue(
                plan.dest.id,
                chunk,
                plan.since,
                self._clock(),
                by_external_id=by_external_id,
                with_consent=with_consent,
            )
            if advanced is not None:
                advanced(len(chunk))
        return queued
