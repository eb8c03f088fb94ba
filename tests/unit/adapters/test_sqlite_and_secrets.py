from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from zeroparty.adapters.crypto import SecretBox, load_or_create_key
from zeroparty.adapters.db.engine import create_engine, reader, sqlite_version_affected
from zeroparty.config import Settings
from zeroparty.domain.scrub import key_hint
from zeroparty.errors import ConfigurationError


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        ("3.40.1", True),
        ("3.44.5", True),
        ("3.44.6", False),
        ("3.50.6", True),
        ("3.50.7", False),
        ("3.51.2", True),
        ("3.51.3", False),
        ("3.52.0", False),
        ("3.6.23", False),
    ],
)
def test_wal_reset_bug_versions(version: str, affected: bool) -> None:
    assert sqlite_version_affected(version) is affected


def test_sqlite_is_opened_for_durability(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_readers_do_not_hold_the_write_lock(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with reader(engine).connect() as read:
        read.execute(sa.text("SELECT count(*) FROM t")).scalar()
        # A writer can commit while the reader's transaction is open (it would block under IMMEDIATE).
        other = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
        with other.connect() as raw:
            raw.exec_driver_sql("PRAGMA busy_timeout=100")
            raw.exec_driver_sql("INSERT INTO t VALUES (1)")
            raw.commit()


def test_secret_box_round_trip_and_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key = load_or_create_key(None, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_or_create_key(None, key_file) == key
    box = SecretBox(key)
    sealed = box.seal("braze-key-1234")
    assert "braze-key-1234" not in sealed
    assert box.open(sealed) == "braze-key-1234"
    with pytest.raises(ConfigurationError, match="differs"):
        SecretBox(load_or_create_key(None, tmp_path / "other.key")).open(sealed)
    with pytest.raises(ConfigurationError, match="not a valid Fernet key"):
        SecretBox(b"short")
    assert key_hint("braze-key-1234") == "…1234"
    assert key_hint("short") == "…"


def test_settings_from_env() -> None:
    s = Settings.from_env(
        {
            "ZEROPARTY_DATA_DIR": "/tmp/zp",
            "ZEROPARTY_PORT": "9001",
            "ZEROPARTY_WORKER": "off",
            "ZEROPARTY_LEASE_SECONDS": "5",
            "ZEROPARTY_HEADER_TIMEOUT_SECONDS": "2.5",
            "ZEROPARTY_MAX_CONNECTIONS": "500",
            "ZEROPARTY_READY_MIN_FREE_MB": "250",
        }
    )
    assert s.port == 9001 and s.worker is False and s.lease_seconds == 5 and s.ready_min_free_mb == 250
    assert s.header_timeout_s == 2.5 and s.max_connections == 500
    assert s.db_url == "sqlite:////tmp/zp/zeroparty.db"
    for env, message in [
        ({"ZEROPARTY_PORT": "70000"}, "ZEROPARTY_PORT: must be between"),
        ({"ZEROPARTY_WORKER": "maybe"}, "ZEROPARTY_WORKER: expected true or false"),
        ({"ZEROPARTY_MAX_BODY_BYTES": "x"}, "ZEROPARTY_MAX_BODY_BYTES: expected a whole number"),
        ({"ZEROPARTY_LEASE_SECONDS": "1"}, "ZEROPARTY_LEASE_SECONDS: must be between 2 and 3600"),
        ({"ZEROPARTY_HEADER_TIMEOUT_SECONDS": "0"}, "ZEROPARTY_HEADER_TIMEOUT_SECONDS: must be between 0.5 and 300"),
        ({"ZEROPARTY_MAX_CONNECTIONS": "3"}, "ZEROPARTY_MAX_CONNECTIONS: must be between 16 and 1000000"),
        ({"ZEROPARTY_READY_MIN_FREE_MB": "-1"}, "ZEROPARTY_READY_MIN_FREE_MB: must be between 0 and"),
    ]:
        with pytest.raises(ConfigurationError, match=message):
            Settings.from_env(env)
