"""Responses per day, as the console's analytics chart shows them: started and completed counted on
the UTC day their events happened, days without any left out, an unknown experience not found."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from tests.support.definitions import sample
from zeroparty.adapters.memory import MemoryCaptureStore
from zeroparty.adapters.memory.analytics import MemoryAnalytics
from zeroparty.domain.experience.funnel import Event, EventKind
from zeroparty.errors import NotFound
from zeroparty.services.analytics import AnalyticsService, DayCount

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def test_started_and_completed_are_counted_per_utc_day() -> None:
    store = MemoryCaptureStore()
    store.publish(sample(), T0)
    log = MemoryAnalytics(store)
    late_evening_elsewhere = datetime(2026, 3, 2, 20, 0, tzinfo=timezone(timedelta(hours=-5)))  # 3 March in UTC
    log.append(
        [
            Event(EventKind.LOAD, "skin-quiz", T0),
            Event(EventKind.START, "skin-quiz", T0, response_id="a"),
            Event(EventKind.START, "skin-quiz", T0 + timedelta(minutes=10), response_id="b"),
            Event(EventKind.COMPLETE, "skin-quiz", T0 + timedelta(hours=1), response_id="a", outcome_id="x"),
            Event(EventKind.START, "skin-quiz", late_evening_elsewhere, response_id="c"),
        ]
    )
    days = AnalyticsService(log).per_day("skin-quiz")
    assert days == [
        DayCount(date(2026, 3, 1), 2, 0),
        DayCount(date(2026, 3, 2), 0, 1),
        DayCount(date(2026, 3, 3), 1, 0),
    ]
    with pytest.raises(NotFound):
        AnalyticsService(log).per_day("no-such")
