"""Statements on `outbox` (one row per profile change per destination) and `delivery_attempts` (the
append-only log of what became of each row), as the writers and the worker use them. The
operators' reads are in `reads.py`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult, Row

from zeroparty.adapters.db.bulk import BulkSql
from zeroparty.adapters.db.metadata import UTCDateTime
from zeroparty.adapters.db.outbox_sql import all_rows, in_workspace
from zeroparty.adapters.db.schema import delivery_attempts, destinations, outbox
from zeroparty.domain.profile_change import ProfileChange
from zeroparty.domain.row_marks import RowMark

log = logging.getLogger("zeroparty.outbox")

R = outbox.c
A = delivery_attempts.c
WAITING = ("pending", "in_flight")  # not delivered yet


# -- queueing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRow:
    """One change to queue for one destination, under the key that destination names the user by."""

    destination_id: int
    response_id: str
    user_key: str
    change: ProfileChange


def add(conn: Connection, rows: Sequence[NewRow], now: datetime) -> None:
    """Queue `rows` as pending, each with a fresh id. Enqueue their users first (`queue.enqueue_users`)."""
    add_each(conn, [(r, now) for r in rows])


def add_each(conn: Connection, rows: Sequence[tuple[NewRow, datetime]]) -> None:
    """`add` for rows queued at times of their own (the submits of one group commit)."""
    if not rows:
        return
    conn.execute(
        _INSERT,
        [
            {
                "id": str(uuid.uuid4()),
                "destination_id": r.destination_id,
                "response_id": r.response_id,
                "user_key": r.user_key,
                "payload": r.change.payload(),
                "state": "pending",
                "attempts": 0,
                "available_at": at,
                "created_at": at,
            }
            for r, at in rows
        ],
    )


_INSERT = sa.insert(outbox)


# -- leasing -----------------------------------------------------------------------------------

LEASE_ROWS = BulkSql(
    "UPDATE outbox SET state = 'in_flight', lease_owner = :owner, lease_expires_at = :expires,"
    " attempts = attempts + 1 WHERE destination_id = :destination AND user_key IN {ids:users} AND state = 'pending'",
    types={"expires": UTCDateTime()},
)
LEASED = BulkSql(
    "SELECT id, user_key, payload, attempts, created_at FROM outbox WHERE destination_id = :destination"
    " AND user_key IN {ids:users} AND state = 'in_flight' AND lease_owner = :owner ORDER BY seq",
    columns={"id": sa.String(), "user_key": sa.String(), "payload": sa.JSON(), "attempts": sa.Integer(),
             "created_at": UTCDateTime()},
)  # fmt: skip


def lease(conn: Connection, destination_id: int, users: Sequence[str], owner: str, expires: datetime) -> None:
    """The users' pending rows go in flight under `owner`, one attempt counted each."""
    LEASE_ROWS.run(conn, destination=destination_id, users=users, owner=owner, expires=expires)


def leased(conn: Connection, destination_id: int, users: Sequence[str], owner: str) -> CursorResult[Any]:
    """The rows `owner` holds in flight for `users`, in order: id, user_key, payload, attempts, created_at."""
    return LEASED.run(conn, destination=destination_id, users=users, owner=owner)


def in_flight_of(conn: Connection, destination_id: int, user_key: str, owner: str) -> Sequence[Row[Any]]:
    """One user's rows `owner` holds in flight: id, attempts, created_at."""
    return all_rows(
        conn,
        sa.select(R.id, R.attempts, R.created_at).where(
            R.destination_id == destination_id,
            R.user_key == user_key,
            R.state == "in_flight",
            R.lease_owner == owner,
        ),
    )


def in_flight_ids(conn: Connection, destination_id: int, users: Sequence[str], owner: str) -> list[str]:
    """The ids of the rows `owner` holds in flight for `users`."""
    return list(
        conn.execute(
            sa.select(R.id).where(
                R.destination_id == destination_id,
                R.user_key.in_(list(users)),
                R.state == "in_flight",
                R.lease_owner == owner,
            )
        )
        .scalars()
        .all()
    )


# -- leaving the lease -------------------------------------------------------------------------

MARK = BulkSql(
    "UPDATE outbox SET state = :state, lease_owner = NULL, lease_expires_at = NULL, delivered_at = :delivered_at,"
    " last_error = :error, attempts = attempts - :refund"
    " WHERE id IN {ids:ids} AND state = 'in_flight' AND lease_owner = :owner",
    types={"delivered_at": UTCDateTime()},
)
LOG = BulkSql(
    "INSERT INTO delivery_attempts (outbox_id, at, outcome, status_code, detail)"
    " SELECT id, :at, :outcome, NULL, :detail FROM outbox WHERE id IN {ids:ids}",
    types={"at": UTCDateTime(), "detail": sa.Text()},
)


def mark(conn: Connection, mark: RowMark, owner: str, now: datetime) -> None:
    """Rows this owner leased leave the lease as `mark` says, each with a `delivery_attempts` entry."""
    if not mark.ids:
        return
    delivered_at = now if mark.state == "delivered" else None
    done = MARK.run(
        conn,
        ids=mark.ids,
        owner=owner,
        state=mark.state,
        delivered_at=delivered_at,
        error=mark.error,
        refund=int(mark.refund),
    )
    if done.rowcount != len(mark.ids):
        # Our lease expired and another worker took these rows over: leave them be.
        log.warning(
            "stale ack: %d of %d item(s) no longer leased by %s",
            len(mark.ids) - done.rowcount,
            len(mark.ids),
            owner,
            extra={"action": "stale_ack"},
        )
    LOG.run(conn, ids=mark.ids, at=now, outcome=mark.outcome, detail=mark.logged)


# -- replay ------------------------------------------------------------------------------------


def dead(conn: Connection, ids: Sequence[str], destination_id: int | None) -> Sequence[Row[Any]]:
    """Which of `ids` are dead (of `destination_id`, when given): id, seq, destination_id, user_key, payload."""
    query = sa.select(R.id, R.seq, R.destination_id, R.user_key, R.payload).where(
        R.id.in_(list(ids)), R.state == "dead"
    )
    if destination_id is not None:
        query = query.where(R.destination_id == destination_id)
    return all_rows(conn, query)


def live_of(conn: Connection, destination_ids: Sequence[int], user_keys: Sequence[str]) -> Sequence[Row[Any]]:
    """The delivered, pending and in-flight rows of these destinations and users: seq,
    destination_id, user_key, payload."""
    return all_rows(
        conn,
        sa.select(R.seq, R.destination_id, R.user_key, R.payload).where(
            R.destination_id.in_(list(destination_ids)),
            R.user_key.in_(list(user_keys)),
            R.state != "dead",
        ),
    )


def back_to_pending(conn: Connection, row_id: str, now: datetime, payload: dict[str, Any] | None = None) -> None:
    """A dead row goes again: pending, no attempts, no error, queued `now` (with `payload`, if given)."""
    values: dict[str, Any] = {"state": "pending", "attempts": 0, "last_error": None, "created_at": now}
    if payload is not None:
        values["payload"] = payload
    conn.execute(sa.update(outbox).where(R.id == row_id).values(**values))


def log_attempts(conn: Connection, entries: Sequence[tuple[str, str, str]], now: datetime) -> None:
    """One `delivery_attempts` entry per (row id, outcome, detail), at `now`."""
    if not entries:
        return
    conn.execute(
        sa.insert(delivery_attempts),
        [
            {"outbox_id": row_id, "at": now, "outcome": outcome, "status_code": None, "detail": detail}
            for row_id, outcome, detail in entries
        ],
    )


# -- a person, a destination -------------------------------------------------------------------


def _of_person(user_keys: Sequence[str], response_ids: Sequence[str]) -> sa.ColumnElement[bool]:
    """Rows queued for these users, or made from these responses (for any user key)."""
    if not response_ids:
        return R.user_key.in_(list(user_keys))
    return sa.or_(R.user_key.in_(list(user_keys)), R.response_id.in_(list(response_ids)))


def sent_to(
    conn: Connection, user_keys: Sequence[str], response_ids: Sequence[str], workspace_id: int | None = None
) -> Sequence[Row[Any]]:
    """A person's rows Braze was sent (delivered, or attempted: the attempt may have landed), at the
    workspace's destinations (any, when None), in order: (destination name, user_key, payload)."""
    mine = sa.and_(_of_person(user_keys, response_ids), in_workspace(R.destination_id, workspace_id))
    return all_rows(
        conn,
        sa.select(destinations.c.name, R.user_key, R.payload)
        .join(outbox, R.destination_id == destinations.c.id)
        .where(mine, sa.or_(R.attempts > 0, R.state == "delivered"))
        .order_by(R.seq),
    )


def lease_end_of(conn: Connection, user_keys: Sequence[str], now: datetime) -> datetime | None:
    """When the latest live lease on these users' rows ends (any destination), or None."""
    found: datetime | None = conn.execute(
        sa.select(sa.func.max(R.lease_expires_at)).where(
            R.user_key.in_(list(user_keys)), R.lease_owner.is_not(None), R.lease_expires_at > now
        )
    ).scalar()
    return found


def delete_person(
    conn: Connection, user_keys: Sequence[str], response_ids: Sequence[str], workspace_id: int | None = None
) -> tuple[int, int]:
    """A person's rows and their attempts at the workspace's destinations (any, when None) (erasure):
    how many (attempts, rows) went."""
    mine = sa.and_(_of_person(user_keys, response_ids), in_workspace(R.destination_id, workspace_id))
    rows_of_person = sa.select(R.id).where(mine).scalar_subquery()
    attempts = conn.execute(sa.delete(delivery_attempts).where(A.outbox_id.in_(rows_of_person))).rowcount
    rows = conn.execute(sa.delete(outbox).where(mine)).rowcount
    return int(attempts), int(rows)


@dataclass(frozen=True)
class DestinationRows:
    total: int
    waiting: int  # of them, not delivered yet (pending or in flight)
    attempts: int


def of_destination(conn: Connection, destination_id: int) -> DestinationRows:
    mine = R.destination_id == destination_id
    total = conn.execute(sa.select(sa.func.count()).where(mine)).scalar_one()
    waiting = conn.execute(sa.select(sa.func.count()).where(mine, R.state.in_(WAITING))).scalar_one()
    attempts = conn.execute(
        sa.select(sa.func.count()).where(A.outbox_id.in_(sa.select(R.id).where(mine).scalar_subquery()))
    ).scalar_one()
    return DestinationRows(int(total), int(waiting), int(attempts))


def delete_destination(conn: Connection, destination_id: int) -> None:
    """A destination's rows and their attempts."""
    rows = sa.select(R.id).where(R.destination_id == destination_id).scalar_subquery()
    conn.execute(sa.delete(delivery_attempts).where(A.outbox_id.in_(rows)))
    conn.execute(sa.delete(outbox).where(R.destination_id == destination_id))
