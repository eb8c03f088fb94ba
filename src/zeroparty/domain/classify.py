"""Classifying Braze's answer to a `/users/track` request.

Rules from https://www.braze.com/docs/api/errors and
https://www.braze.com/docs/api/endpoints/user_data/post_user_track : 201 (any 2xx) is accepted,
possibly with per-object `errors` ({type, input_array, index}); 400 rejects the request; 401/403
are key problems; 413 is too large; 429 is rate limiting with reset headers; 5xx are transient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

# A reset value above this is an epoch second; below it, seconds remaining
# (https://www.braze.com/docs/api/api_limits vs the MAU section of post_user_track).
_EPOCH_THRESHOLD = 1_000_000_000
DEFAULT_RATE_LIMIT_WAIT_S = 3.0


@dataclass(frozen=True)
class Accepted:
    """2xx. `failed` maps an attributes index to Braze's error text for that object."""

    failed: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    """The request as sent will never be accepted (400 and other 4xx)."""

    reason: str
    splittable: bool  # several objects: one of them may be the culprit


@dataclass(frozen=True)
class AuthFailed:
    reason: str


@dataclass(frozen=True)
class RateLimited:
    wait_s: float
    reason: str


@dataclass(frozen=True)
class Transient:
    reason: str


Verdict = Accepted | Rejected | AuthFailed | RateLimited | Transient


def classify(status: int, headers: Mapping[str, str], body: Any, n_objects: int, now_epoch: float) -> Verdict:
    message = body.get("message") if isinstance(body, dict) else None
    detail = f"HTTP {status}" + (f": {message}" if message else "")
    if 200 <= status < 300:
        failed: dict[int, str] = {}
        errors = body.get("errors") if isinstance(body, dict) else None
        for err in errors if isinstance(errors, list) else []:
            if isinstance(err, dict) and err.get("input_array") == "attributes" and isinstance(err.get("index"), int):
                failed[err["index"]] = str(err.get("type", "rejected by Braze"))
        return Accepted(failed)
    if status in (401, 403):
        return AuthFailed(detail)
    if status in (408, 429):
        return RateLimited(rate_limit_wait(headers, now_epoch), detail)
    if status == 413:
        return Rejected(detail, splittable=n_objects > 1)
    if status >= 500:
        return Transient(detail)
    return Rejected(detail, splittable=status == 400 and n_objects > 1)


def rate_limit_wait(headers: Mapping[str, str], now_epoch: float) -> float:
    """Seconds to wait before the next request, from Braze's headers (names case-insensitive)."""
    h = {k.lower(): v for k, v in headers.items()}
    for name in ("x-ratelimit-retry-after", "retry-after"):
        if name in h:
            seconds = _seconds(h[name], now_epoch)
            if seconds is not None:
                return seconds
    if "x-ratelimit-reset" in h:
        try:
            reset = float(h["x-ratelimit-reset"])
        except ValueError:
            return DEFAULT_RATE_LIMIT_WAIT_S
        return max(0.0, reset - now_epoch) if reset > _EPOCH_THRESHOLD else max(0.0, reset)
    return DEFAULT_RATE_LIMIT_WAIT_S


def _seconds(value: str, now_epoch: float) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now_epoch)
    except (TypeError, ValueError):
        return None
