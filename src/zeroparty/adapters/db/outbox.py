"""The outbox as the delivery engine sees it: users leased from `delivery_queue`, their rows read and
settled with the lease owner named. The SQL that claims is one named query, `claim_candidates`
(docs/delivery.md, "Claiming"); everything a request's answer changes is written by `settle` in one
transaction, with the pieces in `settling.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db import settling
from zeroparty.adapters.db.bulk import BulkSql
from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.metadata import UTCDateTime
from zeroparty.adapters.db.queue import enqueue_users
from zeroparty.adapters.db.schema import (
    delivery_attempts,
    delivery_months,
    delivery_queue,
    destinations,
    outbox,
)
from zeroparty.delivery.ports import Claim, ClaimedItem, ClaimedUser, Destination
from zeroparty.domain.budget import month_of
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.pacing import claim_now
from zeroparty.domain.replay import without_superseded
from zeroparty.domain.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from zeroparty.domain.row_marks import LeasedRow, expired_marks, handed_back
from zeroparty.domain.settle import SettlePlan

log = logging.getLogger("zeroparty.outbox")

Q = delivery_queue.c
R = outbox.c
_RECOVER_AT_ONCE = 100


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


_LEASE_USERS = BulkSql(
    "UPDATE delivery_queue SET state = 'leased', lease_owner = :owner, lease_expires_at = :expires"
    " WHERE destination_id = :destination AND user_key IN {ids:users}",
    types={"expires": UTCDateTime()},
)
_LEASE_ROWS = BulkSql(
    "UPDATE outbox SET state = 'in_flight', lease_owner = :owner, lease_expires_at = :expires,"
    " attempts = attempts + 1 WHERE destination_id = :destination AND user_key IN {ids:users} AND state = 'pending'",
    types={"expires": UTCDateTime()},
)
_LEASED = BulkSql(
    "SELECT id, user_key, payload, attempts, created_at FROM outbox WHERE destination_id = :destination"
    " AND user_key IN {ids:users} AND state = 'in_flight' AND lease_owner = :owner ORDER BY seq",
    columns={"id": sa.String(), "user_key": sa.String(), "payload": sa.JSON(), "attempts": sa.Integer(),
             "created_at": UTCDateTime()},
)  # fmt: skip


class SqlOutbox:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box

    def ready_destinations(self, now: datetime) -> list[Destination]:
        d, m = destinations.c, delivery_months.c
        month = sa.and_(m.destination_id == d.id, m.month == month_of(now))
        with reader(self._engine).connect() as conn:
            rows = conn.execute(
                sa.select(d.id, d.name, d.endpoint, d.api_key_encrypted, d.paused_reason, d.settings, m.points_sent)
                .select_from(destinations.outerjoin(delivery_months, month))
                .where(sa.or_(d.paused_reason.is_(None), sa.and_(d.paused_until.is_not(None), d.paused_until <= now)))
            ).all()
        return [
            Destination(
                r.id,
                r.name,
                r.endpoint,
                self._box.open(r.api_key_encrypted),
                DestinationSettings.model_validate(r.settings or {}),
                r.paused_reason is not None,
                r.points_sent or 0,
            )
            for r in rows
        ]

    def claim(
        self,
        destination_id: int,
        owner: str,
        max_users: int,
        lease_s: float,
        now: datetime,
        *,
        window_s: float = 0.0,
        settle_window_s: float = 0.0,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        full_batch: int | None = None,
    ) -> Claim:
        with self._engine.begin() as conn:
            self._recover_expired(conn, destination_id, now, settle_window_s, policy)
            postgres = conn.dialect.name == "postgresql"
            candidates = conn.execute(claim_candidates(destination_id, now, max_users, postgres)).all()
            if not candidates:
                return Claim()
            oldest_age = (now - candidates[0].available_at).total_seconds()
            take, wait = claim_now(len(candidates), full_batch or max_users, oldest_age, window_s)
            if not take:
                return Claim(wait_s=wait)  # the transaction ends: SKIP LOCKED locks are let go
            candidates = candidates[:take]
            users = [c.user_key for c in candidates]
            expires = now + timedelta(seconds=lease_s)
            _LEASE_USERS.run(conn, destination=destination_id, users=users, owner=owner, expires=expires)
            items = self._lease_rows(conn, destination_id, users, owner, expires)
            accepted = settling.accepted_values(conn, destination_id, users)
            for c in candidates:
                if c.user_key not in items:  # nothing pending (all settled by recovery): forget the user
                    settling.end_lease(conn, destination_id, owner, c.user_key, c.version, now)
            candidates = [c for c in candidates if c.user_key in items]
        return Claim(
            tuple(
                ClaimedUser(
                    c.user_key, c.version, tuple(items.get(c.user_key, ())), accepted.get(c.user_key, {}), c.full_resend
                )
                for c in candidates
            )
        )

    @staticmethod
    def _lease_rows(
        conn: Connection, destination_id: int, users: list[str], owner: str, expires: datetime
    ) -> dict[str, list[ClaimedItem]]:
        _LEASE_ROWS.run(conn, destination=destination_id, users=users, owner=owner, expires=expires)
        items: dict[str, list[ClaimedItem]] = {}
        for r in _LEASED.run(conn, destination=destination_id, users=users, owner=owner):
            item = ClaimedItem.from_payload(r.id, r.user_key, r.payload, r.attempts, r.created_at)
            items.setdefault(r.user_key, []).append(item)
        return items

    def _recover_expired(
        self, conn: Connection, destination_id: int, now: datetime, settle_window_s: float, policy: RetryPolicy
    ) -> None:
        """Users whose worker died (or overran its lease): the outcome of what was in flight is
        unknown. Rows out of budget end dead; the rest wait out the settle window and then go again
        with everything current."""
        query = (
            sa.select(Q.user_key, Q.lease_owner)
            .where(Q.destination_id == destination_id, Q.state == "leased", Q.lease_expires_at < now)
            .limit(_RECOVER_AT_ONCE)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        expired = conn.execute(query).all()
        for user in expired:
            # A leased user always has an owner: the claim sets both in one statement.
            owner = user.lease_owner or ""
            self._recover_user(conn, destination_id, user.user_key, owner, now, settle_window_s, policy)
        if expired:
            log.warning("recovered %d user(s) from expired leases", len(expired), extra={"action": "lease_expired"})

    def _recover_user(
        self,
        conn: Connection,
        destination_id: int,
        user_key: str,
        owner: str,
        now: datetime,
        settle_window_s: float,
        policy: RetryPolicy,
    ) -> None:
        rows = conn.execute(
            sa.select(R.id, R.attempts, R.created_at).where(
                R.destination_id == destination_id,
                R.user_key == user_key,
                R.state == "in_flight",
                R.lease_owner == owner,
            )
        ).all()
        for mark in expired_marks([LeasedRow(r.id, r.attempts, r.created_at) for r in rows], policy, now):
            settling.mark_rows(conn, mark, owner, now)
        conn.execute(
            sa.update(delivery_queue)
            .where(Q.destination_id == destination_id, Q.user_key == user_key)
            .values(
                state="ready",
                lease_owner=None,
                lease_expires_at=None,
                available_at=now + timedelta(seconds=settle_window_s),
                full_resend=True,
            )
        )

    # -- settling --------------------------------------------------------------------------------

    def settle(
        self, destination_id: int, owner: str, plan: SettlePlan, versions: Mapping[str, int], now: datetime
    ) -> None:
        self.settle_many([(destination_id, plan, versions)], owner, now)

    def settle_many(
        self, plans: Sequence[tuple[int, SettlePlan, Mapping[str, int]]], owner: str, now: datetime
    ) -> None:
        """Several answers' plans in one transaction (group commit: one fsync for all)."""
        with self._engine.begin() as conn:
            for destination_id, plan, versions in plans:
                settling.settle_one(conn, destination_id, owner, plan, versions, now)

    def release_users(self, destination_id: int, owner: str, users: Sequence[str], now: datetime) -> None:
        if not users:
            return
        with self._engine.begin() as conn:
            ids = (
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
            settling.mark_rows(conn, handed_back(ids), owner, now)
            conn.execute(
                sa.update(delivery_queue)
                .where(Q.destination_id == destination_id, Q.user_key.in_(list(users)), Q.lease_owner == owner)
                .values(state="ready", lease_owner=None, lease_expires_at=None, available_at=now)
            )

    def pause(self, destination_id: int, reason: str, until: datetime | None) -> None:
        with self._engine.begin() as conn:
            settling.pause_destination(conn, destination_id, reason, until)

    def unpause_if_expired(self, destination_id: int, now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(destinations)
                .where(
                    destinations.c.id == destination_id,
                    destinations.c.paused_until.is_not(None),
                    destinations.c.paused_until <= now,
                )
                .values(paused_reason=None, paused_until=None)
            )

    def requeue_dead(self, ids: Sequence[str], now: datetime, *, destination_id: int | None = None) -> int:
        """Replay: dead rows go back to pending (same id, history kept) and their users are queued.
        Only rows of `destination_id`, when given. A value a later live row of the same user sets is
        left out (`domain.replay`: it is newer); each replay is logged in `delivery_attempts`."""
        with self._engine.begin() as conn:
            query = sa.select(R.id, R.seq, R.destination_id, R.user_key, R.payload).where(
                R.id.in_(list(ids)), R.state == "dead"
            )
            if destination_id is not None:
                query = query.where(R.destination_id == destination_id)
            rows = conn.execute(query).all()
            if not rows:
                return 0
            for dest in {r.destination_id for r in rows}:  # first: it orders writers for one user
                enqueue_users(conn, [dest], sorted({r.user_key for r in rows if r.destination_id == dest}), now)
            later = self._live_rows(conn, rows)
            details: dict[str, str] = {}
            for r in rows:
                newer = [p for seq, p in later.get((r.destination_id, r.user_key), []) if seq > r.seq]
                payload, dropped = without_superseded(r.payload or {}, newer)
                values: dict[str, Any] = {"state": "pending", "attempts": 0, "last_error": None, "created_at": now}
                if dropped:
                    values["payload"] = payload
                    details[r.id] = f"replayed; left out, set since by a later item: {', '.join(dropped)}"
                conn.execute(sa.update(outbox).where(R.id == r.id).values(**values))
            conn.execute(
                sa.insert(delivery_attempts),
                [
                    {
                        "outbox_id": r.id,
                        "at": now,
                        "outcome": "replayed",
                        "status_code": None,
                        "detail": details.get(r.id, "replayed"),
                    }
                    for r in rows
                ],
            )
        return len(rows)

    @staticmethod
    def _live_rows(conn: Connection, rows: Sequence[Any]) -> dict[tuple[int, str], list[tuple[int, Any]]]:
        """(seq, payload) of the delivered, pending and in-flight rows of the users of `rows`."""
        found: dict[tuple[int, str], list[tuple[int, Any]]] = {}
        for r in conn.execute(
            sa.select(R.seq, R.destination_id, R.user_key, R.payload).where(
                R.destination_id.in_(sorted({r.destination_id for r in rows})),
                R.user_key.in_(sorted({r.user_key for r in rows})),
                R.state != "dead",
            )
        ):
            found.setdefault((r.destination_id, r.user_key), []).append((r.seq, r.payload or {}))
        return found
