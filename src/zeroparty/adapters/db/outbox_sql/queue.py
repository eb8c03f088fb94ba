"""Statements on `delivery_queue`: one row per destination and user with work queued, the unit a
worker leases (docs/delivery.md, "Claiming"). Callers decide when; these only read and write."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from zeroparty.adapters.db.bulk import BulkSql
from zeroparty.adapters.db.metadata import UTCDateTime
from zeroparty.adapters.db.outbox_sql import all_rows, in_workspace
from zeroparty.adapters.db.schema import delivery_queue
from zeroparty.adapters.db.wakeup import announce

Q = delivery_queue.c
RECOVER_AT_ONCE = 100  # expired leases taken over per claim


# -- queueing ----------------------------------------------------------------------------------


def enqueue_users(conn: Connection, destination_ids: Sequence[int], user_keys: Sequence[str], now: datetime) -> None:
    """Make sure each user has a queue row per destination, bumping its version.

    Run it *before* inserting the rows it is for: on PostgreSQL the upsert locks an existing queue
    row, so two writers for one user commit in the order their rows are numbered, and a worker
    ending that user's lease waits for this transaction and then sees the new version."""
    enqueue(conn, [(d, k, now) for d in destination_ids for k in user_keys])


def enqueue(conn: Connection, wanted: Sequence[tuple[int, str, datetime]]) -> None:
    """`enqueue_users` for (destination id, user key, when) triples: each pair once (its first
    time), in one order whoever writes, so that two writers lock shared rows in the same order."""
    first: dict[tuple[int, str], datetime] = {}
    for destination_id, user_key, at in wanted:
        first.setdefault((destination_id, user_key), at)
    if not first:
        return
    rows = [
        {"destination_id": d, "user_key": k, "state": "ready", "available_at": at, "version": 1, "full_resend": False}
        for (d, k), at in sorted(first.items())
    ]
    conn.execute(_upsert(conn.dialect.name), rows)
    announce(conn)


@functools.cache
def _upsert(dialect_name: str) -> sa.Insert:
    # Built once per dialect: building and keying it for SQLAlchemy's cache on every call cost
    # more than running it (py-spy on benchmarks/capture.py).
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement: sa.Insert = dialect.insert(delivery_queue).on_conflict_do_update(
        index_elements=["destination_id", "user_key"], set_={"version": delivery_queue.c.version + 1}
    )
    return statement


# -- claiming ----------------------------------------------------------------------------------


def claim_candidates(destination_id: int, now: datetime, limit: int, postgres: bool) -> sa.Select[Any]:
    """The ready users of a destination, oldest first, at most `limit`.

    Reads only `ix_delivery_queue_ready` up to `limit` rows, so its cost does not grow with the
    backlog. On PostgreSQL the rows are locked with SKIP LOCKED: a user another claimer (or a
    capture enqueueing for that user) holds is skipped, never waited for, never shared."""
    query = (
        sa.select(Q.user_key, Q.version, Q.full_resend, Q.available_at)
        .where(Q.destination_id == destination_id, Q.state == "ready", Q.available_at <= now)
        .order_by(Q.available_at)
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True) if postgres else query


def candidates(conn: Connection, destination_id: int, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """`claim_candidates`, run: (user_key, version, full_resend, available_at), oldest first."""
    return conn.execute(claim_candidates(destination_id, now, limit, conn.dialect.name == "postgresql")).all()


LEASE_USERS = BulkSql(
    "UPDATE delivery_queue SET state = 'leased', lease_owner = :owner, lease_expires_at = :expires"
    " WHERE destination_id = :destination AND user_key IN {ids:users}",
    types={"expires": UTCDateTime()},
)


def lease(conn: Connection, destination_id: int, users: Sequence[str], owner: str, expires: datetime) -> None:
    LEASE_USERS.run(conn, destination=destination_id, users=users, owner=owner, expires=expires)


def expired(conn: Connection, destination_id: int, now: datetime) -> Sequence[Row[Any]]:
    """Leased users whose lease ran out (user_key, lease_owner), at most `RECOVER_AT_ONCE`; on
    PostgreSQL those another claimer is recovering are skipped."""
    query = (
        sa.select(Q.user_key, Q.lease_owner)
        .where(Q.destination_id == destination_id, Q.state == "leased", Q.lease_expires_at < now)
        .limit(RECOVER_AT_ONCE)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return all_rows(conn, query)


def recovered(conn: Connection, destination_id: int, user_key: str, available_at: datetime) -> None:
    """A user taken over from an expired lease: ready again at `available_at`, sending everything."""
    conn.execute(
        sa.update(delivery_queue)
        .where(Q.destination_id == destination_id, Q.user_key == user_key)
        .values(
            state="ready",
            lease_owner=None,
            lease_expires_at=None,
            available_at=available_at,
            full_resend=True,
        )
    )


# -- leaving the lease -------------------------------------------------------------------------


def release(conn: Connection, destination_id: int, owner: str, users: Sequence[str], now: datetime) -> None:
    """Users handed back unsent: ready at once, the duty to send everything kept."""
    conn.execute(
        sa.update(delivery_queue)
        .where(Q.destination_id == destination_id, Q.user_key.in_(list(users)), Q.lease_owner == owner)
        .values(state="ready", lease_owner=None, lease_expires_at=None, available_at=now)
    )


def requeue(conn: Connection, destination_id: int, owner: str, user_key: str, at: datetime, *, full: bool) -> None:
    # A retry never clears the duty to send everything the rows carry: a failed full resend (a 503
    # after a worker died mid-request) leaves Braze as unknown as before, so the next one is full too.
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


END_LEASES = BulkSql(
    "DELETE FROM delivery_queue WHERE destination_id = :destination AND lease_owner = :owner"
    " AND (user_key, version) IN (SELECT key, CAST(value AS INTEGER) FROM {texts:versions})"
    " AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.destination_id = :destination"
    " AND outbox.user_key = delivery_queue.user_key AND outbox.state = 'pending')"
)
BACK_TO_READY = BulkSql(
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
    ended = END_LEASES.run(conn, destination=destination_id, owner=owner, versions=versions).rowcount
    if ended != len(versions):  # usually every user is done with, and nothing is left to look up
        # Whoever is left still has (or just got) work: back in the queue at once.
        BACK_TO_READY.run(conn, destination=destination_id, owner=owner, users=list(versions), now=now)


# -- a person, a destination -------------------------------------------------------------------


def lease_end_of(conn: Connection, user_keys: Sequence[str], now: datetime) -> datetime | None:
    """When the latest live lease on these users ends (any destination), or None."""
    found: datetime | None = conn.execute(
        sa.select(sa.func.max(Q.lease_expires_at)).where(
            Q.user_key.in_(user_keys), Q.lease_owner.is_not(None), Q.lease_expires_at > now
        )
    ).scalar()
    return found


def delete_users(conn: Connection, user_keys: Sequence[str], workspace_id: int | None = None) -> int:
    """These users' queue rows at every destination (of the workspace, if given) (erasure); how many went."""
    mine = sa.and_(Q.user_key.in_(user_keys), in_workspace(Q.destination_id, workspace_id))
    return int(conn.execute(sa.delete(delivery_queue).where(mine)).rowcount)


def delete_destination(conn: Connection, destination_id: int) -> int:
    return int(conn.execute(sa.delete(delivery_queue).where(Q.destination_id == destination_id)).rowcount)
