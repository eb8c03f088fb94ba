"""What analytics needs from storage: an append-only event log, and reads for the funnel and the
response export. Kept apart from `ports.py`: capture's transaction never touches the event log."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from zeroparty.domain.experience.export_columns import ExportRow
from zeroparty.domain.experience.funnel import Event, ResponseFacts
from zeroparty.domain.experience.model import Experience


@dataclass(frozen=True)
class Window:
    """A time range: `since` included, `until` excluded; None leaves that side open."""

    since: datetime | None = None
    until: datetime | None = None

    def holds(self, moment: datetime) -> bool:
        return (self.since is None or moment >= self.since) and (self.until is None or moment < self.until)


class EventLog(Protocol):
    def append(self, events: Sequence[Event]) -> None:
        """Store `events` in one write; they are never changed afterwards."""
        ...


class EventRecorder(Protocol):
    """Where the pages and capture hand events: it returns at once (services/event_buffer.py)."""

    def record(self, event: Event) -> None: ...


class AnalyticsReader(Protocol):
    def latest(self, slug: str) -> Experience | None:
        """The experience's current published definition."""
        ...

    def events(self, slug: str, window: Window) -> Iterator[Event]:
        """The experience's events in `window`, oldest first, read in chunks."""
        ...

    def response_facts(self, slug: str, window: Window) -> ResponseFacts:
        """Of the responses started in `window`: those that captured an email, and those whose
        latest email-marketing consent record gives it."""
        ...

    def export_rows(self, slug: str, chunk: int) -> Iterator[ExportRow]:
        """Every response of the experience, in response id order, fetched `chunk` at a time (never all
        at once), with its answers and the variant it was served."""
        ...


class NoEvents:
    """A recorder that drops everything: for callers that record nothing (one-shot commands)."""

    def record(self, event: Event) -> None:
        return None
