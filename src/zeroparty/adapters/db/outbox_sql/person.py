"""The console's read of one person's rows: what was queued and sent for them at each of a
workspace's destinations, and what each destination last accepted (adapters/db/person_view.py
shapes them). Reads only; erasure deletes through `rows.py` and `records.py`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from zeroparty.adapters.db.outbox_sql import all_rows, in_workspace
from zeroparty.adapters.db.schema import delivery_state, destinations, outbox

R = outbox.c
S = delivery_state.c
D = destinations.c


def rows_of(
    conn: Connection, user_keys: Sequence[str], response_ids: Sequence[str], workspace_id: int
) -> Sequence[Row[Any]]:
    """The person's outbox rows (queued for one of `user_keys`, or made from one of `response_ids`)
    at the workspace's destinations, by destination then order: name, response_id, user_key,
    payload, state, attempts, created_at, delivered_at."""
    mine: sa.ColumnElement[bool] = R.user_key.in_(list(user_keys))
    if response_ids:
        mine = sa.or_(mine, R.response_id.in_(list(response_ids)))
    return all_rows(
        conn,
        sa.select(D.name, R.response_id, R.user_key, R.payload, R.state, R.attempts, R.created_at, R.delivered_at)
        .join(destinations, D.id == R.destination_id)
        .where(mine, in_workspace(R.destination_id, workspace_id))
        .order_by(D.name, R.seq),
    )


def accepted_by(conn: Connection, user_keys: Sequence[str], workspace_id: int) -> Sequence[Row[Any]]:
    """What each of the workspace's destinations last accepted for these users: name, user_key, values."""
    return all_rows(
        conn,
        sa.select(D.name, S.user_key, S["values"])
        .join(destinations, D.id == S.destination_id)
        .where(S.user_key.in_(list(user_keys)), in_workspace(S.destination_id, workspace_id))
        .order_by(D.name, S.user_key),
    )
