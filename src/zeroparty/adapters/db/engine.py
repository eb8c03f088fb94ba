"""Engine construction: SQLite tuned for durability, PostgreSQL as-is."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("zeroparty.db")

BUSY_TIMEOUT_MS = 10_000

# SQLite 3.7.0 up to 3.51.2 can lose committed writes in WAL mode with several connections
# (https://sqlite.org/wal.html#walresetbug); fixed in 3.51.3, backported to 3.44.6 and 3.50.7.
_WAL_RESET_FIXED = ((3, 44, 6), (3, 50, 7), (3, 51, 3))


def sqlite_version_affected(version: str) -> bool:
    parts = tuple(int(p) for p in version.split(".")[:3])
    if parts < (3, 7, 0):
        return False
    for fixed in _WAL_RESET_FIXED:
        if parts[:2] == fixed[:2]:
            return parts < fixed
    return parts < (3, 51, 3)


def check_sqlite_version(version: str = sqlite3.sqlite_version) -> None:
    log.info("linked SQLite version %s", version)
    if sqlite_version_affected(version):
        log.warning(
            "SQLite %s is affected by the WAL-reset bug (https://sqlite.org/wal.html#walresetbug), "
            "which can lose committed writes under concurrent connections; use a Python linked "
            "against SQLite >= 3.51.3 (or 3.50.7 / 3.44.6) in production",
            version,
        )


def _sqlite_setup(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN IMMEDIATE is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return on_connect


def _on_sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock up front: no lock upgrade mid-transaction, so no SQLITE_BUSY
    # half-way through; readers (see `reader`) use a plain deferred BEGIN and never block writers.
    readonly = conn.get_execution_options().get(READONLY_OPTION, False)
    conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


READONLY_OPTION = "zeroparty_readonly"


def reader(engine: Engine) -> Engine:
    """The same engine for read-only work: on SQLite its transactions do not take the write lock."""
    return engine.execution_options(**{READONLY_OPTION: True})


def create_engine(url: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        check_sqlite_version()
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000})
        sa.event.listen(engine, "connect", _sqlite_setup(busy_timeout_ms))
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)
