"""Settings from ZEROPARTY_* environment variables (the same names as CLI options where both exist)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from zeroparty.errors import ConfigurationError


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name}: expected true or false, got '{raw}'")


def _int(name: str, raw: str, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}: expected a whole number, got '{raw}'") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name}: must be between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(".zeroparty")
    database_url: str | None = None
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 64 * 1024
    sqlite_busy_timeout_ms: int = 10_000
    lease_seconds: int = 60
    worker: bool = True
    sandbox: bool = True
    sandbox_api_key: str | None = None
    log_level: str = "INFO"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'zeroparty.db'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        s = cls()
        get = env.get
        if v := get("ZEROPARTY_DATA_DIR"):
            s = replace(s, data_dir=Path(v))
        if v := get("ZEROPARTY_DATABASE_URL"):
            s = replace(s, database_url=v)
        if v := get("ZEROPARTY_SECRET_KEY"):
            s = replace(s, secret_key=v)
        if v := get("ZEROPARTY_HOST"):
            s = replace(s, host=v)
        if v := get("ZEROPARTY_PORT"):
            s = replace(s, port=_int("ZEROPARTY_PORT", v, 0, 65535))
        if v := get("ZEROPARTY_MAX_BODY_BYTES"):
            s = replace(s, max_body_bytes=_int("ZEROPARTY_MAX_BODY_BYTES", v, 1024, 4 * 1024 * 1024))
        if v := get("ZEROPARTY_SQLITE_BUSY_TIMEOUT_MS"):
            s = replace(s, sqlite_busy_timeout_ms=_int("ZEROPARTY_SQLITE_BUSY_TIMEOUT_MS", v, 0, 600_000))
        if v := get("ZEROPARTY_LEASE_SECONDS"):
            s = replace(s, lease_seconds=_int("ZEROPARTY_LEASE_SECONDS", v, 2, 3600))
        if v := get("ZEROPARTY_WORKER"):
            s = replace(s, worker=_bool("ZEROPARTY_WORKER", v))
        if v := get("ZEROPARTY_SANDBOX"):
            s = replace(s, sandbox=_bool("ZEROPARTY_SANDBOX", v))
        if v := get("ZEROPARTY_SANDBOX_API_KEY"):
            s = replace(s, sandbox_api_key=v)
        if v := get("ZEROPARTY_LOG_LEVEL"):
            s = replace(s, log_level=v.upper())
        return s
