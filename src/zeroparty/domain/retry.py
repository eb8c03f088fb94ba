"""Retry policy: exponential backoff with full jitter; dead-letter only when both the attempt
count and the time window are spent (a burst of fast failures alone never dead-letters)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 1.0
    cap_s: float = 300.0
    max_attempts: int = 8
    window: timedelta = timedelta(hours=3)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): full jitter."""
        ceiling = min(self.cap_s, self.base_s * 2 ** max(0, attempt - 1))
        return rng.uniform(0, ceiling)

    def exhausted(self, attempts: int, first_queued_at: datetime, now: datetime) -> bool:
        return attempts >= self.max_attempts and now - first_queued_at >= self.window


DEFAULT_RETRY_POLICY = RetryPolicy()
