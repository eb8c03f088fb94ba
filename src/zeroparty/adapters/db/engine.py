"""Engine construction: SQLite tuned for durability, PostgreSQL as-is."""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("zeroparty.db")

BUSY_TIMEOUT_MS = 10_000

# pysqlite3 is the stdlib sqlite3 module built against a bundled, current SQLite; it is a dependency
# only where it ships wheels (see pyproject.toml).
BUNDLED_SQLITE_MODULE = "pysqlite3.dbapi2"

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


def choose_sqlite_dbapi(preferred: str = BUNDLED_SQLITE_MODULE) -> ModuleType:
    """The bundled SQLite module where it is installed, else the stdlib `sqlite3`."""
    try:
        return importlib.import_module(preferred)
    except ImportError:
        return sqlite3


@functools.cache
def sqlite_dbapi() -> ModuleType:
    """The SQLite module every engine of this process uses.

    Anything else that opens the database in this process must use it too: two SQLite libraries in
    one process do not see each other's locks (POSIX locks are per process), so they could both write.
    """
    return choose_sqlite_dbapi()


_warned_versions: set[str] = set()


def _durability_hint(module_name: str) -> str:
    if module_name == "sqlite3":
        return (
            "fix: `pip install pysqlite3` where it has wheels (Linux x86_64, macOS arm64, Windows x64), "
            "else a Python linked against SQLite >= 3.51.3 (or 3.50.7 / 3.44.6), "
            "or PostgreSQL through ZEROPARTY_DATABASE_URL"
        )
    # The bundled module built from source links the system's SQLite instead of its own.
    return (
        "fix: `pip install --force-reinstall --only-binary :all: pysqlite3` to get the wheel's SQLite, "
        "or PostgreSQL through ZEROPARTY_DATABASE_URL"
    )


def check_sqlite_durability(engine: Engine, *, long_running: bool) -> bool:
    """Say whether the SQLite behind `engine` has the WAL-reset bug; True when it has.

    A warning goes out once per process and only for `long_running` processes (server, worker), where
    concurrent writers make the bug reachable and an operator can act on the hint; elsewhere (one-shot
    commands, the demo) the finding is logged at DEBUG. PostgreSQL engines are never affected.
    """
    dbapi = engine.dialect.dbapi
    if engine.dialect.name != "sqlite" or dbapi is None:
        return False
    version: str = dbapi.sqlite_version
    affected = sqlite_version_affected(version)
    log.debug("SQLite %s through %s; WAL-reset bug: %s", version, dbapi.__name__, "yes" if affected else "no")
    if affected and long_running and version not in _warned_versions:
        _warned_versions.add(version)
        log.warning(
            "SQLite %s (module %s) has the WAL-reset bug (https://sqlite.org/wal.html#walresetbug), "
            "which can lose committed writes under concurrent connections; %s",
            version,
            dbapi.__name__,
            _durability_hint(dbapi.__name__),
        )
    return affected


def _sqlite_setup(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so BEGIN IMMEDIATE is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are zeroed, not left readable in free space: the delivery queue and records
        # are deleted as deliveries end, and they name people (an email, an external id), so an
        # erasure could not otherwise promise that nothing of a person lingers in the file.
        cur.execute("PRAGMA secure_delete=ON")
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


def prepare_sqlite_file(url: sa.URL) -> None:
    """Create the database file 0600 in a 0700 directory before SQLite does.

    SQLite would create it 0644 (less the umask), and gives its -wal and -shm files the database
    file's mode, so the responses and sealed keys in them stay private to the owner this way.
    Existing files and directories keep their modes: an operator may have chosen them.
    """
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:") or url.query.get("uri"):
        return
    db = Path(path)
    try:
        db.parent.mkdir(mode=0o700, parents=True)
        db.parent.chmod(0o700)  # the mode given to mkdir is narrowed by the umask; this is exact
    except FileExistsError:
        pass
    # An empty file is an empty database to SQLite, so creating it here is enough.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def create_engine(url: str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        prepare_sqlite_file(parsed)
        engine = sa.create_engine(
            parsed,
            module=sqlite_dbapi(),
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        )
        sa.event.listen(engine, "connect", _sqlite_setup(busy_timeout_ms))
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        check_sqlite_durability(engine, long_running=False)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)
