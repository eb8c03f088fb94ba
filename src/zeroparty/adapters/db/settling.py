"""Settling: what one answer's plan (domain/settle.py) does to the outbox, applied inside the
caller's transaction. This module decides which statements run and in which order; the statements
themselves are named in `outbox_sql/`. `SqlOutbox.settle_many` runs several plans in one
transaction (group commit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zeroparty.adapters.db.outbox_sql import counters, queue, records, rows
from zeroparty.adapters.db.schema import destinations
from zeroparty.domain import holdings
from zeroparty.domain.row_marks import row_marks
from zeroparty.domain.settle import SettlePlan


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
        queue.requeue(conn, destination_id, owner, user_key, retry.at, full=retry.full)
    queue.end_leases(conn, destination_id, owner, {u: v for u, v in versions.items() if u not in retried}, now)
    if plan.pause is not None:
        pause_destination(conn, destination_id, plan.pause.reason, plan.pause.until)


def settle_rows(conn: Connection, owner: str, plan: SettlePlan, now: datetime) -> None:
    for mark in row_marks(plan):
        rows.mark(conn, mark, owner, now)


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
    old = records.accepted_values(conn, destination_id, list(fresh.keys() | doubt.keys()))
    merged = {u: holdings.merged(old.get(u) or {}, fresh.get(u) or {}, now) for u in fresh.keys() | doubt.keys()}
    for u, keys in doubt.items():
        merged[u] = holdings.forget(merged[u], keys)
    records.store(conn, destination_id, merged, now)


def count(conn: Connection, destination_id: int, plan: SettlePlan, now: datetime) -> None:
    if not (plan.points_sent or plan.points_saved or plan.health != "neutral"):
        return
    requests = int(plan.health != "neutral")
    counters.add(conn, destination_id, requests=requests, sent=plan.points_sent, saved=plan.points_saved, now=now)


def pause_destination(conn: Connection, destination_id: int, reason: str, until: datetime | None) -> None:
    conn.execute(
        sa.update(destinations)
        .where(destinations.c.id == destination_id)
        .values(paused_reason=reason, paused_until=until)
    )
