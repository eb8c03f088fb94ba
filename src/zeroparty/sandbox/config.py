"""Sandbox configuration: keys and their permissions, limits, the instance it plays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# REST API key permissions (https://www.braze.com/docs/api/basics#rest-api-key-permissions).
ALL_PERMISSIONS = frozenset(
    {
        "users.track", "users.delete", "users.alias.new", "users.alias.update", "users.identify", "users.merge",
        "users.export.ids", "subscription.status.set", "email.status",
    }
)  # fmt: skip


@dataclass(frozen=True)
class SandboxConfig:
    api_keys: Mapping[str, frozenset[str]]
    instance_host: str | None = None
    max_objects: int = 75
    legacy_per_array: bool = False
    rate_limit_mode: Literal["epoch", "mau"] = "epoch"
    track_rate_limit: int = 3000
    track_rate_window_s: float = 3.0
    max_body_bytes: int = 4 * 1024 * 1024
    array_cap: int = 25
    request_log_size: int = 1000
    # Other endpoint groups: (requests, window seconds); defaults are Braze's (see state.py).
    export_rate_limit: tuple[int, float] = (250, 60.0)
    user_endpoints_rate_limit: tuple[int, float] = (20_000, 60.0)
    subscription_rate_limit: tuple[int, float] = (5_000, 60.0)
    email_status_rate_limit: tuple[int, float] = (250_000, 3600.0)

    @classmethod
    def single_key(cls, api_key: str, **kw: Any) -> SandboxConfig:
        """One key holding every permission."""
        return cls(api_keys={api_key: ALL_PERMISSIONS}, **kw)
