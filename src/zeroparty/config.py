"""Settings from ZEROPARTY_* environment variables (the same names as CLI options where both exist)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zeroparty.domain.workspaces import slug_problem
from zeroparty.errors import ConfigurationError


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name}: expected true or false, got '{raw}'")


def _number(name: str, raw: str, low: float, high: float, kind: type[int] | type[float]) -> Any:
    try:
        value = kind(raw)
    except ValueError:
        expected = "a whole number" if kind is int else "a number of seconds"
        raise ConfigurationError(f"{name}: expected {expected}, got '{raw}'") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name}: must be between {_shown(low)} and {_shown(high)}, got {_shown(value)}")
    return value


def _shown(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _int(name: str, raw: str, low: int, high: int) -> int:
    return int(_number(name, raw, low, high, int))


_CSP_SOURCE = re.compile(r"^(?:'self'|'none'|\*|(?:https?://)?(?:\*\.)?[A-Za-z0-9.-]+(?::[0-9]{1,5})?)$")


def _frame_ancestors(name: str, raw: str) -> str:
    """A CSP source list: it lands in a header, so nothing but sources may pass."""
    sources = raw.split()
    if not sources or not all(_CSP_SOURCE.match(s) for s in sources):
        raise ConfigurationError(
            f"{name}: expected CSP sources separated by spaces, e.g. \"'self' https://www.example.com\", got '{raw}'"
        )
    return " ".join(sources)


def _trusted_proxies(name: str, raw: str) -> str:
    from zeroparty.domain.client_address import parse_trusted

    try:
        parse_trusted(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name}: {exc}; expected addresses or networks separated by commas") from None
    return raw


def _workspace(name: str, raw: str) -> str:
    if problem := slug_problem(raw):
        raise ConfigurationError(f"{name}: {problem}")
    return raw


def _public_url(name: str, raw: str) -> str:
    """The address people reach the console at (links printed by the CLI): scheme and host only."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(raw.strip())
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{name}: expected an http or https URL such as https://zp.example.com, got '{raw}'")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(f"{name}: give the scheme and host only (no path, query or login), got '{raw}'")
    return f"{parts.scheme}://{parts.netloc}"


def _seconds(name: str, raw: str, low: float, high: float) -> float:
    return float(_number(name, raw, low, high, float))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(".zeroparty")
    database_url: str | None = None
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 64 * 1024
    body_timeout_s: float = 5.0
    header_timeout_s: float = 5.0
    max_connections: int | None = None  # None: from the process's descriptor limit
    frame_ancestors: str = "'self'"
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (adapters/http/client_address.py).
    trusted_proxies: str = "127.0.0.1,::1"
    revisit_seconds: int = 600
    resume_seconds: int = 7 * 24 * 3600  # how long a respondent's resume and variant passes last
    sqlite_busy_timeout_ms: int = 10_000
    ready_min_free_mb: int = 100
    lease_seconds: int = 60
    batch_window_ms: int = 50
    settle_seconds: float = 30.0
    idle_poll_seconds: float = 1.0
    events_flush_seconds: float = 1.0  # the most analytics events a crash can lose (services/event_buffer.py)
    worker: bool = True
    sandbox: bool = False
    sandbox_api_key: str | None = None
    sandbox_database_url: str | None = None
    log_level: str = "INFO"
    workspace: str = "default"  # the workspace the CLI's commands act in (domain/workspaces.py)
    public_url: str | None = None  # where people reach the console, for the links the CLI prints

    @property
    def base_url(self) -> str:
        """The console's address: ZEROPARTY_PUBLIC_URL, else the host and port served on."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return self.public_url or f"http://{host}:{self.port}"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'zeroparty.db'}"

    @property
    def sandbox_db_url(self) -> str:
        """The sandbox keeps its own database: a development tool stays out of the product's schema."""
        return self.sandbox_database_url or f"sqlite:///{self.data_dir / 'braze-sandbox.db'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        values = {field: parse(name, raw) for name, (field, parse) in _VARIABLES.items() if (raw := env.get(name))}
        return replace(cls(), **values)  # each parser returns its field's type


def _text(_name: str, raw: str) -> str:
    return raw


# ZEROPARTY_* variable → (Settings field, parser that validates it and names the variable on error).
_VARIABLES: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "ZEROPARTY_DATA_DIR": ("data_dir", lambda _n, raw: Path(raw)),
    "ZEROPARTY_DATABASE_URL": ("database_url", _text),
    "ZEROPARTY_SECRET_KEY": ("secret_key", _text),
    "ZEROPARTY_HOST": ("host", _text),
    "ZEROPARTY_PORT": ("port", lambda n, raw: _int(n, raw, 0, 65535)),
    "ZEROPARTY_MAX_BODY_BYTES": ("max_body_bytes", lambda n, raw: _int(n, raw, 1024, 4 * 1024 * 1024)),
    "ZEROPARTY_BODY_TIMEOUT_SECONDS": ("body_timeout_s", lambda n, raw: _seconds(n, raw, 0.1, 300)),
    "ZEROPARTY_HEADER_TIMEOUT_SECONDS": ("header_timeout_s", lambda n, raw: _seconds(n, raw, 0.5, 300)),
    "ZEROPARTY_MAX_CONNECTIONS": ("max_connections", lambda n, raw: _int(n, raw, 16, 1_000_000)),
    "ZEROPARTY_FRAME_ANCESTORS": ("frame_ancestors", _frame_ancestors),
    "ZEROPARTY_TRUSTED_PROXIES": ("trusted_proxies", _trusted_proxies),
    "ZEROPARTY_REVISIT_SECONDS": ("revisit_seconds", lambda n, raw: _int(n, raw, 10, 86_400)),
    "ZEROPARTY_RESUME_SECONDS": ("resume_seconds", lambda n, raw: _int(n, raw, 60, 400 * 86_400)),
    "ZEROPARTY_SQLITE_BUSY_TIMEOUT_MS": ("sqlite_busy_timeout_ms", lambda n, raw: _int(n, raw, 0, 600_000)),
    "ZEROPARTY_READY_MIN_FREE_MB": ("ready_min_free_mb", lambda n, raw: _int(n, raw, 0, 10_000_000)),
    "ZEROPARTY_LEASE_SECONDS": ("lease_seconds", lambda n, raw: _int(n, raw, 2, 3600)),
    "ZEROPARTY_BATCH_WINDOW_MS": ("batch_window_ms", lambda n, raw: _int(n, raw, 0, 10_000)),
    "ZEROPARTY_SETTLE_SECONDS": ("settle_seconds", lambda n, raw: _seconds(n, raw, 0, 3600)),
    "ZEROPARTY_IDLE_POLL_SECONDS": ("idle_poll_seconds", lambda n, raw: _seconds(n, raw, 0.05, 3600)),
    "ZEROPARTY_EVENTS_FLUSH_SECONDS": ("events_flush_seconds", lambda n, raw: _seconds(n, raw, 0.01, 60)),
    "ZEROPARTY_WORKER": ("worker", _bool),
    "ZEROPARTY_SANDBOX": ("sandbox", _bool),
    "ZEROPARTY_SANDBOX_API_KEY": ("sandbox_api_key", _text),
    "ZEROPARTY_SANDBOX_DATABASE_URL": ("sandbox_database_url", _text),
    "ZEROPARTY_LOG_LEVEL": ("log_level", lambda _n, raw: raw.upper()),
    "ZEROPARTY_WORKSPACE": ("workspace", _workspace),
    "ZEROPARTY_PUBLIC_URL": ("public_url", _public_url),
}
