"""The outbox as the delivery engine sees it: claim with a lease, ack with the lease owner.

Claiming keeps per-user order: only a user's head (their earliest unfinished row) is claimed
directly, together with that user's other ready rows. Attempts are counted at claim time, so a worker
that dies mid-batch still uses up an attempt, and a row whose lease keeps expiring ends dead once
the retry policy's budget is spent. On PostgreSQL the candidate rows are locked with
FOR UPDATE SKIP LOCKED; on SQLite the BEGIN IMMEDIATE transaction serialises claimers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import delivery_attempts, destinations, outbox
from zeroparty.delivery.ports import ClaimedItem, Destination
from zeroparty.domain.retry import DEFAULT_RETRY_POLICY, RetryPolicy

log = logging.getLogger("zeroparty.outbox")


class SqlOutbox:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box

    def ready_destinations(self, now: datetime) -> list[Destination]:
        d = destinations.c
        with reader(self._engine).connect() as conn:
            rows = conn.execute(
                sa.select(d.id, d.name, d.endpoint, d.api_key_encrypted, d.paused_reason).where(
                    sa.or_(d.paused_reason.is_(None), sa.and_(d.paused_until.is_not(None), d.paused_until <= now))
                )
            ).all()
        return [
            Destination(r.id, r.name, r.endpoint, self._box.open(r.api_key_encrypted), r.paused_reason is not None)
            for r in rows
        ]

    def claim(
        self,
        destination_id: int,
        owner: str,
        max_users: int,
        lease_s: float,
        now: datetime,
        policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    ) -> list[ClaimedItem]:
        o = outbox.alias("o")
        p = outbox.alias("p")
        # A user's head is their earliest unfinished row. Only heads are claimed directly, and with
        # them every ready row of the same user; a later row is never a head while an earlier one
        # is pending or in flight, so two workers can never hold one user's rows at once.
        earlier_unfinished = (
            sa.select(p.c.seq)
            .where(
                p.c.destination_id == o.c.destination_id,
                p.c.user_key == o.c.user_key,
                p.c.seq < o.c.seq,
                p.c.state.in_(["pending", "in_flight"]),
            )
            .exists()
        )
        heads = (
            sa.select(o.c.user_key)
            .where(
                o.c.destination_id == destination_id,
                o.c.state == "pending",
                o.c.available_at <= now,
                ~earlier_unfinished,
            )
            .order_by(o.c.seq)
            .limit(max_users)
        )
        with self._engine.begin() as conn:
            self._recover_expired(conn, destination_id, now, policy)
            if conn.dialect.name == "postgresql":
                heads = heads.with_for_update(of=o, skip_locked=True)
            users = list(conn.execute(heads).scalars())
            if not users:
                return []
            picked = list(
                conn.execute(
                    sa.select(outbox.c.seq).where(
                        outbox.c.destination_id == destination_id,
                        outbox.c.user_key.in_(users),
                        outbox.c.state == "pending",
                        outbox.c.available_at <= now,
                    )
                ).scalars()
            )
            conn.execute(
                sa.update(outbox)
                .where(outbox.c.seq.in_(picked))
                .values(
                    state="in_flight",
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_s),
                    attempts=outbox.c.attempts + 1,
                )
            )
            rows = conn.execute(
                sa.select(outbox.c.id, outbox.c.user_key, outbox.c.payload, outbox.c.attempts, outbox.c.created_at)
                .where(outbox.c.seq.in_(picked))
                .order_by(outbox.c.seq)
            ).all()
        return [ClaimedItem(r.id, r.user_key, dict(r.payload["attributes"]), r.attempts, r.created_at) for r in rows]

    def _recover_expired(self, conn: Connection, destination_id: int, now: datetime, policy: RetryPolicy) -> None:
        """Settle rows whose worker vanished: the claim already counted their attempt, so a row
        that keeps losing its lease still reaches the end of its retry budget."""
        expired = sa.select(outbox.c.id, outbox.c.attempts, outbox.c.created_at).where(
            outbox.c.destination_id == destination_id,
            outbox.c.state == "in_flight",
            outbox.c.lease_expires_at < now,
        )
        if conn.dialect.name == "postgresql":
            expired = expired.with_for_update(skip_locked=True)
        rows = conn.execute(expired).all()
        if not rows:
            return
        dead = [r for r in rows if policy.exhausted(r.attempts, r.created_at, now)]
        dead_ids = {r.id for r in dead}
        back = [r.id for r in rows if r.id not in dead_ids]
        self._settle_expired(conn, back, now, "retry", {"state": "pending"}, "lease expired")
        for r in dead:  # one by one: the reason names each row's own attempts
            queued = r.created_at.astimezone(UTC)
            reason = (
                f"lease expired and the retry budget is spent ({r.attempts} attempts since {queued:%Y-%m-%d %H:%M} UTC)"
            )
            self._settle_expired(conn, [r.id], now, "dead", {"state": "dead"}, reason)
        log.warning(
            "recovered %d item(s) from expired leases, %d of them dead (retry budget spent)",
            len(rows),
            len(dead),
            extra={"action": "lease_expired"},
        )

    @staticmethod
    def _settle_expired(
        conn: Connection, ids: list[str], now: datetime, outcome: str, values: dict[str, Any], detail: str
    ) -> None:
        if not ids:
            return
        conn.execute(
            sa.update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.state == "in_flight", outbox.c.lease_expires_at < now)
            .values(lease_owner=None, lease_expires_at=None, last_error=detail, **values)
        )
        conn.execute(
            sa.insert(delivery_attempts),
            [{"outbox_id": i, "at": now, "outcome": outcome, "status_code": None, "detail": detail} for i in ids],
        )

    def _finish(
        self,
        ids: Sequence[str],
        owner: str,
        now: datetime,
        outcome: str,
        values: dict[str, Any],
        status: int | None,
        detail: str | None,
    ) -> None:
        if not ids:
            return
        with self._engine.begin() as conn:
            done = conn.execute(
                sa.update(outbox)
                .where(outbox.c.id.in_(list(ids)), outbox.c.state == "in_flight", outbox.c.lease_owner == owner)
                .values(lease_owner=None, lease_expires_at=None, **values)
            )
            if done.rowcount != len(ids):
                # Our lease expired and another worker owns (or finished) some rows: leave them be.
                log.warning(
                    "stale ack: %d of %d item(s) no longer leased by %s",
                    len(ids) - done.rowcount,
                    len(ids),
                    owner,
                    extra={"action": "stale_ack"},
                )
            conn.execute(
                sa.insert(delivery_attempts),
                [{"outbox_id": i, "at": now, "outcome": outcome, "status_code": status, "detail": detail} for i in ids],
            )

    def delivered(self, ids: Sequence[str], owner: str, now: datetime, status: int) -> None:
        self._finish(
            ids,
            owner,
            now,
            "delivered",
            {"state": "delivered", "delivered_at": now, "last_error": None},
            status,
            None,
        )

    def retry_at(self, ids: Sequence[str], owner: str, at: datetime, error: str, now: datetime) -> None:
        self._finish(
            ids,
            owner,
            now,
            "retry",
            {"state": "pending", "available_at": at, "last_error": error},
            None,
            error,
        )

    def dead(self, ids: Sequence[str], owner: str, error: str, now: datetime) -> None:
        self._finish(ids, owner, now, "dead", {"state": "dead", "last_error": error}, None, error)

    def release(self, ids: Sequence[str], owner: str, error: str, now: datetime) -> None:
        values = {"state": "pending", "attempts": outbox.c.attempts - 1, "last_error": error}
        self._finish(ids, owner, now, "released", values, None, error)

    def pause(self, destination_id: int, reason: str, until: datetime | None) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(destinations)
                .where(destinations.c.id == destination_id)
                .values(paused_reason=reason, paused_until=until)
            )

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
