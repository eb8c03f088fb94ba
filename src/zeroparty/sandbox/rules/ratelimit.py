"""Fixed-window request limits per API key, as Braze meters them.

https://www.braze.com/docs/api/api_limits: `/users/track` 3,000 requests per 3 seconds by default;
"every single API request" answers `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset`, the reset being "the time at which the current rate limit window resets in UTC
epoch seconds"; hourly limits reset "on the clock hour, not on a rolling window". MAU contracts
(https://www.braze.com/docs/api/endpoints/user_data/post_user_track, "Rate limit headers for Monthly
Active Users") give Reset as the seconds remaining and answer a 429 with `X-Ratelimit-Retry-After`
instead of the three headers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["epoch", "mau"]
HOUR = 3600.0


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    headers: dict[str, str]


@dataclass
class RateLimiter:
    limit: int
    window_s: float
    mode: Mode = "epoch"
    _windows: dict[str, _Window] = field(default_factory=dict)

    def _window(self, key: str, now: float) -> _Window:
        w = self._windows.get(key)
        if w is None or now >= w.started + self.window_s:
            # Hour-long (and longer) windows follow the clock; short bursts start with the first request.
            start = now - (now % self.window_s) if self.window_s >= HOUR else now
            w = self._windows[key] = _Window(started=start)
        return w

    def take(self, key: str, now: float) -> Decision:
        """Count one request against the key's window."""
        w = self._window(key, now)
        allowed = w.used < self.limit
        if allowed:
            w.used += 1
        return Decision(allowed, self._headers(w, now, allowed))

    def peek(self, key: str, now: float) -> dict[str, str]:
        """The headers for an answer that does not count (a refused permission, say)."""
        return self._headers(self._window(key, now), now, True)

    def _headers(self, w: _Window, now: float, allowed: bool) -> dict[str, str]:
        reset_at = w.started + self.window_s
        seconds_left = max(1, math.ceil(reset_at - now))
        if self.mode == "mau" and not allowed:
            return {"X-Ratelimit-Retry-After": str(seconds_left)}
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - w.used)),
            "X-RateLimit-Reset": str(math.ceil(reset_at)) if self.mode == "epoch" else str(seconds_left),
        }

    def reset(self) -> None:
        self._windows.clear()


def fault_headers(mode: Mode, retry_after: float, now: float) -> dict[str, str]:
    """Headers of a scripted 429: the reset lands `retry_after` seconds from now, never earlier."""
    wait = max(0.0, retry_after)
    if mode == "mau":
        return {"X-Ratelimit-Retry-After": str(math.ceil(wait))}
    return {"X-RateLimit-Limit": "0", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(math.ceil(now + wait))}
