"""Allowances per key as token buckets: each key has up to `burst` at once, refilled evenly at
`per_s`. Memory is bounded: at most `max_keys` buckets are kept, the least recently used forgotten
first (a flood of new keys pushes old records out, never grows the table). Pure: the caller hands
in the time (seconds, monotonic) and, per call, the bucket's size and refill rate, so one table can
hold buckets of different rates (sign-in failures, response starts per experience)."""

from __future__ import annotations

from collections import OrderedDict


class TokenBuckets:
    def __init__(self, max_keys: int) -> None:
        self.max_keys = max_keys
        self._left: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (allowance, at)

    def left(self, key: str, burst: float, per_s: float, now: float) -> float:
        found = self._left.get(key)
        if found is None:
            return burst
        allowance, at = found
        return min(burst, allowance + max(0.0, now - at) * per_s)

    def spend(self, key: str, burst: float, per_s: float, now: float) -> None:
        self._left[key] = (self.left(key, burst, per_s, now) - 1, now)
        self._left.move_to_end(key)
        while len(self._left) > self.max_keys:
            self._left.popitem(last=False)

    def forget(self, key: str) -> None:
        self._left.pop(key, None)

    def __len__(self) -> int:
        return len(self._left)
