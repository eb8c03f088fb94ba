"""Fixed-window maths and both header conventions (https://www.braze.com/docs/api/api_limits)."""

from __future__ import annotations

from zeroparty.sandbox.rules.ratelimit import RateLimiter, fault_headers

T0 = 1_800_000_000.5


def test_epoch_mode_counts_down_then_refuses_until_the_window_ends() -> None:
    limiter = RateLimiter(limit=3, window_s=3.0)
    decisions = [limiter.take("k", T0 + i * 0.1) for i in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.headers["X-RateLimit-Remaining"] for d in decisions] == ["2", "1", "0", "0"]
    assert {d.headers["X-RateLimit-Reset"] for d in decisions} == {"1800000004"}  # ceil(T0 + 3)
    assert limiter.take("k", T0 + 2.99).allowed is False
    assert limiter.take("k", T0 + 3.0).headers["X-RateLimit-Remaining"] == "2"  # a new window


def test_keys_have_their_own_windows() -> None:
    limiter = RateLimiter(limit=1, window_s=60.0)
    assert limiter.take("a", T0).allowed and limiter.take("b", T0).allowed
    assert not limiter.take("a", T0 + 1).allowed


def test_mau_mode_gives_seconds_left_and_only_retry_after_on_refusal() -> None:
    limiter = RateLimiter(limit=1, window_s=3.0, mode="mau")
    assert limiter.take("k", T0).headers == {
        "X-RateLimit-Limit": "1",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "3",
    }
    assert limiter.take("k", T0 + 1.2).headers == {"X-Ratelimit-Retry-After": "2"}
    assert limiter.take("k", T0 + 2.99).headers == {"X-Ratelimit-Retry-After": "1"}  # never 0


def test_hourly_windows_follow_the_clock_hour() -> None:
    hour = 1_800_000_000 - (1_800_000_000 % 3600)
    limiter = RateLimiter(limit=5, window_s=3600.0)
    assert limiter.take("k", hour + 1234.5).headers["X-RateLimit-Reset"] == str(hour + 3600)
    assert limiter.take("k", hour + 3600).headers["X-RateLimit-Remaining"] == "4"  # the next hour starts afresh


def test_peek_does_not_count() -> None:
    limiter = RateLimiter(limit=2, window_s=3.0)
    assert limiter.peek("k", T0)["X-RateLimit-Remaining"] == "2"
    assert limiter.take("k", T0).headers["X-RateLimit-Remaining"] == "1"


def test_reset_forgets_every_window() -> None:
    limiter = RateLimiter(limit=1, window_s=60.0)
    limiter.take("k", T0)
    limiter.reset()
    assert limiter.take("k", T0 + 1).allowed


def test_fault_headers() -> None:
    assert fault_headers("epoch", 7, T0) == {
        "X-RateLimit-Limit": "0",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1800000008",
    }
    assert fault_headers("mau", 7.2, T0) == {"X-Ratelimit-Retry-After": "8"}
