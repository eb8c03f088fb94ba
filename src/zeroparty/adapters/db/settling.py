"""Settling: what one answer's plan (domain/settle.py) does to the outbox, applied inside the
caller's transaction. `SqlOutbox.settle_many` runs several in one transaction (group commit)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zeroparty.adapters.db.bulk import BulkSql
from zeroparty.adapters.db.metadata import UTCDateTime
from zeroparty.adapters.db.schema import (
    delivery_queue,
    destinations,
    outbox,
)
from zeroparty.domain import holdings
from zeroparty.domain.budget import month_of
from zeroparty.domain.row_marks import RowMark, row_marks
from zeroparty.domain.settle import SettlePlan

log = logging.getLogger("zeroparty.outbox")

Q = delivery_queue.c
R = outbox.c


def settle_one(
    conn: Connection,
    destination_id: int,
    owner: str,
    plan: SettlePlan,
    versions: Mapping[str, int],
    now: datetime,
) -> None:
    settle_rows(conn, owner, plan, now)
    record_accepted(conn, destination_id, plan.accepted, now, plan.doubt)
    count(conn, destination_id, plan, now)
    retried = {r.user_key: r for r in plan.retry}
    for user_key in versions.keys() & retried.keys():
        retry = retried[user_key]
        requeue(conn, destination_id, owner, user_key, retry.at, full=retry.full)
    end_leases(conn, destination_id, owner, {u: v for u, v in versions.items() if u not in retried}, now)
    if plan.pause is not None:
        pause_destination(conn, destination_id, plan.pause.reason, plan.pause.until)


def settle_rows(conn: Connection, owner: str, plan: SettlePlan, now: datetime) -> None:
    for mark in row_marks(plan):
        mark_rows(conn, mark, owner, now)


_MARK = BulkSql(
    "UPDATE outbox SET state = :state, lease_owner = NULL, lease_expires_at = NULL, delivered_at = :delivered_at,"
    " last_error = :error, attempts = attempts - :refund"
    " WHERE id IN {ids:ids} AND state = 'in_flight' AND lease_owner = :owner",
    types={"delivered_at": UTCDateTime()},
)
_LOG = BulkSql(
    "INSERT INTO delivery_attempts (outbox_id, at, outcome, status_code, detail)"
    " SELECT id, :at, :outcome, NULL, :detail FROM outbox WHERE id IN {ids:ids}",
    types={"at": UTCDateTime(), "detail": sa.Text()},
)


def mark_rows(conn: Connection, mark: RowMark, owner: str, now: datetime) -> None:
    """Rows this owner leased leave the lease as `mark` says, each with a `delivery_attempts` entry."""
    if not mark.ids:
        return
    delivered_at = now if mark.state == "delivered" else None
    done = _MARK.run(
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
    _LOG.run(conn, ids=mark.ids, at=now, outcome=mark.outcome, detail=mark.logged)


_ACCEPTED = BulkSql(
    'SELECT user_key, "values", updated_at FROM delivery_state WHERE destination_id = :destination'
    " AND user_key IN {ids:users}",
    columns={"user_key": sa.String(), "values": sa.JSON(), "updated_at": UTCDateTime()},
)
_RECORD = BulkSql(
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
    rows = _ACCEPTED.run(conn, destination=destination_id, users=users)
    return {r.user_key: holdings.with_times(r._mapping["values"], r.updated_at) for r in rows}


def record_accepted(
    conn: Connection,
    destination_id: int,
    accepted: Mapping[str, Mapping[str, Any]],
    now: datetime,
    doubt: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Merge what Braze just accepted into each user's record, and forget the keys a request in
    doubt carried; all users in one statement."""
    fresh = {u: v for u, v in accepted.items() if v}
    doubt = {u: keys for u, keys in (doubt or {}).items() if keys}
    if not fresh and not doubt:
        return
    old = accepted_values(conn, destination_id, list(fresh.keys() | doubt.keys()))
    merged = {u: holdings.merged(old.get(u) or {}, fresh.get(u) or {}, now) for u in fresh.keys() | doubt.keys()}
    for u, keys in doubt.items():
        merged[u] = holdings.forget(merged[u], keys)
    _RECORD.run(conn, destination=destination_id, merged=merged, now=now)


# Fixed text, so it is compiled once (an upsert built per call cost more than the database's work).
_COUNT = BulkSql(
    "INSERT INTO delivery_counters (destination_id, requests, points_sent, points_saved)"
    " VALUES (:destination, :requests, :sent, :saved) ON CONFLICT (destination_id) DO UPDATE SET"
    " requests = delivery_counters.requests + excluded.requests,"
    " points_sent = delivery_counters.points_sent + excluded.points_sent,"
    " points_saved = delivery_counters.points_saved + excluded.points_saved"
)
_COUNT_MONTH = BulkSql(
    "INSERT INTO delivery_months (destination_id, month, points_sent) VALUES (:destination, :month, :sent)"
    " ON CONFLICT (destination_id, month) DO UPDATE SET"
    " points_sent = delivery_months.points_sent + excluded.points_sent"
)


def count(conn: Connection, destination_id: int, plan: SettlePlan, now: datetime) -> None:
    if not (plan.points_sent or plan.points_saved or plan.health != "neutral"):
        return
    if plan.points_sent:
        _COUNT_MONTH.run(conn, destination=destination_id, month=month_of(now), sent=plan.points_sent)
    requests = int(plan.health != "neutral")
    _COUNT.run(conn, destination=destination_id, requests=requests, sent=plan.points_sent, saved=plan.points_saved)


def requeue(conn: Connection, destination_id: int, owner: str, user_key: str, at: datetime, *, full: bool) -> None:
    # A retry never clears the duty to send everything current: a failed full resend (a 503 after
    # an unknown outcome) leaves Braze as unknown as before, so the next send must be full too.
    conn.execute(
        sa.update(delivery_queue)
        .where(Q.destination_id == destination_id, Q.user_key == user_key, Q.lease_owner == owner)
        .values(
            state="ready",
            lease_owner=None,
            lease_expires_at=None,
            available_at=at,
            full_resend=True if full else Q.full_resend,
        )
    )


def end_lease(conn: Connection, destination_id: int, owner: str, user_key: str, version: int, now: datetime) -> None:
    end_leases(conn, destination_id, owner, {user_key: version}, now)


_END = BulkSql(
    "DELETE FROM delivery_queue WHERE destination_id = :destination AND lease_owner = :owner"
    " AND (user_key, version) IN (SELECT key, CAST(value AS INTEGER) FROM {texts:versions})"
    " AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.destination_id = :destination"
    " AND outbox.user_key = delivery_queue.user_key AND outbox.state = 'pending')"
)
_BACK = BulkSql(
    "UPDATE delivery_queue SET state = 'ready', lease_owner = NULL, lease_expires_at = NULL, available_at = :now,"
    " full_resend = false WHERE destination_id = :destination AND user_key IN {ids:users} AND lease_owner = :owner",
    types={"now": UTCDateTime()},
)


def end_leases(conn: Connection, destination_id: int, owner: str, versions: Mapping[str, int], now: datetime) -> None:
    """Forget users when nothing was queued for them meanwhile; queue the others again.
    A capture enqueueing for a user bumps `version` under a row lock, so on PostgreSQL the
    delete waits for it and then finds the version changed."""
    if not versions:
        return
    _END.run(conn, destination=destination_id, owner=owner, versions=versions)
    # Whoever is left still has (or just got) work: back in the queue at once.
    _BACK.run(conn, destination=destination_id, owner=owner, users=list(versions), now=now)


def pause_destination(conn: Connection, destination_id: int, reason: str, until: datetime | None) -> None:
    conn.execute(
        sa.update(destinations)
        .where(destinations.c.id == destination_id)
        .values(paused_reason=reason, paused_until=until)
    )
