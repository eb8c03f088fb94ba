"""Can the store take writes right now? The readiness probe behind `GET /readyz` (docs/security.md,
"Health and readiness"). It writes nothing, opens its own short-lived connection (never one from the
application's pool, which may be exhausted), and every wait in it is bounded.

Verdicts, first found first:

- `unreachable`: the database cannot be opened or does not answer (SQLite file gone, PostgreSQL down);
- `read-only`: the SQLite file, its `-wal` or its filesystem cannot be written; PostgreSQL is a standby
  in recovery or its sessions default to read-only transactions;
- `full`: free space on the SQLite file's volume is under the threshold (SQLITE_FULL too);
- `locked`: a writer has held SQLite's write lock for longer than the probe waits for it;
- `ok`.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from zeroparty.adapters.db.engine import sqlite_dbapi
from zeroparty.services.read_ports import READY, Readiness, Status

LOCK_WAIT_S = 1.0  # how long the probe waits for SQLite's write lock before saying `locked`
CONNECT_TIMEOUT_S = 2  # PostgreSQL: connecting, then each statement
# Primary SQLite result codes (https://sqlite.org/rescode.html).
_SQLITE_CODES: dict[int, Status] = {5: "locked", 6: "locked", 8: "read-only", 13: "full", 14: "unreachable"}


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def not_writable(path: Path) -> bool:
    """Whether this process cannot write `path`. Root passes every permission check, so for root a file
    with no write bit at all counts as not writable: someone made it read-only on purpose."""
    if os.geteuid() == 0:
        return not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    return not os.access(path, os.W_OK)


def read_only_filesystem(path: Path) -> bool:
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


class ReadinessCheck:
    """Blocking; call it off the event loop. One instance per process, reused for every probe."""

    def __init__(
        self,
        db_url: str,
        *,
        min_free_bytes: int,
        lock_wait_s: float = LOCK_WAIT_S,
        free_space: Callable[[Path], int] = free_bytes,
    ) -> None:
        self._url = sa.engine.make_url(db_url)
        self._min_free = min_free_bytes
        self._lock_wait_s = lock_wait_s
        self._free_space = free_space
        self._pg: sa.Engine | None = None
        if self._url.get_backend_name() != "sqlite":
            # No pool: every probe connects afresh, as a client that has just arrived would.
            self._pg = sa.create_engine(
                self._url,
                poolclass=sa.NullPool,
                connect_args={
                    "connect_timeout": CONNECT_TIMEOUT_S,
                    "options": f"-c statement_timeout={CONNECT_TIMEOUT_S * 1000}",
                },
            )

    def __call__(self) -> Readiness:
        if self._pg is not None:
            return _postgres(self._pg)
        return self._sqlite(Path(self._url.database or ""))

    def close(self) -> None:
        if self._pg is not None:
            self._pg.dispose()

    def _sqlite(self, db: Path) -> Readiness:
        if not db.is_file():
            return Readiness("unreachable", "the SQLite database file is missing")
        wal = db.with_name(db.name + "-wal")
        if read_only_filesystem(db.parent) or not_writable(db) or (wal.exists() and not_writable(wal)):
            return Readiness("read-only", "the SQLite database file or its filesystem is not writable")
        free = self._free_space(db.parent)
        if free < self._min_free:
            return Readiness(
                "full", f"{free // 2**20} MB free on the database's volume, under the {self._min_free // 2**20} MB set"
            )
        return self._sqlite_lock(db)

    def _sqlite_lock(self, db: Path) -> Readiness:
        dbapi = sqlite_dbapi()  # the library the application uses: locks are only seen within one
        try:
            conn = dbapi.connect(
                db.resolve().as_uri() + "?mode=rw", uri=True, timeout=self._lock_wait_s, isolation_level=None
            )
        except dbapi.Error as exc:
            return _sqlite_failure(exc, self._lock_wait_s)
        try:
            # Taking the write lock and letting it go writes nothing; it answers whether a writer could.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except dbapi.Error as exc:
            return _sqlite_failure(exc, self._lock_wait_s)
        finally:
            conn.close()
        return READY


def _sqlite_failure(exc: Any, lock_wait_s: float) -> Readiness:
    code = getattr(exc, "sqlite_errorcode", None)
    status = _SQLITE_CODES.get(code & 0xFF, "unreachable") if isinstance(code, int) else "unreachable"
    details = {
        "locked": f"a writer has held the database lock for over {lock_wait_s:g} s",
        "read-only": "SQLite refuses to write the database",
        "full": "SQLite reports the disk full",
        "unreachable": "the SQLite database cannot be opened",
    }
    return Readiness(status, details.get(status, ""))


def _postgres(engine: sa.Engine) -> Readiness:
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")).one()
    except SQLAlchemyError:
        return Readiness("unreachable", f"PostgreSQL did not answer within {CONNECT_TIMEOUT_S} s")
    if row[0]:
        return Readiness("read-only", "PostgreSQL is in recovery (a standby)")
    if row[1] == "on":
        return Readiness("read-only", "PostgreSQL sessions start read-only (default_transaction_read_only)")
    return READY
