"""The analytics event log and its reads in memory, over a `MemoryCaptureStore`'s responses: the
semantics of `adapters/db/analytics.py`, checked by the same contract suite
(tests/integration/test_analytics_store.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from zeroparty.adapters.memory.capture import MemoryCaptureStore, ResponseRecord
from zeroparty.domain.experience.export_columns import ExportRow
from zeroparty.domain.experience.funnel import Event, ResponseFacts
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.services.analytics_ports import Window


class MemoryAnalytics:
    def __init__(self, capture: MemoryCaptureStore | None = None, *, workspace_id: int = DEFAULT_WORKSPACE_ID) -> None:
        self.capture = capture or MemoryCaptureStore()
        self._workspace_id = workspace_id  # reads find no experience of another workspace
        self._events: list[Event] = []
        self._lock = threading.Lock()
        self.appends = 0  # writes, to check batching

    def append(self, events: Sequence[Event]) -> None:
        with self._lock:
            self._events = [*self._events, *events]
            self.appends += 1 if events else 0

    def latest(self, slug: str) -> Experience | None:
        with self.capture.reading() as view:
            pub = view.published(slug)
        return None if pub is None or pub.workspace_id != self._workspace_id else pub.experience

    def events(self, slug: str, window: Window) -> Iterator[Event]:
        return iter([ev for ev in self._events if ev.slug == slug and window.holds(ev.at)])

    def _responses(self, slug: str) -> list[ResponseRecord]:
        with self.capture.reading() as view:
            return [rec for rec in self.capture.responses() if view.version(rec.version_id).experience.slug == slug]

    def response_facts(self, slug: str, window: Window) -> ResponseFacts:
        ours = {rec.id: rec for rec in self._responses(slug) if window.holds(rec.created_at)}
        latest: dict[str, bool] = {}
        for c in self.capture.consents():
            if c.purpose == "email_marketing" and c.response_id in ours:
                latest[c.response_id] = c.given
        return ResponseFacts(
            frozenset(rid for rid, rec in ours.items() if rec.email is not None),
            frozenset(rid for rid, given in latest.items() if given),
        )

    def export_rows(self, slug: str, chunk: int) -> Iterator[ExportRow]:
        for rec in sorted(self._responses(slug), key=lambda rec: rec.id):
            answers = {k: a.value for k, a in self.capture.answers(rec.id).items()}
            yield ExportRow(rec.id, rec.created_at, rec.completed_at, rec.outcome_id, rec.variant, answers)
