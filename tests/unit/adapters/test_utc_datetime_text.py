"""Timestamps as SQLite stores them: written as UTC text that sorts, read back as the same aware time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zeroparty.adapters.db.metadata import _sqlite_datetime, _sqlite_text

aware = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 30), timezones=st.just(UTC))


@given(aware, st.integers(-14 * 60, 14 * 60))
def test_any_time_reads_back_as_the_same_instant_in_utc(moment: datetime, offset_min: int) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=offset_min)))
    text = _sqlite_text(local)
    assert text is not None and len(text) == 26  # "YYYY-MM-DD HH:MM:SS.ffffff": sorts as text
    back = _sqlite_datetime(text)
    assert back == moment and back is not None and back.tzinfo == UTC


def test_text_written_with_an_offset_is_read_as_that_instant() -> None:
    assert _sqlite_datetime("2026-12-05 15:25:03+01:00") == datetime(2026, 12, 5, 14, 25, 3, tzinfo=UTC)
    assert _sqlite_datetime("2026-12-05 14:25:03") == datetime(2026, 12, 5, 14, 25, 3, tzinfo=UTC)
    assert _sqlite_datetime(None) is None


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        _sqlite_text(datetime(2026, 1, 1))
