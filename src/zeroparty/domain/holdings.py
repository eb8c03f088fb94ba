"""The record of what a destination holds for one user: the values Braze last accepted, under the
names the destination sends, each with the time it was recorded. Pure.

The record is what lets an identical re-submission cost nothing, so it must never claim more than
Braze holds. Two things make it claim too much, and both are handled here:

- a profile changed in Braze itself (deleted, or an attribute cleared): a value recorded longer ago
  than the destination's `dedupe_max_age` is no longer trusted, so it is sent again;
- a request whose outcome is unknown: the keys it carried are forgotten (`forget`), so they are
  sent again, with their newest values, once the settle window has passed.

Marks of completion events Braze accepted (`$event:<response id>`) never age: an event is never
sent twice, whatever the age of its record (Braze keeps duplicate events, and a Canvas triggered
by one would fire again).

Stored as one JSON object: the values by key, plus `$at` mapping each key to the epoch second it
was recorded. A record written before times were kept has no `$at`; its keys take the time the
record was last written (`legacy_time`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

AT_KEY = "$at"
EVENT_KEY = "$event:"


def event_mark(completion: Mapping[str, Any], item_id: str) -> str:
    """The record key of a completion event: its response id (older rows: the outbox row's id)."""
    rid = completion.get("response_id")
    return EVENT_KEY + (str(rid) if rid else item_id)


def merged(record: Mapping[str, Any], accepted: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """`record` with what Braze just accepted, each accepted key stamped `now`."""
    times = dict(record.get(AT_KEY) or {})
    out = {k: v for k, v in record.items() if k != AT_KEY}
    stamp = int(now.timestamp())
    for key, value in accepted.items():
        out[key] = value
        times[key] = stamp
    out[AT_KEY] = times
    return out


def forget(record: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """`record` without `keys` (values a request in doubt may have changed in Braze)."""
    gone = set(keys)
    times = {k: t for k, t in (record.get(AT_KEY) or {}).items() if k not in gone}
    out = {k: v for k, v in record.items() if k not in gone and k != AT_KEY}
    out[AT_KEY] = times
    return out


def with_times(record: Mapping[str, Any], legacy_time: datetime) -> dict[str, Any]:
    """`record` as stored, with a time for every key: keys recorded before times were kept take
    `legacy_time` (when the record was last written)."""
    if AT_KEY in record:
        return dict(record)
    stamp = int(legacy_time.timestamp())
    return {**record, AT_KEY: {k: stamp for k in record}}


def trusted(record: Mapping[str, Any], now: datetime, max_age: timedelta) -> dict[str, Any]:
    """The values Braze is still taken to hold: those recorded within `max_age`, and every event
    mark. A key without a time is not trusted."""
    times: Mapping[str, Any] = record.get(AT_KEY) or {}
    oldest = (now - max_age).timestamp()
    return {
        k: v
        for k, v in record.items()
        if k != AT_KEY and (k.startswith(EVENT_KEY) or (k in times and float(times[k]) >= oldest))
    }
