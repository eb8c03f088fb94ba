"""Reading analytics: the funnel of an experience (`zeroparty experiences stats`) and the export
of its responses (`zeroparty responses export`). Both read through `AnalyticsReader`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from zeroparty.domain.csv_cells import csv_cell
from zeroparty.domain.experience.export_columns import ExportRow, answer_ids, columns, row_values
from zeroparty.domain.experience.funnel import EventKind, Stats, funnel_stats
from zeroparty.errors import FieldError, InvalidInput, NotFound
from zeroparty.services.analytics_ports import AnalyticsReader, Window

ExportFormat = Literal["csv", "jsonl"]
EXPORT_CHUNK = 500  # responses fetched per query while exporting
ALL_TIME = Window()


def _day(option: str, raw: str) -> date:
    try:
        if len(raw) != 10 or not raw.isascii():
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(FieldError(option, f"expected a date as YYYY-MM-DD, got {raw!r}"), "bad date") from None


def parse_window(since: str | None, until: str | None) -> Window:
    """`--since` and `--until` as a window of whole UTC days: from the start of `since` to the end
    of `until` (both days included). InvalidInput naming the option when one is not a date, or
    when `until` comes before `since`."""
    start = None if since is None else datetime.combine(_day("--since", since), time(), UTC)
    end = None if until is None else datetime.combine(_day("--until", until), time(), UTC) + timedelta(days=1)
    if start is not None and end is not None and end <= start:
        raise InvalidInput(FieldError("--until", f"{until} is before --since {since}"), "empty date range")
    return Window(start, end)


@dataclass(frozen=True)
class DayCount:
    day: date
    started: int
    completed: int


class AnalyticsService:
    def __init__(self, reader: AnalyticsReader) -> None:
        self._reader = reader

    def stats(self, slug: str, window: Window = ALL_TIME, variant: str | None = None) -> Stats:
        """The funnel of `slug`'s events in `window` (of one A/B `variant`'s only, when given);
        screens and outcomes in the current version's order."""
        exp = self._reader.latest(slug)
        if exp is None:
            raise NotFound(FieldError("slug", f"no published experience '{slug}'"))
        facts = self._reader.response_facts(slug, window)
        events = self._reader.events(slug, window)
        return funnel_stats(events, [s.id for s in exp.screens], [o.id for o in exp.outcomes], facts, variant)

    def per_day(self, slug: str, window: Window = ALL_TIME) -> list[DayCount]:
        """Responses started and completed on each UTC day of `slug`'s events in `window`, oldest
        first; a day without either is left out."""
        if self._reader.latest(slug) is None:
            raise NotFound(FieldError("slug", f"no published experience '{slug}'"))
        days: dict[date, list[int]] = {}
        for e in self._reader.events(slug, window):
            if e.kind in (EventKind.START, EventKind.COMPLETE):
                counts = days.setdefault(e.at.astimezone(UTC).date(), [0, 0])
                counts[0 if e.kind is EventKind.START else 1] += 1
        return [DayCount(day, started, completed) for day, (started, completed) in sorted(days.items())]

    def export(self, slug: str, fmt: ExportFormat, chunk: int = EXPORT_CHUNK) -> Iterator[str]:
        """The responses of `slug` as lines of text (CSV with a header, or one JSON object a line),
        produced as they are read: a line at a time, never the whole export in memory."""
        exp = self._reader.latest(slug)
        if exp is None:
            raise NotFound(FieldError("slug", f"no published experience '{slug}'"))
        names, ids = columns(exp), answer_ids(exp)
        rows = self._reader.export_rows(slug, chunk)
        return _csv(names, ids, rows) if fmt == "csv" else _jsonl(names, ids, rows)


def _csv(names: list[str], ids: list[str], rows: Iterator[ExportRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield line(names)
    for row in rows:
        yield line([csv_cell(v) for v in row_values(ids, row)])


def _jsonl(names: list[str], ids: list[str], rows: Iterator[ExportRow]) -> Iterator[str]:
    for row in rows:
        values = row_values(ids, row)
        yield json.dumps(dict(zip(names, values, strict=True)), ensure_ascii=False) + "\n"
