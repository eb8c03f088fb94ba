"""The sandbox's in-memory state: request log, counters, faults and rate-limit windows.

Profiles live in the database (store.py); the rest is per process and cleared by a reset, like the
request logs Braze keeps for a short time.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zeroparty.sandbox.config import SandboxConfig
from zeroparty.sandbox.faults import FaultScript
from zeroparty.sandbox.rules.ratelimit import RateLimiter

# Braze's defaults for the other user-data endpoints (https://www.braze.com/docs/api/api_limits).
SHARED_USER_ENDPOINTS = ("/users/delete", "/users/alias/new", "/users/alias/update", "/users/identify", "/users/merge")


@dataclass
class LoggedRequest:
    id: int
    at: datetime
    method: str
    path: str
    status: int
    request_body: Any
    response_body: Any
    latency_ms: float
    data_points: int
    notes: list[str] = field(default_factory=list)  # what Braze would have skipped silently

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "request_body": self.request_body,
            "response_body": self.response_body,
            "latency_ms": round(self.latency_ms, 3),
            "data_points": self.data_points,
            "notes": self.notes,
        }


@dataclass
class SandboxState:
    config: SandboxConfig
    faults: FaultScript = field(default_factory=FaultScript)
    log: deque[LoggedRequest] = field(default_factory=deque)
    by_path: Counter[tuple[str, int]] = field(default_factory=Counter)
    objects: Counter[str] = field(default_factory=Counter)
    data_points: int = 0
    _next_id: int = 1
    limiters: dict[str, RateLimiter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.log = deque(maxlen=self.config.request_log_size)
        c = self.config
        mode = c.rate_limit_mode
        shared = RateLimiter(*c.user_endpoints_rate_limit, mode)
        subscriptions = RateLimiter(*c.subscription_rate_limit, mode)  # v1 and v2 share one limit
        self.limiters = {
            "/users/track": RateLimiter(c.track_rate_limit, c.track_rate_window_s, mode),
            "/users/export/ids": RateLimiter(*c.export_rate_limit, mode),
            **{p: shared for p in SHARED_USER_ENDPOINTS},
            "/subscription/status/set": subscriptions,
            "/v2/subscription/status/set": subscriptions,
            "/email/status": RateLimiter(*c.email_status_rate_limit, mode),
        }

    def record(self, entry: LoggedRequest, objects: dict[str, int] | None = None) -> None:
        self.log.append(entry)
        self.by_path[(entry.path, entry.status)] += 1
        self.data_points += entry.data_points
        self.objects.update(objects or {})

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def reset(self) -> None:
        self.log.clear()
        self.by_path.clear()
        self.objects.clear()
        self.data_points = 0
        self.faults.clear()
        for limiter in self.limiters.values():
            limiter.reset()

    def stats(self, profiles: int) -> dict[str, Any]:
        by_path: dict[str, dict[str, int]] = {}
        for (path, status), n in sorted(self.by_path.items()):
            by_path.setdefault(path, {})[str(status)] = n
        return {
            "requests_by_path": by_path,
            "requests_total": sum(self.by_path.values()),
            "objects": {k: self.objects.get(k, 0) for k in ("attributes", "events", "purchases")},
            "profiles": profiles,
            "data_points": self.data_points,
        }
