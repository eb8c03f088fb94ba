"""Which SQLite the engine runs on, what it says about the WAL-reset bug, and the modes of its files."""

from __future__ import annotations

import logging
import platform
import sqlite3
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

from zeroparty.adapters.db import engine as engine_module
from zeroparty.adapters.db.engine import (
    check_sqlite_durability,
    choose_sqlite_dbapi,
    create_engine,
    sqlite_dbapi,
    sqlite_version_affected,
)

# Where pyproject.toml installs pysqlite3 and this suite runs in CI.
BUNDLED_HERE = (
    sys.platform == "linux"
    and platform.machine() == "x86_64"
    and platform.python_implementation() == "CPython"
    and sys.version_info < (3, 15)
)


@pytest.fixture(autouse=True)
def fresh_warning_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "_warned_versions", set())


def fake_dbapi(name: str, sqlite_version: str) -> ModuleType:
    """The stdlib module under another name and claimed SQLite version; enough to build an engine on."""
    module = ModuleType(name)
    module.__dict__.update({k: v for k, v in vars(sqlite3).items() if not k.startswith("__")})
    module.sqlite_version = sqlite_version  # type: ignore[attr-defined]
    return module


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_bundled_module_is_preferred_and_the_stdlib_is_the_fallback() -> None:
    assert choose_sqlite_dbapi("zeroparty_no_such_sqlite_module") is sqlite3
    assert choose_sqlite_dbapi("json").__name__ == "json"
    assert sqlite_dbapi() is sqlite_dbapi()  # one module for the whole process


def test_engines_run_on_the_chosen_module(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert engine.dialect.dbapi is sqlite_dbapi()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT sqlite_version()").scalar() == sqlite_dbapi().sqlite_version


@pytest.mark.skipif(not BUNDLED_HERE, reason="pysqlite3 ships wheels for Linux x86_64 among others")
def test_the_sqlite_in_use_here_does_not_have_the_wal_reset_bug(tmp_path: Path) -> None:
    assert sqlite_dbapi().__name__ == "pysqlite3.dbapi2"
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
    assert isinstance(version, str) and not sqlite_version_affected(version)
    assert check_sqlite_durability(engine, long_running=True) is False


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name == "zeroparty.db"]


def test_an_affected_sqlite_warns_once_and_only_in_long_running_processes(caplog: pytest.LogCaptureFixture) -> None:
    engine = sa.create_engine("sqlite://", module=fake_dbapi("sqlite3", "3.40.1"))
    with caplog.at_level(logging.DEBUG, logger="zeroparty.db"):
        assert check_sqlite_durability(engine, long_running=False) is True
        assert warnings_in(caplog) == []  # a one-shot command or the demo: nothing the user must act on
        assert any("3.40.1" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
        assert check_sqlite_durability(engine, long_running=True) is True
        assert check_sqlite_durability(engine, long_running=True) is True
    [warning] = warnings_in(caplog)
    assert "3.40.1" in warning and "walresetbug" in warning
    assert "pysqlite3" in warning and "ZEROPARTY_DATABASE_URL" in warning  # what to do about it


def test_a_bundled_module_linked_against_an_affected_sqlite_says_to_reinstall_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = sa.create_engine("sqlite://", module=fake_dbapi("pysqlite3.dbapi2", "3.51.2"))
    with caplog.at_level(logging.DEBUG, logger="zeroparty.db"):
        assert check_sqlite_durability(engine, long_running=True) is True
    [warning] = warnings_in(caplog)
    assert "3.51.2" in warning and "--force-reinstall --only-binary" in warning


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://zp@127.0.0.1/zp"])
def test_fixed_sqlite_and_postgresql_say_nothing(url: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = (
        sa.create_engine(url, module=fake_dbapi("sqlite3", "3.51.3")) if url == "sqlite://" else sa.create_engine(url)
    )
    with caplog.at_level(logging.DEBUG, logger="zeroparty.db"):
        assert check_sqlite_durability(engine, long_running=True) is False
    assert warnings_in(caplog) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_database_files_are_private_to_the_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    engine = create_engine(f"sqlite:///{data / 'zeroparty.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with engine.connect() as conn:  # -wal and -shm exist while a connection is open
        conn.exec_driver_sql("SELECT count(*) FROM t").scalar()
        assert mode(data) == 0o700
        for name in ("zeroparty.db", "zeroparty.db-wal", "zeroparty.db-shm"):
            assert mode(data / name) == 0o600, name
    engine.dispose()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_existing_files_and_directories_keep_their_modes(tmp_path: Path) -> None:
    tmp_path.chmod(0o750)
    db = tmp_path / "x.db"
    db.touch(mode=0o640)
    db.chmod(0o640)
    with create_engine(f"sqlite:///{db}").begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    assert mode(tmp_path) == 0o750 and mode(db) == 0o640
    create_engine("sqlite://").dispose()  # in memory: no file at all
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("x.db")) == []
