"""Braze's time formats (https://www.braze.com/docs/api/objects_filters/user_attributes_object)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zeroparty.sandbox.rules.times import iso, looks_like_date, not_after, parse_time

PARSED = [
    ("2021-12-01", "2021-12-01T00:00:00.000Z"),
    ("2021-12-01T10:20:30", "2021-12-01T10:20:30.000Z"),
    ("2021-12-01 10:20:30", "2021-12-01T10:20:30.000Z"),
    ("2021-12-01T10:20:30Z", "2021-12-01T10:20:30.000Z"),
    ("2021-12-01T10:20:30.5+01:00", "2021-12-01T09:20:30.500Z"),
    ("2021-12-01T10:20:30:123Z", "2021-12-01T10:20:30.123Z"),
    ("2021-12-01T10:20:30:123-0500", "2021-12-01T15:20:30.123Z"),
    ("12/01/2021", "2021-12-01T00:00:00.000Z"),
    ("12/1/2021", "2021-12-01T00:00:00.000Z"),
    ("12-1-2021", "2021-12-01T00:00:00.000Z"),
    ("Wed 12 01 10:20:30.+01:00 2021", "2021-12-01T09:20:30.000Z"),
    ("Wed Dec 01 10:20:30 UTC 2021", "2021-12-01T10:20:30.000Z"),
    ("3100-01-01", "3100-01-01T00:00:00.000Z"),
]
NOT_TIMES = [
    "",
    "yesterday",
    "20211201",
    "2021-13-01",
    "13/40/2021",
    "2021",
    12345,
    None,
    "x" * 100,
    "Wed 13 01 10:20:30 2021",
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parses_brazes_formats_as_utc(text: str, expected: str) -> None:
    moment = parse_time(text)
    assert moment is not None and iso(moment) == expected


@pytest.mark.parametrize("value", NOT_TIMES)
def test_other_values_are_not_times(value: object) -> None:
    assert parse_time(value) is None


@pytest.mark.parametrize(
    ("text", "date_like"),
    [("2021-12-01", True), ("2021-12-01T10:00:00Z", True), ("12/1/2021", True), ("12-1-2021", True),
     ("1-2", False), ("20211201", False), ("red", False), ("v2021-12-01", False)],
)  # fmt: skip
def test_which_strings_look_like_dates(text: str, date_like: bool) -> None:
    assert looks_like_date(text) is date_like


def test_future_times_become_now() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert not_after(datetime(2030, 1, 1, tzinfo=UTC), now) == now
    assert not_after(datetime(2020, 1, 1, tzinfo=UTC), now) == datetime(2020, 1, 1, tzinfo=UTC)
