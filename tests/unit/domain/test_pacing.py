"""The request budget, the circuit breaker and the batching window (pure state machines)."""

from __future__ import annotations

import pytest

from zeroparty.domain.pacing import CircuitBreaker, RequestBudget, claim_now


def test_the_budget_spends_its_rate_and_refills() -> None:
    budget = RequestBudget(rate=10)
    for _ in range(10):
        assert budget.wait(0.0) == 0
        budget.take(0.0)
    assert budget.wait(0.0) == pytest.approx(0.1)
    assert budget.wait(0.1) == pytest.approx(0.0)


def test_brazes_remaining_count_slows_the_budget_until_the_reset() -> None:
    budget = RequestBudget(rate=100)
    budget.observe(remaining=4, reset_in=2.0, now=0.0)  # 4 left for 2 s: 2 per second
    budget.take(0.0)
    budget.take(0.0)
    budget.take(0.0)
    budget.take(0.0)
    assert budget.wait(0.0) == pytest.approx(0.5)
    assert budget.wait(2.5) == 0  # after the reset the configured pace is back


def test_the_breaker_opens_after_failures_probes_once_and_closes_on_success() -> None:
    breaker = CircuitBreaker(threshold=3, base_cooldown_s=1)
    for t in range(3):
        assert breaker.allows(float(t))
        breaker.record("failed", float(t))
    assert breaker.state == "open" and not breaker.allows(2.5)
    assert breaker.allows(3.1) and not breaker.allows(3.2)  # one probe at a time
    breaker.record("failed", 3.3)
    assert breaker.cooldown_s == 2 and not breaker.allows(4.0)  # the probe failed: wait longer
    assert breaker.allows(5.4)
    breaker.record("ok", 5.5)
    assert str(breaker.state) == "closed" and breaker.allows(5.6)


def test_a_partial_batch_waits_for_the_window_full_ones_do_not() -> None:
    assert claim_now(75, 75, 0.0, 0.05) == (75, 0.0)
    assert claim_now(160, 75, 0.0, 0.05) == (150, 0.0)  # the 10 newest wait for company
    assert claim_now(160, 75, 0.05, 0.05) == (160, 0.0)  # the oldest waited long enough: all go
    assert claim_now(3, 75, 0.05, 0.05) == (3, 0.0)
    take, wait = claim_now(3, 75, 0.01, 0.05)
    assert take == 0 and wait == pytest.approx(0.04)
