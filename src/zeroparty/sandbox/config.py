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
    """What the sandbox plays. Defaults are Braze's (https://www.braze.com/docs/api/api_limits)."""

    api_keys: Mapping[str, frozenset[str]]  # key -> its permissions, e.g. {"users.track"}
    instance_host: str | None = None  # a request whose Host differs gets 401 (wrong instance)
    max_objects: int = 75  # objects per /users/track request, combined across the arrays
    per_array: bool = False  # the contract counts max_objects per array, not combined
    rate_limit_mode: Literal["epoch", "mau"] = "epoch"  # X-RateLimit-Reset as epoch or seconds left
    track_rate_limit: int = 3000  # /users/track requests per window per key
    track_rate_window_s: float = 3.0
    max_body_bytes: int = 4 * 1024 * 1024
    array_cap: int = 25  # values kept in a custom attribute array
    request_log_size: int = 1000  # requests kept for /_sandbox/requests
    # Other endpoint groups: (requests, window seconds) per key.
    export_rate_limit: tuple[int, float] = (250, 60.0)
    user_endpoints_rate_limit: tuple[int, float] = (20_000, 60.0)
    subscription_rate_limit: tuple[int, float] = (5_000, 60.0)
    email_status_rate_limit: tuple[int, float] = (250_000, 3600.0)

    @classmethod
    def single_key(cls, api_key: str, **kw: Any) -> SandboxConfig:
        """One key holding every permission."""
        return cls(api_keys={api_key: ALL_PERMISSIONS}, **kw)
