"""How many responses one client may start: a token bucket per (experience, client), `count` at
once, refilled evenly over the window. A pure state machine: the caller hands in the time
(seconds, monotonic).

Memory is bounded: at most `max_tracked` buckets are kept, the least recently used forgotten first
(a flood of new addresses pushes old records out, never grows the table); a bucket that has
refilled is dropped when next seen. Keys are what the caller makes them: the HTTP adapter hands in a
keyed hash of the client's address, never the address.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

from zeroparty.domain.experience.intake import Rate

MAX_TRACKED = 100_000


class StartLimiter:
    def __init__(self, max_tracked: int = MAX_TRACKED) -> None:
        self.max_tracked = max_tracked
        self._left: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (allowance, at)
        self._lock = threading.Lock()  # starts are admitted from the server's worker threads

    def take(self, key: str, rate: Rate, now: float) -> int:
        """0 when a start is admitted (and counted); else the whole seconds (at least 1) until the
        next one would be."""
        per_s = rate.count / rate.window_s
        with self._lock:
            found = self._left.pop(key, None)
            left = float(rate.count) if found is None else min(rate.count, found[0] + max(0.0, now - found[1]) * per_s)
            if left < 1:
                self._keep(key, left, now)
                return max(1, math.ceil((1 - left) / per_s))
            if left - 1 < rate.count:
                self._keep(key, left - 1, now)
            return 0

    def _keep(self, key: str, left: float, now: float) -> None:
        self._left[key] = (left, now)
        while len(self._left) > self.max_tracked:
            self._left.popitem(last=False)

    def __len__(self) -> int:
        return len(self._left)
