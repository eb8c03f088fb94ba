"""Settling: what one answer's plan (domain/settle.py) does to the outbox, applied inside the
caller's transaction. `SqlOutbox.settle_many` runs several in one transaction (group commit)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from zeroparty.adapters.db.queue import upsert
from zeroparty.adapters.db.schema import (
    delivery_attempts,
    delivery_counters,
    delivery_queue,
    delivery_state,
    destinations,
    outbox,
)
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
    record_accepted(conn, destination_id, plan.accepted, now)
    count(conn, destination_id, plan)
    retried = {r.user_key: r for r in plan.retry}
    for user_key in versions.keys() & retried.keys():
        retry = retried[user_key]
        requeue(conn, destination_id, owner, user_key, retry.at, full=retry.full)
    end_leases(conn, destination_id, owner, {u: v for u, v in versions.items() if u not in retried}, now)
    if plan.pause is not None:
        pause_destination(conn, destination_id, plan.pause.reason, plan.pause.until)


def settle_rows(conn: Connection, owner: str, plan: SettlePlan, now: datetime) -> None:
    done = {"lease_owner": None, "lease_expires_at": None}
    delivered = [i for i in plan.delivered if i not in plan.notes]
    mark_rows(
        conn,
        delivered,
        owner,
        now,
        "delivered",
        {**done, "state": "delivered", "delivered_at": now, "last_error": None},
        None,
    )
    for item_id, note in plan.notes.items():
        if item_id in plan.delivered:
            mark_rows(
                conn,
                [item_id],
                owner,
                now,
                "delivered",
                {**done, "state": "delivered", "delivered_at": now, "last_error": note},
                note,
            )
    for ids, reason in plan.dead:
        mark_rows(conn, list(ids), owner, now, "dead", {**done, "state": "dead", "last_error": reason}, reason)
    for retry in plan.retry:
        mark_rows(
            conn,
            list(retry.item_ids),
            owner,
            now,
            "retry",
            {**done, "state": "pending", "last_error": retry.reason},
            retry.reason,
        )
    for _user, ids in plan.release:
        reason = plan.pause.reason if plan.pause else "handed back"
        values = {**done, "state": "pending", "attempts": R.attempts - 1, "last_error": reason}
        mark_rows(conn, list(ids), owner, now, "released", values, reason)


def mark_rows(
    conn: Connection,
    ids: Sequence[str],
    owner: str | None,
    now: datetime,
    outcome: str,
    values: dict[str, Any],
    detail: str | None,
) -> None:
    if not ids:
        return
    done = conn.execute(
        sa.update(outbox).where(R.id.in_(list(ids)), R.state == "in_flight", R.lease_owner == owner).values(**values)
    )
    if done.rowcount != len(ids):
        # Our lease expired and another worker took these rows over: leave them be.
        log.warning(
            "stale ack: %d of %d item(s) no longer leased by %s",
            len(ids) - done.rowcount,
            len(ids),
            owner,
            extra={"action": "stale_ack"},
        )
    conn.execute(
        sa.insert(delivery_attempts),
        [{"outbox_id": i, "at": now, "outcome": outcome, "status_code": None, "detail": detail} for i in ids],
    )


def record_accepted(
    conn: Connection, destination_id: int, accepted: Mapping[str, Mapping[str, Any]], now: datetime
) -> None:
    fresh = {u: v for u, v in accepted.items() if v}
    if not fresh:
        return
    S = delivery_state.c
    old = dict(
        conn.execute(
            sa.select(S.user_key, S["values"]).where(S.destination_id == destination_id, S.user_key.in_(list(fresh)))
        ).all()
    )
    rows = [
        {"destination_id": destination_id, "user_key": u, "values": {**(old.get(u) or {}), **v}, "updated_at": now}
        for u, v in fresh.items()
    ]
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(delivery_state)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["destination_id", "user_key"],
            set_={"values": statement.excluded["values"], "updated_at": statement.excluded.updated_at},
        ),
        rows,
    )


def count(conn: Connection, destination_id: int, plan: SettlePlan) -> None:
    if not (plan.points_sent or plan.points_saved or plan.health != "neutral"):
        return
    requests = int(plan.health != "neutral")
    c = delivery_counters.c
    upsert(
        conn,
        delivery_counters,
        {
            "destination_id": destination_id,
            "requests": requests,
            "points_sent": plan.points_sent,
            "points_saved": plan.points_saved,
        },
        ["destination_id"],
        {
            "requests": c.requests + requests,
            "points_sent": c.points_sent + plan.points_sent,
            "points_saved": c.points_saved + plan.points_saved,
        },
    )


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


def end_leases(conn: Connection, destination_id: int, owner: str, versions: Mapping[str, int], now: datetime) -> None:
    """Forget users when nothing was queued for them meanwhile; queue the others again.
    A capture enqueueing for a user bumps `version` under a row lock, so on PostgreSQL the
    delete waits for it and then finds the version changed."""
    if not versions:
        return
    pending = (
        sa.select(R.seq)
        .where(R.destination_id == destination_id, R.user_key == sa.bindparam("u"), R.state == "pending")
        .exists()
    )
    conn.execute(
        sa.delete(delivery_queue).where(
            Q.destination_id == destination_id,
            Q.user_key == sa.bindparam("u"),
            Q.lease_owner == owner,
            Q.version == sa.bindparam("v"),
            ~pending,
        ),
        [{"u": u, "v": v} for u, v in versions.items()],
    )
    # Whoever is left still has (or just got) work: back in the queue at once.
    conn.execute(
        sa.update(delivery_queue)
        .where(Q.destination_id == destination_id, Q.user_key.in_(list(versions)), Q.lease_owner == owner)
        .values(state="ready", lease_owner=None, lease_expires_at=None, available_at=now, full_resend=False)
    )


def pause_destination(conn: Connection, destination_id: int, reason: str, until: datetime | None) -> None:
    conn.execute(
        sa.update(destinations)
        .where(destinations.c.id == destination_id)
        .values(paused_reason=reason, paused_until=until)
    )
