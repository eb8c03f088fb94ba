"""Waking a worker in another process when rows are queued, instead of leaving them to its idle poll.

A worker inside `serve` is woken by the capture that queued the rows. A `zeroparty worker` of its
own, or any worker when the rows come from another process (another server, `deliveries replay`,
`destinations backfill`), learns of them here (docs/delivery.md, "Waking a worker"):

- PostgreSQL: `enqueue_users` sends `NOTIFY zeroparty_outbox`. PostgreSQL delivers it when the
  transaction commits, and the watcher is `LISTEN`ing on a connection of its own;
- SQLite: the watcher reads `PRAGMA data_version` on a connection of its own. The value changes
  whenever any other connection has committed (https://www.sqlite.org/pragma.html#pragma_data_version),
  which costs one read every `interval`.

A wake is only a hint: the worker then claims as usual, and its idle poll remains the backstop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.engine import sqlite_dbapi

log = logging.getLogger("zeroparty.delivery")

CHANNEL = "zeroparty_outbox"


def announce(conn: Connection) -> None:
    """Tell LISTENing workers that rows are queued; PostgreSQL sends it at commit, once per
    transaction however often it is called. SQLite needs nothing: its watchers see the commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"NOTIFY {CHANNEL}"))


class CommitWatcher:
    """A thread that calls `wake` soon after rows are committed by another connection."""

    def __init__(self, engine: Engine, wake: Callable[[], None], interval: float = 0.05) -> None:
        self._engine = engine
        self._wake = wake
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        watch = self._listen if self._engine.dialect.name == "postgresql" else self._poll
        self._thread = threading.Thread(target=self._guarded, args=(watch,), name="zeroparty-wakeup", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _guarded(self, watch: Callable[[], None]) -> None:
        # Retried after a failure (database restarted, file moved): waking is a hint, never a reason
        # for a worker to stop, and the idle poll covers the gap.
        while not self._stop.is_set():
            try:
                watch()
            except Exception as exc:  # logged by type only: a message could quote the database URL
                log.warning("commit watcher: %s; retrying", type(exc).__name__, extra={"action": "watch_error"})
                self._stop.wait(1.0)

    def _poll(self) -> None:
        path = self._engine.url.database
        if not path or path == ":memory:":
            self._stop.wait()  # nothing another process could commit to
            return
        conn: Any = sqlite_dbapi().connect(path, timeout=1.0)
        try:
            last = conn.execute("PRAGMA data_version").fetchone()[0]
            while not self._stop.wait(self._interval):
                now = conn.execute("PRAGMA data_version").fetchone()[0]
                if now != last:
                    last = now
                    self._wake()
        finally:
            conn.close()

    def _listen(self) -> None:
        import psycopg  # only where the database is PostgreSQL, whose driver is then installed

        url = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._wake()  # anything queued while this connection was being made
            while not self._stop.is_set():
                for _ in conn.notifies(timeout=0.5, stop_after=1):
                    self._wake()
