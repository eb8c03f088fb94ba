"""Braze's time values.

Accepted formats (https://www.braze.com/docs/api/objects_filters/user_attributes_object, "Dates"):
ISO 8601, `yyyy-MM-ddTHH:mm:ss:SSSZ`, `yyyy-MM-ddTHH:mm:ss`, `yyyy-MM-dd HH:mm:ss`, `yyyy-MM-dd`,
`MM/dd/yyyy`, `ddd MM dd HH:mm:ss.TZD YYYY`; a date string such as "12-1-2021" is a time too
(https://www.braze.com/docs/user_guide/data/custom_data/custom_attributes). Without a zone a time is
UTC; a time in the future becomes the current time; for top-level custom attributes a year below 0 or
above 3000 is kept as a string.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

MAX_YEAR = 3000
_MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_ZONE = r"(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})"
_JAVA_MILLIS = re.compile(r"^(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}):(?P<ms>\d{1,3})" + _ZONE + "?$")
_US_DATE = re.compile(r"^(?P<m>\d{1,2})[/-](?P<d>\d{1,2})[/-](?P<y>\d{4})$")
_WEEKDAY_FORM = re.compile(
    r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+(?P<mon>\d{1,2}|[a-z]{3})\s+(?P<d>\d{1,2})\s+"
    r"(?P<t>\d{2}:\d{2}:\d{2})(?:\.\d+)?\.?\s*" + _ZONE + r"?\s+(?P<y>\d{4})$",
    re.IGNORECASE,
)
# Strings that look like a date, so a custom attribute string becomes a time attribute.
_DATE_LIKE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}([T ].*)?|\d{1,2}[/-]\d{1,2}[/-]\d{4})$")


def _zone(text: str | None) -> timezone:
    if not text or text.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_time(value: object) -> datetime | None:
    """The moment a Braze time string names (UTC), or None when it is not one."""
    if not isinstance(value, str) or not 6 <= len(value) <= 64:
        return None
    text = value.strip()
    parsed = _parse(text)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted out of range by its offset
        return None


def _parse(text: str) -> datetime | None:
    if m := _JAVA_MILLIS.match(text):
        try:
            base = datetime.fromisoformat(m["base"])
            return base.replace(microsecond=int(m["ms"].ljust(3, "0")) * 1000, tzinfo=_zone(m["zone"]))
        except ValueError:
            return None
    if m := _US_DATE.match(text):
        try:
            return datetime(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return None
    if m := _WEEKDAY_FORM.match(text):
        month = int(m["mon"]) if m["mon"].isdigit() else _MONTHS.get(m["mon"].lower(), 0)
        try:
            hour, minute, second = (int(x) for x in m["t"].split(":"))
            return datetime(int(m["y"]), month, int(m["d"]), hour, minute, second, tzinfo=_zone(m["zone"]))
        except ValueError:
            return None
    if not text[:4].isdigit() or "-" not in text[:8]:
        return None  # ISO 8601 with separators only: "20211201" stays a string
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None


def looks_like_date(value: str) -> bool:
    return bool(_DATE_LIKE.match(value.strip()))


def not_after(moment: datetime, now: datetime) -> datetime:
    """Braze records a time in the future as now."""
    return min(moment, now)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
