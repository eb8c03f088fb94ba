"""Fixed-window request limits per API key, as Braze meters them
(https://www.braze.com/docs/api/api_limits: `/users/track` 3,000 requests per 3 seconds by default).

Two header conventions exist: the general one gives `X-RateLimit-Reset` as a UTC epoch second;
MAU contracts give it as seconds remaining and answer a 429 with `X-Ratelimit-Retry-After` only
(https://www.braze.com/docs/api/endpoints/user_data/post_user_track).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["epoch", "mau"]


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass
class Decision:
    allowed: bool
    headers: dict[str, str]


@dataclass
class RateLimiter:
    limit: int
    window_s: float
    mode: Mode = "epoch"
    _windows: dict[str, _Window] = field(default_factory=dict)

    def take(self, key: str, now: float) -> Decision:
        w = self._windows.get(key)
        if w is None or now >= w.started + self.window_s:
            w = self._windows[key] = _Window(started=now)
        allowed = w.used < self.limit
        if allowed:
            w.used += 1
        reset_at = w.started + self.window_s
        remaining = max(0, self.limit - w.used)
        seconds_left = max(1, math.ceil(reset_at - now))
        if self.mode == "mau" and not allowed:
            return Decision(False, {"X-Ratelimit-Retry-After": str(seconds_left)})
        reset = str(math.ceil(reset_at)) if self.mode == "epoch" else str(seconds_left)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": reset,
        }
        return Decision(allowed, headers)

    def reset(self) -> None:
        self._windows.clear()
