"""When an experience takes responses, and from whom: a response limit, a closing time, and spam
protection (a honeypot field, a minimum time on the first screen, a per-client start rate). Pure:
the caller hands in the time and the counts.

A rate is written `N/unit` (`20/hour`; units second, minute, hour, day); at most N responses may
be started from one client within any such window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ProgressStyle = Literal["steps", "bar", "none"]

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
_RATE = re.compile(r"(?P<count>[0-9]{1,6})\s*/\s*(?P<unit>second|minute|hour|day)s?")
DEFAULT_HONEYPOT = True
# For editors reading the JSON Schema; `parse_rate` is what decides (and says why).
RATE_PATTERN = r"^\s*[0-9]{1,6}\s*/\s*(second|minute|hour|day)s?\s*$"


@dataclass(frozen=True)
class Rate:
    count: int
    window_s: int

    def __str__(self) -> str:
        unit = next(name for name, seconds in _UNITS.items() if seconds == self.window_s)
        return f"{self.count}/{unit}"


def parse_rate(text: str) -> Rate:
    """`20/hour` -> Rate(20, 3600); ValueError saying the expected form otherwise."""
    found = _RATE.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    if found is None:
        raise ValueError(f"'{text}' is not a rate: write N/unit, e.g. 20/hour (units: second, minute, hour, day)")
    count = int(found.group("count"))
    if count < 1:
        raise ValueError(f"'{text}' allows nothing: the count must be at least 1")
    return Rate(count, _UNITS[found.group("unit")])


def _rate(text: str) -> str:
    parse_rate(text)
    return text


def _aware(value: datetime) -> datetime:
    # A naive time would be read in the server's zone, which the author cannot see.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a timezone, e.g. 2027-01-31T23:59:00Z or 2027-01-31T23:59:00+01:00")
    return value


class SpamSettings(BaseModel):
    """Spam protection of the hosted pages (the JSON API takes only the rate limit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    honeypot: bool | None = Field(
        None, description="A field hidden from people that only robots fill; such submits are not kept (default on)."
    )
    min_seconds: Annotated[int | None, Field(ge=1, le=3600)] = Field(
        None, description="A first screen submitted sooner after it was served is not kept (default: off)."
    )
    rate_limit: Annotated[str | None, AfterValidator(_rate)] = Field(
        None,
        description="Responses one client may start, e.g. '20/hour' (default: no limit).",
        json_schema_extra={"pattern": RATE_PATTERN},
    )

    def traps(self) -> bool:
        return DEFAULT_HONEYPOT if self.honeypot is None else self.honeypot

    def rate(self) -> Rate | None:
        return None if self.rate_limit is None else parse_rate(self.rate_limit)


ClosesAt = Annotated[datetime, AfterValidator(_aware)]


def is_past_close(closes_at: datetime | None, now: datetime) -> bool:
    return closes_at is not None and now >= closes_at


def limit_reached(response_limit: int | None, completed: int) -> bool:
    return response_limit is not None and completed >= response_limit


def too_quick(min_seconds: int | None, served_at_ms: int | None, now_ms: int) -> bool:
    """A first submit sooner than `min_seconds` after its page was served, or with no (valid)
    served time at all when a minimum is asked for."""
    if min_seconds is None:
        return False
    return served_at_ms is None or now_ms - served_at_ms < min_seconds * 1000
