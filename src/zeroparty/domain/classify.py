"""Classifying Braze's answer to a `/users/track` request.

Rules from https://www.braze.com/docs/api/errors and
https://www.braze.com/docs/api/endpoints/user_data/post_user_track : 201 (any 2xx) is accepted,
possibly with per-object `errors` ({type, input_array, index}); a 400 rejects the request, and when
it lists `errors` by index only those objects are bad (the rest were valid but not applied);
401/403 are key problems; 404 is a wrong endpoint (a wrong instance or URL); 413 is too large; 429
is rate limiting with reset headers; 5xx are transient.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from zeroparty.domain.scrub import peek

# A reset value above this is an epoch second; below it, seconds remaining
# (https://www.braze.com/docs/api/api_limits vs the MAU section of post_user_track).
_EPOCH_THRESHOLD = 1_000_000_000
DEFAULT_RATE_LIMIT_WAIT_S = 3.0
# Braze's per-object messages quote the field they refuse: "'gender' is not valid".
_QUOTED_FIELD = re.compile(r"'([^'\s]{1,255})'")

ObjectRef = tuple[str, int]  # (input array, index in it), as Braze's `errors` entries name them


@dataclass(frozen=True)
class Accepted:
    """2xx. `failed` maps a refused object to Braze's text for it; the others were applied."""

    failed: Mapping[ObjectRef, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectsRejected:
    """400 naming the bad objects by index: nothing was applied, the unnamed objects are valid."""

    failed: Mapping[ObjectRef, str]
    reason: str


@dataclass(frozen=True)
class Rejected:
    """The request as sent will never be accepted (400 without detail, 413, other 4xx)."""

    reason: str
    splittable: bool  # several objects: one of them may be the culprit


@dataclass(frozen=True)
class AuthFailed:
    reason: str
    # A 403 from this path: the key is valid but lacks the permission the path needs (verify.py).
    forbidden: str | None = None


@dataclass(frozen=True)
class WrongEndpoint:
    """404: the destination's REST endpoint (instance or URL) is wrong; every request would fail."""

    reason: str


# Ends the pause reason of a destination paused by a WrongEndpoint: setting another endpoint resumes it.
WRONG_ENDPOINT_ADVICE = "check the destination's REST endpoint (instance); then resume"


def paused_for_endpoint(paused_reason: str | None) -> bool:
    """Whether a destination paused with this reason was paused because its endpoint is wrong."""
    return paused_reason is not None and paused_reason.endswith(WRONG_ENDPOINT_ADVICE)


@dataclass(frozen=True)
class RateLimited:
    wait_s: float
    reason: str


@dataclass(frozen=True)
class Transient:
    reason: str


Verdict = Accepted | ObjectsRejected | Rejected | AuthFailed | WrongEndpoint | RateLimited | Transient


def field_named(message: str) -> str | None:
    """The field a Braze per-object message names (the first quoted name), if any."""
    found = _QUOTED_FIELD.search(message)
    return found.group(1) if found else None


def _object_errors(body: Any) -> dict[ObjectRef, str]:
    errors = body.get("errors") if isinstance(body, dict) else None
    failed: dict[ObjectRef, str] = {}
    for err in errors if isinstance(errors, list) else []:
        if not isinstance(err, dict):
            continue
        array, index = err.get("input_array"), err.get("index")
        if isinstance(array, str) and isinstance(index, int) and not isinstance(index, bool):
            failed[(array, index)] = peek(str(err.get("type", "rejected by Braze")))
    return failed


def classify(
    status: int, headers: Mapping[str, str], body: Any, n_objects: int, now_epoch: float, path: str | None = None
) -> Verdict:
    """Braze's answer to a request to `path` (None: the path does not matter to the reader)."""
    message = body.get("message") if isinstance(body, dict) else None
    detail = f"HTTP {status}" + (f": {peek(str(message))}" if message else "")
    if 200 <= status < 300:
        return Accepted(_object_errors(body))
    if status == 400 and (failed := _object_errors(body)):
        return ObjectsRejected(failed, detail)
    if status in (401, 403):
        return AuthFailed(detail, path if status == 403 else None)
    if status == 404:
        return WrongEndpoint(detail)
    if status in (408, 429):
        return RateLimited(rate_limit_wait(headers, now_epoch), detail)
    if status >= 500:
        return Transient(detail)
    return Rejected(detail, splittable=status in (400, 413) and n_objects > 1)


def rate_limit_wait(headers: Mapping[str, str], now_epoch: float) -> float:
    """Seconds to wait before the next request, from Braze's headers (names case-insensitive)."""
    h = {k.lower(): v for k, v in headers.items()}
    for name in ("x-ratelimit-retry-after", "retry-after"):
        if name in h:
            seconds = _seconds(h[name], now_epoch)
            if seconds is not None:
                return seconds
    reset = reset_in(h, now_epoch)
    return DEFAULT_RATE_LIMIT_WAIT_S if reset is None else reset


def reset_in(headers: Mapping[str, str], now_epoch: float) -> float | None:
    """Seconds until the rate-limit window resets (X-RateLimit-Reset: an epoch second or seconds
    left, both documented), or None when the header is missing or unreadable."""
    raw = {k.lower(): v for k, v in headers.items()}.get("x-ratelimit-reset")
    try:
        reset = float(raw) if raw is not None else None
    except ValueError:
        return None
    if reset is None:
        return None
    return max(0.0, reset - now_epoch) if reset > _EPOCH_THRESHOLD else max(0.0, reset)


def _seconds(value: str, now_epoch: float) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now_epoch)
    except (TypeError, ValueError):
        return None
