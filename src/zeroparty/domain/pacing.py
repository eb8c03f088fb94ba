"""How fast to send to one destination: a request budget and a circuit breaker. Pure state machines;
the engine hands them the clock (seconds, monotonic) and Braze's answers.

- Braze's /users/track limit is counted in requests and shared by every API client of the
  workspace (https://www.braze.com/docs/api/api_limits): the budget spends this destination's
  configured share, and tightens when Braze's `X-RateLimit-Remaining` says the window is running
  out, spreading what is left until the reset.
- During an outage the breaker stops sending after a few failures in a row and probes with one
  request at a growing interval; the first success closes it and the backlog drains at once,
  limited only by the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class RequestBudget:
    rate: float  # requests per second this destination may use
    burst: float = 0.0  # tokens that may be spent at once; defaults to one second's worth
    tokens: float = field(init=False)
    updated: float | None = field(default=None, init=False)
    braze_rate: float | None = field(default=None, init=False)  # tighter pace while Braze's window runs low
    braze_until: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self.burst = self.burst or max(1.0, self.rate)
        self.tokens = self.burst

    def _rate(self, now: float) -> float:
        if self.braze_rate is not None and now < self.braze_until:
            return min(self.rate, self.braze_rate)
        return self.rate

    def _refill(self, now: float) -> None:
        if self.updated is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self._rate(now))
        self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until a request may go."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self._rate(now)

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def observe(self, remaining: int | None, reset_in: float | None, now: float) -> None:
        """Braze's own count: when fewer requests are left than our pace would spend before the
        reset, slow down to what is left (never below one request per reset window)."""
        if remaining is None or reset_in is None or reset_in <= 0:
            return
        if remaining < self.rate * reset_in:
            self.braze_rate = max(remaining, 1) / reset_in
            self.braze_until = now + reset_in
            self.tokens = min(self.tokens, max(remaining, 0))


BreakerState = Literal["closed", "open", "half_open"]


@dataclass
class CircuitBreaker:
    threshold: int = 5  # failures in a row that open it
    base_cooldown_s: float = 1.0
    max_cooldown_s: float = 30.0
    state: BreakerState = "closed"
    failures: int = 0
    cooldown_s: float = 0.0
    opened_at: float = 0.0
    probing: bool = False

    def allows(self, now: float) -> bool:
        """Whether a request may go now; when open and the cooldown has passed, one probe may."""
        if self.state == "closed":
            return True
        if self.state == "open" and now - self.opened_at >= self.cooldown_s:
            self.state = "half_open"
        if self.state == "half_open" and not self.probing:
            self.probing = True
            return True
        return False

    def retry_in(self, now: float) -> float:
        """Seconds until `allows` may say yes again (0 when closed)."""
        if self.state == "closed":
            return 0.0
        return max(0.0, self.opened_at + self.cooldown_s - now) if self.state == "open" else self.cooldown_s

    def record(self, health: Literal["ok", "failed", "neutral"], now: float) -> None:
        if health == "ok":
            self.state, self.failures, self.cooldown_s, self.probing = "closed", 0, 0.0, False
        elif health == "failed":
            self.failures += 1
            if self.state == "half_open" or self.failures >= self.threshold:
                grown = self.cooldown_s * 2 if self.cooldown_s else self.base_cooldown_s
                self.cooldown_s = min(self.max_cooldown_s, grown)
                self.state, self.opened_at, self.probing = "open", now, False
        elif self.state == "half_open":
            self.probing = False  # a neutral answer proves nothing: probe again


def claim_now(ready: int, full_batch: int, oldest_age_s: float, window_s: float) -> tuple[int, float]:
    """How many of the ready users (oldest first) to lease now, else how long to wait.

    Full batches go at once; a partial one only once its oldest user has waited the batching
    window. So requests stay full under load (at most one partial request per window) while a lone
    response waits at most the window."""
    if oldest_age_s >= window_s:
        return ready, 0.0
    if ready >= full_batch:
        return ready // full_batch * full_batch, 0.0
    return 0, window_s - oldest_age_s
