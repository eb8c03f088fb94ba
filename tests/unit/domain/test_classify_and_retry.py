from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from zeroparty.domain.classify import (
    Accepted,
    AuthFailed,
    ObjectsRejected,
    RateLimited,
    Rejected,
    Transient,
    WrongEndpoint,
    classify,
    field_named,
    rate_limit_wait,
)
from zeroparty.domain.retry import RetryPolicy

NOW = 1_800_000_000.0


def test_success_and_partial_failure() -> None:
    assert classify(201, {}, {"message": "success"}, 3, NOW) == Accepted({})
    body = {"message": "success", "errors": [{"type": "bad email", "input_array": "attributes", "index": 1}]}
    assert classify(201, {}, body, 3, NOW) == Accepted({("attributes", 1): "bad email"})


def test_a_400_naming_objects_by_index_is_told_apart_and_the_field_is_read_from_the_message() -> None:
    body = {
        "message": "Valid data must be provided",
        "errors": [{"type": "'gender' is not valid", "input_array": "attributes", "index": 2}],
    }
    verdict = classify(400, {}, body, 3, NOW)
    assert verdict == ObjectsRejected(
        {("attributes", 2): "'gender' is not valid"}, "HTTP 400: Valid data must be provided"
    )
    assert field_named("'gender' is not valid") == "gender" and field_named("invalid object") is None
    assert isinstance(classify(404, {}, {"message": "Not Found"}, 1, NOW), WrongEndpoint)


@pytest.mark.parametrize(
    ("status", "n", "kind"),
    [
        (400, 5, Rejected),
        (400, 1, Rejected),
        (401, 1, AuthFailed),
        (403, 1, AuthFailed),
        (413, 2, Rejected),
        (429, 1, RateLimited),
        (408, 1, RateLimited),
        (500, 1, Transient),
        (503, 9, Transient),
    ],
)
def test_status_classes(status: int, n: int, kind: type) -> None:
    assert isinstance(classify(status, {}, {"message": "x"}, n, NOW), kind)


def test_400_is_splittable_only_with_several_objects() -> None:
    assert classify(400, {}, {}, 5, NOW) == Rejected("HTTP 400", splittable=True)
    assert classify(400, {}, {}, 1, NOW) == Rejected("HTTP 400", splittable=False)


def test_reset_is_read_as_epoch_or_seconds() -> None:
    assert rate_limit_wait({"X-RateLimit-Reset": str(int(NOW) + 7)}, NOW) == 7
    assert rate_limit_wait({"X-RateLimit-Reset": "4"}, NOW) == 4
    assert rate_limit_wait({"x-ratelimit-retry-after": "9", "X-RateLimit-Reset": "4"}, NOW) == 9
    assert rate_limit_wait({"Retry-After": "2"}, NOW) == 2


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(base_s=1, cap_s=60)
    rng = random.Random(7)
    samples = [policy.backoff(10, rng) for _ in range(200)]
    assert all(0 <= s <= 60 for s in samples)
    assert max(samples) > 30  # spread over the whole range, not a fixed delay
    assert all(policy.backoff(1, rng) <= 1 for _ in range(50))


def test_dead_letter_needs_both_attempts_and_window() -> None:
    policy = RetryPolicy(max_attempts=3, window=timedelta(hours=3))
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    assert not policy.exhausted(10, t0, t0 + timedelta(minutes=5))
    assert not policy.exhausted(2, t0, t0 + timedelta(hours=4))
    assert policy.exhausted(3, t0, t0 + timedelta(hours=3))
