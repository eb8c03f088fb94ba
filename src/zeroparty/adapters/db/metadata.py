"""The MetaData the product's tables are declared on, and column types shared with the sandbox's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

# Constraint and index names every schema of ours uses (the product's and the sandbox's), so migrations
# can name what they create and drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no timezone type: there the value is stored as UTC text and read back with UTC
    attached, by the processors below rather than SQLAlchemy's own.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    # On SQLite the stored text is read and written here directly: SQLAlchemy's own DATETIME
    # processors parse with a regular expression, which cost a claim of 1,200 rows milliseconds.
    # The text is the same ("YYYY-MM-DD HH:MM:SS.ffffff", always six digits, so it sorts as text).

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_datetime


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; zeroparty stores UTC-aware timestamps only")
    return value.astimezone(UTC)


def _sqlite_text(value: datetime | None) -> str | None:
    return None if value is None else _utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    # Parsing the offset with the rest is several times cheaper than `.replace(tzinfo=UTC)`
    # afterwards, and this runs for every row a claim reads.
    try:
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:  # text that carries its own offset: taken as written, then made UTC
        return _utc(datetime.fromisoformat(value))


def utcnow() -> datetime:
    return datetime.now(UTC)
