"""Enqueueing users for delivery, shared by capture, replay and backfill, and the upsert both
dialects need (SQLite ≥ 3.24 and PostgreSQL speak INSERT … ON CONFLICT alike)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from zeroparty.adapters.db.schema import delivery_queue
from zeroparty.adapters.db.wakeup import announce


def upsert(
    conn: Connection, table: sa.Table, row: Mapping[str, Any], keys: Sequence[str], on_conflict: Mapping[str, Any]
) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table).values(**row).on_conflict_do_update(index_elements=list(keys), set_=dict(on_conflict))
    )
    conn.execute(statement)


def enqueue_users(conn: Connection, destination_ids: Sequence[int], user_keys: Sequence[str], now: datetime) -> None:
    """Make sure each user has a queue row per destination, bumping its version.

    Run it *before* inserting the rows it is for: on PostgreSQL the upsert locks an existing queue
    row, so two writers for one user commit in the order their rows are numbered, and a worker
    ending that user's lease waits for this transaction and then sees the new version."""
    rows = [
        {
            "destination_id": destination_id,
            "user_key": user_key,
            "state": "ready",
            "available_at": now,
            "version": 1,
            "full_resend": False,
        }
        for destination_id in destination_ids
        for user_key in user_keys
    ]
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(delivery_queue).on_conflict_do_update(
        index_elements=["destination_id", "user_key"], set_={"version": delivery_queue.c.version + 1}
    )
    conn.execute(statement, rows)
    announce(conn)
