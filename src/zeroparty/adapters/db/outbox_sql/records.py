"""Statements on `delivery_state`: per destination and user, the record of the values Braze last
accepted, each with the time it was recorded (domain/holdings.py). Merging what an answer adds is
the settle application's (`settling.py`); these read, write and drop records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from zeroparty.adapters.db.bulk import BulkSql
from zeroparty.adapters.db.metadata import UTCDateTime
from zeroparty.adapters.db.outbox_sql import all_rows, in_workspace
from zeroparty.adapters.db.schema import delivery_state, destinations
from zeroparty.domain import holdings

S = delivery_state.c
CHUNK = 500  # keys per IN (…) when forgetting: within SQLite's parameter limit

ACCEPTED = BulkSql(
    'SELECT user_key, "values", updated_at FROM delivery_state WHERE destination_id = :destination'
    " AND user_key IN {ids:users}",
    columns={"user_key": sa.String(), "values": sa.JSON(), "updated_at": UTCDateTime()},
)
RECORD = BulkSql(
    'INSERT INTO delivery_state (destination_id, user_key, "values", updated_at)'
    " SELECT :destination, key, value, :now FROM {docs:merged}"
    # WHERE: SQLite would read the ON CONFLICT after a bare SELECT … FROM as a join constraint.
    " WHERE true"
    ' ON CONFLICT (destination_id, user_key) DO UPDATE SET "values" = excluded."values",'
    " updated_at = excluded.updated_at",
    types={"now": UTCDateTime()},
)


def accepted_values(conn: Connection, destination_id: int, users: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each of `users`' record of what the destination holds (domain/holdings.py), with a time for
    every key (users with no record left out)."""
    rows = ACCEPTED.run(conn, destination=destination_id, users=users)
    return {r.user_key: holdings.with_times(r._mapping["values"], r.updated_at) for r in rows}


def store(conn: Connection, destination_id: int, records: Mapping[str, Mapping[str, Any]], now: datetime) -> None:
    """Replace each user's whole record with the one given; all users in one statement."""
    RECORD.run(conn, destination=destination_id, merged=records, now=now)


def held(conn: Connection, destination_id: int) -> int:
    """How many users the destination holds a record for."""
    return int(conn.execute(sa.select(sa.func.count()).where(S.destination_id == destination_id)).scalar_one())


def forget(conn: Connection, destination_id: int, user_keys: Sequence[str] | None) -> int:
    """Drop the destination's records of `user_keys` (every record when None); how many went."""
    if user_keys is None:
        return int(conn.execute(sa.delete(delivery_state).where(S.destination_id == destination_id)).rowcount)
    dropped = 0
    for start in range(0, len(user_keys), CHUNK):
        chunk = list(user_keys[start : start + CHUNK])
        done = conn.execute(sa.delete(delivery_state).where(S.destination_id == destination_id, S.user_key.in_(chunk)))
        dropped += int(done.rowcount)
    return dropped


# -- a person, a destination -------------------------------------------------------------------


def of_users(conn: Connection, user_keys: Sequence[str], workspace_id: int | None = None) -> Sequence[Row[Any]]:
    """These users' records at every destination (of the workspace, if given): (destination name,
    user_key, values), by name."""
    return all_rows(
        conn,
        sa.select(destinations.c.name, S.user_key, S["values"])
        .join(delivery_state, S.destination_id == destinations.c.id)
        .where(S.user_key.in_(list(user_keys)), in_workspace(S.destination_id, workspace_id))
        .order_by(destinations.c.name, S.user_key),
    )


def delete_users(conn: Connection, user_keys: Sequence[str], workspace_id: int | None = None) -> int:
    """These users' records at every destination (of the workspace, if given) (erasure); how many went."""
    mine = sa.and_(S.user_key.in_(list(user_keys)), in_workspace(S.destination_id, workspace_id))
    return int(conn.execute(sa.delete(delivery_state).where(mine)).rowcount)


def delete_destination(conn: Connection, destination_id: int) -> int:
    return forget(conn, destination_id, None)
