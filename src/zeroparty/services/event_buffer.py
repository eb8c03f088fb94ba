"""Recording analytics events without slowing capture down.

`record` only appends to an in-process list and returns; a background thread writes the list to the
event log in one statement when it holds `max_batch` events or every `flush_s` seconds, whichever
comes first, and `close` writes what is left (the server calls it on shutdown). The log is not part
of a response's transaction, so a slow or failing log never delays or fails a submit.

What can be lost: a crash (kill -9, power loss) loses the events recorded since the last flush, at
most `flush_s` seconds' worth. A failed write is kept and tried again on the next flush; while the
log stays unavailable at most `max_pending` events are held and newer ones are dropped and counted,
so memory stays bounded. Analytics are counts, not records of what anyone answered: the responses
themselves are written durably by capture."""

from __future__ import annotations

import logging
import threading

from zeroparty.domain.experience.funnel import Event
from zeroparty.services.analytics_ports import EventLog

log = logging.getLogger("zeroparty.analytics")


class EventBuffer:
    def __init__(
        self, sink: EventLog, *, max_batch: int = 500, flush_s: float = 1.0, max_pending: int = 50_000
    ) -> None:
        self._sink = sink
        self._max_batch = max_batch
        self._flush_s = flush_s
        self._max_pending = max_pending
        self._pending: list[Event] = []
        self._lock = threading.Lock()  # guards _pending and the counters
        self._flushing = threading.Lock()  # one write at a time, in order
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.written = 0

    def record(self, event: Event) -> None:
        with self._lock:
            if len(self._pending) >= self._max_pending:
                self.dropped += 1
                return
            self._pending.append(event)
            full = len(self._pending) >= self._max_batch
        if full:
            self._wake.set()

    def start(self) -> EventBuffer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="zeroparty-events", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._flush_s)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Write what is pending now; the number written (0 when the write failed: kept for later)."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            try:
                self._sink.append(batch)
            except Exception as exc:  # the log is down or refused: keep the batch, never fail a caller
                log.warning("analytics events not written yet: %s", type(exc).__name__, extra={"action": "events_kept"})
                with self._lock:
                    room = max(self._max_pending - len(self._pending), 0)
                    self.dropped += max(len(batch) - room, 0)
                    self._pending = batch[:room] + self._pending
                return 0
            with self._lock:
                self.written += len(batch)
            return len(batch)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self.flush()

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)
