"""The services' default clock: now, in UTC. Each service takes a clock so tests can set the time."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
