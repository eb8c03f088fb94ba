"""The outbox as the delivery engine sees it: users leased from `delivery_queue`, their rows read and
settled with the lease owner named. It decides which statements run, in which order, in one
transaction; the statements are named in `outbox_sql/` (the claim query is
`outbox_sql.queue.claim_candidates`: docs/delivery.md, "Claiming"). Everything a request's answer
changes is written by `settle` in one transaction, with the pieces in `settling.py`.
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
from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.outbox_sql import counters, queue, records, rows
from zeroparty.adapters.db.schema import destinations
from zeroparty.delivery.ports import Claim, ClaimedItem, ClaimedUser, Destination
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.pacing import claim_now
from zeroparty.domain.replay import without_superseded
from zeroparty.domain.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from zeroparty.domain.row_marks import LeasedRow, expired_marks, handed_back
from zeroparty.domain.settle import SettlePlan

log = logging.getLogger("zeroparty.outbox")


class SqlOutbox:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box

    def ready_destinations(self, now: datetime) -> list[Destination]:
        with reader(self._engine).connect() as conn:
            ready = counters.ready_destinations(conn, now)
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
            for r in ready
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
            # The caller read the destination before this transaction: another answer may have
            # paused it since, and what is leased now would be sent into the pause.
            if counters.paused(conn, destination_id, now):
                return Claim()
            candidates = queue.candidates(conn, destination_id, now, max_users)
            if not candidates:
                return Claim()
            oldest_age = (now - candidates[0].available_at).total_seconds()
            take, wait = claim_now(len(candidates), full_batch or max_users, oldest_age, window_s)
            if not take:
                return Claim(wait_s=wait)  # the transaction ends: SKIP LOCKED locks are let go
            candidates = candidates[:take]
            users = [c.user_key for c in candidates]
            expires = now + timedelta(seconds=lease_s)
            queue.lease(conn, destination_id, users, owner, expires)
            items = self._lease_rows(conn, destination_id, users, owner, expires)
            accepted = records.accepted_values(conn, destination_id, users)
            # Nothing pending (all settled by recovery): forget the user.
            unused = {c.user_key: c.version for c in candidates if c.user_key not in items}
            queue.end_leases(conn, destination_id, owner, unused, now)
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
        rows.lease(conn, destination_id, users, owner, expires)
        items: dict[str, list[ClaimedItem]] = {}
        for r in rows.leased(conn, destination_id, users, owner):
            item = ClaimedItem.from_payload(r.id, r.user_key, r.payload, r.attempts, r.created_at)
            items.setdefault(r.user_key, []).append(item)
        return items

    def _recover_expired(
        self, conn: Connection, destination_id: int, now: datetime, settle_window_s: float, policy: RetryPolicy
    ) -> None:
        """Users whose worker died (or overran its lease): the outcome of what was in flight is
        unknown. Rows out of budget end dead; the rest wait out the settle window and then go again
        with everything their rows carry."""
        expired = queue.expired(conn, destination_id, now)
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
        held = rows.in_flight_of(conn, destination_id, user_key, owner)
        for mark in expired_marks([LeasedRow(r.id, r.attempts, r.created_at) for r in held], policy, now):
            rows.mark(conn, mark, owner, now)
        queue.recovered(conn, destination_id, user_key, now + timedelta(seconds=settle_window_s))

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
            ids = rows.in_flight_ids(conn, destination_id, users, owner)
            rows.mark(conn, handed_back(ids), owner, now)
            queue.release(conn, destination_id, owner, users, now)

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
            dead = rows.dead(conn, ids, destination_id)
            if not dead:
                return 0
            for dest in {r.destination_id for r in dead}:  # first: it orders writers for one user
                queue.enqueue_users(conn, [dest], sorted({r.user_key for r in dead if r.destination_id == dest}), now)
            later = self._live_rows(conn, dead)
            details: dict[str, str] = {}
            for r in dead:
                newer = [p for seq, p in later.get((r.destination_id, r.user_key), []) if seq > r.seq]
                payload, dropped = without_superseded(r.payload or {}, newer)
                if dropped:
                    details[r.id] = f"replayed; left out, set since by a later item: {', '.join(dropped)}"
                rows.back_to_pending(conn, r.id, now, payload if dropped else None)
            rows.log_attempts(conn, [(r.id, "replayed", details.get(r.id, "replayed")) for r in dead], now)
        return len(dead)

    @staticmethod
    def _live_rows(conn: Connection, dead: Sequence[Any]) -> dict[tuple[int, str], list[tuple[int, Any]]]:
        """(seq, payload) of the delivered, pending and in-flight rows of the users of `dead`."""
        found: dict[tuple[int, str], list[tuple[int, Any]]] = {}
        for r in rows.live_of(conn, sorted({r.destination_id for r in dead}), sorted({r.user_key for r in dead})):
            found.setdefault((r.destination_id, r.user_key), []).append((r.seq, r.payload or {}))
        return found
