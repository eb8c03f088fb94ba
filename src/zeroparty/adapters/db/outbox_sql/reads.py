"""The operators' reads of `outbox` and `delivery_attempts`: counts by state, latency samples,
dead items with when they died, a response's rows. `deliveries.py`, `responses.py`,
`destinations.py` and the /metrics collector shape what these return; the worker never runs them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from zeroparty.adapters.db.outbox_sql import all_rows
from zeroparty.adapters.db.schema import delivery_attempts, destinations, outbox

R = outbox.c
D = destinations.c
A = delivery_attempts.c


def counts_by_state(conn: Connection) -> dict[tuple[int, str], int]:
    """Rows per (destination id, state)."""
    rows = conn.execute(
        sa.select(R.destination_id, R.state, sa.func.count().label("n")).group_by(R.destination_id, R.state)
    )
    return {(r.destination_id, r.state): int(r.n) for r in rows}


def counts_by_name(conn: Connection) -> Sequence[Row[Any]]:
    """Rows per destination name and state: name, state, n."""
    return all_rows(
        conn,
        sa.select(D.name, R.state, sa.func.count().label("n"))
        .join(destinations, D.id == R.destination_id)
        .group_by(D.name, R.state),
    )


def delivered_times(conn: Connection, destination_id: int, limit: int) -> Sequence[Row[Any]]:
    """The destination's last `limit` delivered rows, newest first: created_at, delivered_at."""
    return all_rows(
        conn,
        sa.select(R.created_at, R.delivered_at)
        .where(R.destination_id == destination_id, R.state == "delivered", R.delivered_at.is_not(None))
        .order_by(R.delivered_at.desc())
        .limit(limit),
    )


def dead(conn: Connection, destination: str | None, workspace_id: int | None = None) -> Sequence[Row[Any]]:
    """Every dead row (of the workspace's destinations, and of the one named, if given), newest first:
    id, name, user_key, dead_at (its last `dead` attempt, else when it was queued), attempts,
    last_error, response_id."""
    died = sa.select(A.outbox_id, sa.func.max(A.at).label("at")).where(A.outcome == "dead").group_by(A.outbox_id)
    died_at = died.subquery()
    dead_at = sa.func.coalesce(died_at.c.at, R.created_at)
    query = (
        sa.select(R.id, D.name, R.user_key, dead_at.label("dead_at"), R.attempts, R.last_error, R.response_id)
        .join(destinations, D.id == R.destination_id)
        .outerjoin(died_at, died_at.c.outbox_id == R.id)
        .where(R.state == "dead")
        .order_by(dead_at.desc(), R.seq.desc())
    )
    if destination is not None:
        query = query.where(D.name == destination)
    if workspace_id is not None:
        query = query.where(D.workspace_id == workspace_id)
    return all_rows(conn, query)


def states(conn: Connection, ids: Sequence[str], workspace_id: int | None = None) -> Sequence[Row[Any]]:
    """Which of `ids` are rows (of the workspace's destinations, if given): id, destination name,
    state (keep `ids` within SQLite's parameter limit)."""
    query = sa.select(R.id, D.name, R.state).join(destinations, D.id == R.destination_id).where(R.id.in_(list(ids)))
    if workspace_id is not None:
        query = query.where(D.workspace_id == workspace_id)
    return all_rows(conn, query)


def of_response(conn: Connection, response_id: str) -> Sequence[Row[Any]]:
    """A response's rows with their destination's name, in order: every outbox column and `name`."""
    return all_rows(
        conn,
        sa.select(outbox, D.name)
        .join(destinations, D.id == R.destination_id)
        .where(R.response_id == response_id)
        .order_by(R.seq),
    )


def attempts(conn: Connection, workspace_id: int, limit: int, response_id: str | None) -> Sequence[Row[Any]]:
    """The latest attempts on the workspace's destinations' rows (of one response, if given), newest
    first: at, name, user_key, outbox_id, response_id, outcome, detail."""
    query = (
        sa.select(A.at, D.name, R.user_key, A.outbox_id, R.response_id, A.outcome, A.detail)
        .join(outbox, R.id == A.outbox_id)
        .join(destinations, D.id == R.destination_id)
        .where(D.workspace_id == workspace_id)
        .order_by(A.id.desc())
        .limit(limit)
    )
    if response_id is not None:
        query = query.where(R.response_id == response_id)
    return all_rows(conn, query)
