"""Statements on `delivery_counters` (running totals per destination: requests, data points sent
and saved) and `delivery_months` (data points sent per destination and calendar month, for the
budget: domain/budget.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from zeroparty.adapters.db.bulk import BulkSql
from zeroparty.adapters.db.outbox_sql import all_rows
from zeroparty.adapters.db.schema import delivery_counters, delivery_months, destinations
from zeroparty.domain.budget import month_of

C = delivery_counters.c
M = delivery_months.c

# Fixed text, so it is compiled once (an upsert built per call cost more than the database's work).
COUNT = BulkSql(
    "INSERT INTO delivery_counters (destination_id, requests, points_sent, points_saved)"
    " VALUES (:destination, :requests, :sent, :saved) ON CONFLICT (destination_id) DO UPDATE SET"
    " requests = delivery_counters.requests + excluded.requests,"
    " points_sent = delivery_counters.points_sent + excluded.points_sent,"
    " points_saved = delivery_counters.points_saved + excluded.points_saved"
)
COUNT_MONTH = BulkSql(
    "INSERT INTO delivery_months (destination_id, month, points_sent) VALUES (:destination, :month, :sent)"
    " ON CONFLICT (destination_id, month) DO UPDATE SET"
    " points_sent = delivery_months.points_sent + excluded.points_sent"
)


def add(conn: Connection, destination_id: int, *, requests: int, sent: int, saved: int, now: datetime) -> None:
    """Add to the destination's totals, and what was sent to this calendar month's."""
    if sent:
        COUNT_MONTH.run(conn, destination=destination_id, month=month_of(now), sent=sent)
    COUNT.run(conn, destination=destination_id, requests=requests, sent=sent, saved=saved)


def ready_destinations(conn: Connection, now: datetime) -> Sequence[Row[Any]]:
    """Destinations not paused (or whose pause has run out), with the data points they were sent
    this calendar month (None when nothing yet)."""
    d = destinations.c
    month = sa.and_(M.destination_id == d.id, M.month == month_of(now))
    return all_rows(
        conn,
        sa.select(d.id, d.name, d.endpoint, d.api_key_encrypted, d.paused_reason, d.settings, M.points_sent)
        .select_from(destinations.outerjoin(delivery_months, month))
        .where(sa.or_(d.paused_reason.is_(None), sa.and_(d.paused_until.is_not(None), d.paused_until <= now))),
    )


def paused(conn: Connection, destination_id: int, now: datetime) -> bool:
    """Whether the destination is paused at `now` (a pause without an end lasts until resumed)."""
    d = destinations.c
    found = conn.execute(
        sa.select(d.id).where(
            d.id == destination_id,
            d.paused_reason.is_not(None),
            sa.or_(d.paused_until.is_(None), d.paused_until > now),
        )
    ).first()
    return found is not None


def month_points(conn: Connection, now: datetime) -> dict[int, int]:
    """Per destination, the data points sent in `now`'s calendar month."""
    rows = conn.execute(sa.select(M.destination_id, M.points_sent).where(M.month == month_of(now)))
    return {r.destination_id: int(r.points_sent) for r in rows}


def totals(conn: Connection) -> dict[int, Row[Any]]:
    """Per destination: requests, points_sent, points_saved."""
    rows = all_rows(conn, sa.select(C.destination_id, C.requests, C.points_sent, C.points_saved))
    return {r.destination_id: r for r in rows}


def delete_destination(conn: Connection, destination_id: int) -> None:
    conn.execute(sa.delete(delivery_counters).where(C.destination_id == destination_id))
    conn.execute(sa.delete(delivery_months).where(M.destination_id == destination_id))
