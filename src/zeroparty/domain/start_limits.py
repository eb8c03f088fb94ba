"""How many responses one client may start: a token bucket per (experience, client), `count` at
once, refilled evenly over the window. A pure state machine: the caller hands in the time
(seconds, monotonic).

Memory is bounded: at most `max_tracked` buckets are kept, the least recently used forgotten first
(`token_buckets`: a flood of new addresses pushes old records out, never grows the table). Keys
are what the caller makes them: the HTTP adapter hands in a keyed hash of the client's address,
never the address.
"""

from __future__ import annotations

import math
import threading

from zeroparty.domain.experience.intake import Rate
from zeroparty.domain.token_buckets import TokenBuckets

MAX_TRACKED = 100_000


class StartLimiter:
    def __init__(self, max_tracked: int = MAX_TRACKED) -> None:
        self.max_tracked = max_tracked
        self._buckets = TokenBuckets(max_tracked)
        self._lock = threading.Lock()  # starts are admitted from the server's worker threads

    def take(self, key: str, rate: Rate, now: float) -> int:
        """0 when a start is admitted (and counted); else the whole seconds (at least 1) until the
        next one would be."""
        per_s = rate.count / rate.window_s
        with self._lock:
            left = self._buckets.left(key, rate.count, per_s, now)
            if left < 1:
                return max(1, math.ceil((1 - left) / per_s))
            self._buckets.spend(key, rate.count, per_s, now)
            return 0

    def __len__(self) -> int:
        return len(self._buckets)
