"""The outbox in memory: the delivery engine's `Outbox` port with the semantics of the SQL outbox
(`adapters/db/outbox.py`, `settling.py`, `outbox_sql/`; docs/delivery.md), for tests that run the
real engine in milliseconds. `tests/integration/test_outbox_store.py` runs one contract suite
against both.

- Users are leased whole, with an owner; a write from an owner whose lease was taken over
  changes no row or user (its attempts are still logged, as in SQL).
- A claim counts an attempt on each row it hands over, batches by the window (`claim_now`), and
  first settles users whose lease expired: outcome unknown, so they wait out the settle window
  and then send everything their rows carry; rows whose retry budget is spent end dead.
- A settle plan (`domain/row_marks.py` for the rows) is applied in one step: rows, the record of
  accepted values, counters, the users' leases and the pause. `settle_many` applies several.

Each write works on a copy of the tables that replaces them only when it completes; one lock
orders writers, as SQLite's write lock does.
"""

from __future__ import annotations

import copy
import itertools
import logging
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from zeroparty.adapters.memory.records import (
    AttemptEntry,
    Counters,
    DestinationRecord,
    OutboxRow,
    QueueEntry,
    Tables,
)
from zeroparty.delivery.ports import Claim, ClaimedItem, ClaimedUser, Destination
from zeroparty.domain import holdings
from zeroparty.domain.budget import month_of
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.pacing import claim_now
from zeroparty.domain.replay import without_superseded
from zeroparty.domain.retry import DEFAULT_RETRY_POLICY, RetryPolicy
from zeroparty.domain.row_marks import LeasedRow, RowMark, expired_marks, handed_back, row_marks
from zeroparty.domain.settle import SettlePlan
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID

log = logging.getLogger("zeroparty.outbox")

_RECOVER_AT_ONCE = 100
_AFTER = timedelta(microseconds=1)  # an expired lease is recovered only once strictly past its end


class MemoryOutbox:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tables = Tables()  # replaced whole by each write, never changed once in place
        self._seq = itertools.count(1)
        self._destination_ids = itertools.count(1)

    @contextmanager
    def _write(self) -> Iterator[Tables]:
        with self._lock:
            work = self._tables.copy()
            yield work
            self._tables = work

    # -- putting things in -------------------------------------------------------------------------

    def add_destination(
        self,
        name: str,
        endpoint: str = "https://rest.iad-01.braze.com",
        api_key: str = "braze-rest-key-0001",
        settings: DestinationSettings | None = None,
        *,
        workspace_id: int = DEFAULT_WORKSPACE_ID,
    ) -> int:
        with self._write() as t:
            dest_id = next(self._destination_ids)
            t.destinations[dest_id] = DestinationRecord(
                dest_id, name, endpoint, api_key, settings or DestinationSettings(), workspace_id=workspace_id
            )
        return dest_id

    def enqueue(
        self,
        user_key: str,
        payload: Mapping[str, Any],
        now: datetime,
        *,
        response_id: str | None = None,
        destination_ids: Sequence[int] | None = None,
    ) -> list[str]:
        """Queue one row for `user_key` per destination (each one by default), as capture does:
        the user's queue entry first (its version bumped), then the rows. The rows' ids."""
        with self._write() as t:
            targets = list(t.destinations) if destination_ids is None else list(destination_ids)
            ids: list[str] = []
            for dest_id in targets:
                if dest_id not in t.destinations:
                    raise KeyError(f"no destination {dest_id}")
                ref = (dest_id, user_key)
                queued = t.queue.get(ref)
                t.queue[ref] = (
                    QueueEntry(dest_id, user_key, "ready", now, 1)
                    if queued is None
                    else replace(queued, version=queued.version + 1)
                )
                row = OutboxRow(
                    str(uuid.uuid4()),
                    next(self._seq),
                    dest_id,
                    user_key,
                    copy.deepcopy(dict(payload)),
                    "pending",
                    0,
                    now,
                    response_id,
                )
                t.rows[row.id] = row
                t.by_user[ref] = (*t.by_user.get(ref, ()), row.id)
                ids.append(row.id)
        return ids

    def requeue_dead(self, ids: Sequence[str], now: datetime, *, destination_id: int | None = None) -> int:
        """Replay, as `SqlOutbox.requeue_dead` does: dead rows back to pending under the same id,
        their users queued, values a later live row sets left out."""
        with self._write() as t:
            dead = [
                t.rows[i]
                for i in ids
                if i in t.rows
                and t.rows[i].state == "dead"
                and (destination_id is None or t.rows[i].destination_id == destination_id)
            ]
            for row in dead:
                ref = (row.destination_id, row.user_key)
                queued = t.queue.get(ref)
                t.queue[ref] = (
                    QueueEntry(row.destination_id, row.user_key, "ready", now, 1)
                    if queued is None
                    else replace(queued, version=queued.version + 1)
                )
                newer = [
                    t.rows[o].payload
                    for o in t.by_user.get(ref, ())
                    if t.rows[o].seq > row.seq and t.rows[o].state in ("pending", "in_flight", "delivered")
                ]
                payload, dropped = without_superseded(row.payload, newer)
                t.rows[row.id] = replace(
                    row, payload=payload, state="pending", attempts=0, created_at=now, last_error=None
                )
                detail = (
                    f"replayed; left out, set since by a later item: {', '.join(dropped)}" if dropped else "replayed"
                )
                t.attempts.append(AttemptEntry(row.id, now, "replayed", detail))
        return len(dead)

    def set_settings(self, destination_id: int, settings: DestinationSettings) -> None:
        """An operator changes a destination's settings (`destinations set`)."""
        with self._write() as t:
            t.destinations[destination_id] = replace(t.destinations[destination_id], settings=settings)

    def change_destination(self, destination_id: int, **changes: Any) -> None:
        """An operator changes a destination's endpoint, key or pause (`DestinationRecord`'s fields)."""
        with self._write() as t:
            t.destinations[destination_id] = replace(t.destinations[destination_id], **changes)

    def remove_destination(self, destination_id: int) -> None:
        """The destination and everything delivery holds for it: rows, their attempts, queue
        entries, the record of accepted values, counters and monthly points."""
        with self._write() as t:
            gone = {i for i, r in t.rows.items() if r.destination_id == destination_id}
            t.rows = {i: r for i, r in t.rows.items() if i not in gone}
            t.attempts = [a for a in t.attempts if a.outbox_id not in gone]
            t.by_user = {ref: ids for ref, ids in t.by_user.items() if ref[0] != destination_id}
            t.queue = {ref: q for ref, q in t.queue.items() if ref[0] != destination_id}
            t.accepted = {ref: v for ref, v in t.accepted.items() if ref[0] != destination_id}
            t.counters.pop(destination_id, None)
            t.months = {ref: n for ref, n in t.months.items() if ref[0] != destination_id}
            del t.destinations[destination_id]

    def resume(self, destination_id: int) -> None:
        """An operator resumes a paused destination."""
        with self._write() as t:
            t.destinations[destination_id] = replace(
                t.destinations[destination_id], paused_reason=None, paused_until=None
            )

    # -- the port ----------------------------------------------------------------------------------

    def ready_destinations(self, now: datetime) -> list[Destination]:
        t, month = self._tables, month_of(now)
        return [
            Destination(
                d.id,
                d.name,
                d.endpoint,
                d.api_key,
                d.settings,
                d.paused_reason is not None,
                t.months.get((d.id, month), 0),
            )
            for d in t.destinations.values()
            if d.paused_reason is None or (d.paused_until is not None and d.paused_until <= now)
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
        with self._write() as t:
            _recover_expired(t, destination_id, now, settle_window_s, policy)
            dest = t.destinations[destination_id]
            if dest.paused_reason is not None and (dest.paused_until is None or dest.paused_until > now):
                return Claim()  # paused since the caller read it (as the SQL outbox)
            ready = [
                q
                for q in t.queue.values()
                if q.destination_id == destination_id and q.state == "ready" and q.available_at <= now
            ]
            candidates = sorted(ready, key=lambda q: q.available_at)[:max_users]  # stable: ties keep queue order
            if not candidates:
                return Claim()
            oldest_age = (now - candidates[0].available_at).total_seconds()
            take, wait = claim_now(len(candidates), full_batch or max_users, oldest_age, window_s)
            if not take:
                return Claim(wait_s=wait)
            expires = now + timedelta(seconds=lease_s)
            users = [_lease(t, c, owner, expires, now) for c in candidates[:take]]
        return Claim(tuple(u for u in users if u is not None))

    def settle(
        self, destination_id: int, owner: str, plan: SettlePlan, versions: Mapping[str, int], now: datetime
    ) -> None:
        self.settle_many([(destination_id, plan, versions)], owner, now)

    def settle_many(
        self, plans: Sequence[tuple[int, SettlePlan, Mapping[str, int]]], owner: str, now: datetime
    ) -> None:
        with self._write() as t:
            for destination_id, plan, versions in plans:
                _settle_one(t, destination_id, owner, plan, versions, now)

    def release_users(self, destination_id: int, owner: str, users: Sequence[str], now: datetime) -> None:
        if not users:
            return
        with self._write() as t:
            refs = [(destination_id, u) for u in dict.fromkeys(users)]
            ids = [r.id for ref in refs for r in t.user_rows(ref, "in_flight") if r.lease_owner == owner]
            _mark(t, handed_back(ids), owner, now)
            for ref in refs:
                queued = t.queue.get(ref)
                if queued is not None and queued.lease_owner == owner:
                    t.queue[ref] = queued.ready(now)

    def pause(self, destination_id: int, reason: str, until: datetime | None) -> None:
        with self._write() as t:
            _pause(t, destination_id, reason, until)

    def unpause_if_expired(self, destination_id: int, now: datetime) -> None:
        with self._write() as t:
            dest = t.destinations[destination_id]
            if dest.paused_until is not None and dest.paused_until <= now:
                t.destinations[destination_id] = replace(dest, paused_reason=None, paused_until=None)

    # -- reading back ------------------------------------------------------------------------------

    def rows(self, destination_id: int | None = None) -> list[OutboxRow]:
        """Every row (of one destination), in the order they were queued."""
        return [r for r in self._tables.rows.values() if destination_id in (None, r.destination_id)]

    def row(self, item_id: str) -> OutboxRow:
        return self._tables.rows[item_id]

    def dead(self, destination_id: int | None = None) -> list[OutboxRow]:
        """The dead rows (of one destination), newest first."""
        return [r for r in reversed(self.rows(destination_id)) if r.state == "dead"]

    def queue(self, destination_id: int | None = None) -> list[QueueEntry]:
        return [q for q in self._tables.queue.values() if destination_id in (None, q.destination_id)]

    def accepted(self, destination_id: int, user_key: str) -> dict[str, Any]:
        """What the destination last accepted for the user (the dedupe record, without its times);
        {} when nothing."""
        record = self._tables.accepted.get((destination_id, user_key), {})
        return copy.deepcopy({k: v for k, v in record.items() if k != holdings.AT_KEY})

    def record(self, destination_id: int, user_key: str) -> dict[str, Any]:
        """The whole record, with the time of each key (domain/holdings.py)."""
        return copy.deepcopy(dict(self._tables.accepted.get((destination_id, user_key), {})))

    def history(self, item_id: str | None = None) -> list[AttemptEntry]:
        """The attempt log (of one row), oldest first."""
        return [a for a in self._tables.attempts if item_id in (None, a.outbox_id)]

    def month_points(self, destination_id: int, month: str) -> int:
        """Data points sent to the destination in `month` (`2026-12`)."""
        return self._tables.months.get((destination_id, month), 0)

    def counters(self, destination_id: int) -> Counters:
        return self._tables.counters.get(destination_id, Counters())

    def destination(self, destination_id: int) -> DestinationRecord:
        return self._tables.destinations[destination_id]

    def destination_ids(self) -> list[int]:
        return list(self._tables.destinations)

    def next_due(self, now: datetime) -> datetime | None:
        """The earliest moment after `now` at which a claim may find work it cannot find at `now`:
        a user's retry or settle window ending, a lease running out, a pause ending."""
        t = self._tables
        moments: list[datetime] = []
        for q in t.queue.values():
            dest = t.destinations[q.destination_id]
            if dest.paused_reason is not None:
                moments += [dest.paused_until] if dest.paused_until is not None else []
            elif q.state == "ready":
                moments.append(q.available_at)
            elif q.lease_expires_at is not None:
                moments.append(q.lease_expires_at + _AFTER)
        later = [m for m in moments if m > now]
        return min(later) if later else None


def _lease(t: Tables, candidate: QueueEntry, owner: str, expires: datetime, now: datetime) -> ClaimedUser | None:
    """Lease one ready user with every pending row, counting an attempt on each; None when no
    row is pending (recovery settled them all): the user is then forgotten."""
    ref = (candidate.destination_id, candidate.user_key)
    t.queue[ref] = replace(candidate, state="leased", lease_owner=owner, lease_expires_at=expires)
    for row in t.user_rows(ref, "pending"):
        t.rows[row.id] = replace(
            row, state="in_flight", lease_owner=owner, lease_expires_at=expires, attempts=row.attempts + 1
        )
    items = tuple(
        ClaimedItem.from_payload(r.id, r.user_key, copy.deepcopy(dict(r.payload)), r.attempts, r.created_at)
        for r in t.user_rows(ref, "in_flight")
        if r.lease_owner == owner
    )
    if not items:
        _end_leases(t, candidate.destination_id, owner, {candidate.user_key: candidate.version}, now)
        return None
    accepted = copy.deepcopy(dict(t.accepted.get(ref, {})))
    return ClaimedUser(candidate.user_key, candidate.version, items, accepted, candidate.full_resend)


def _recover_expired(
    t: Tables, destination_id: int, now: datetime, settle_window_s: float, policy: RetryPolicy
) -> None:
    expired = [
        q
        for q in t.queue.values()
        if q.destination_id == destination_id
        and q.state == "leased"
        and q.lease_expires_at is not None
        and q.lease_expires_at < now
    ][:_RECOVER_AT_ONCE]
    for queued in expired:
        owner = queued.lease_owner or ""
        ref = (destination_id, queued.user_key)
        rows = [
            LeasedRow(r.id, r.attempts, r.created_at) for r in t.user_rows(ref, "in_flight") if r.lease_owner == owner
        ]
        for mark in expired_marks(rows, policy, now):
            _mark(t, mark, owner, now)
        t.queue[ref] = queued.ready(now + timedelta(seconds=settle_window_s), full_resend=True)
    if expired:
        log.warning("recovered %d user(s) from expired leases", len(expired), extra={"action": "lease_expired"})


def _settle_one(
    t: Tables, destination_id: int, owner: str, plan: SettlePlan, versions: Mapping[str, int], now: datetime
) -> None:
    for mark in row_marks(plan):
        _mark(t, mark, owner, now)
    for user_key in plan.accepted.keys() | plan.doubt.keys():
        values, doubt = plan.accepted.get(user_key) or {}, plan.doubt.get(user_key) or ()
        if values or doubt:
            ref = (destination_id, user_key)
            record = holdings.merged(t.accepted.get(ref, {}), copy.deepcopy(dict(values)), now)
            t.accepted[ref] = holdings.forget(record, doubt) if doubt else record
    if plan.points_sent:
        month = (destination_id, month_of(now))
        t.months[month] = t.months.get(month, 0) + plan.points_sent
    if plan.points_sent or plan.points_saved or plan.health != "neutral":
        was = t.counters.get(destination_id, Counters())
        t.counters[destination_id] = Counters(
            was.requests + int(plan.health != "neutral"),
            was.points_sent + plan.points_sent,
            was.points_saved + plan.points_saved,
        )
    retried = {r.user_key: r for r in plan.retry}
    for user_key in versions.keys() & retried.keys():
        retry, ref = retried[user_key], (destination_id, user_key)
        queued = t.queue.get(ref)
        if queued is not None and queued.lease_owner == owner:
            # A failed full resend leaves Braze as unknown as before: the next send is full too.
            t.queue[ref] = queued.ready(retry.at, full_resend=True if retry.full else None)
    _end_leases(t, destination_id, owner, {u: v for u, v in versions.items() if u not in retried}, now)
    if plan.pause is not None:
        _pause(t, destination_id, plan.pause.reason, plan.pause.until)


def _end_leases(t: Tables, destination_id: int, owner: str, versions: Mapping[str, int], now: datetime) -> None:
    """Forget users when nothing was queued for them meanwhile; queue the others again at once."""
    for user_key, version in versions.items():
        ref = (destination_id, user_key)
        queued = t.queue.get(ref)
        if queued is None or queued.lease_owner != owner:
            continue
        if queued.version == version and not t.user_rows(ref, "pending"):
            del t.queue[ref]
        else:
            t.queue[ref] = queued.ready(now, full_resend=False)


def _mark(t: Tables, mark: RowMark, owner: str, now: datetime) -> None:
    ids = list(dict.fromkeys(mark.ids))
    changed = 0
    for item_id in ids:
        row = t.rows.get(item_id)
        if row is not None and row.state == "in_flight" and row.lease_owner == owner:
            t.rows[item_id] = replace(
                row,
                state=mark.state,
                lease_owner=None,
                lease_expires_at=None,
                delivered_at=now if mark.state == "delivered" else None,
                last_error=mark.error,
                attempts=row.attempts - int(mark.refund),
            )
            changed += 1
    if changed != len(ids):
        log.warning(
            "stale ack: %d of %d item(s) no longer leased by %s",
            len(ids) - changed,
            len(ids),
            owner,
            extra={"action": "stale_ack"},
        )
    t.attempts.extend(AttemptEntry(i, now, mark.outcome, mark.logged) for i in ids if i in t.rows)


def _pause(t: Tables, destination_id: int, reason: str, until: datetime | None) -> None:
    t.destinations[destination_id] = replace(t.destinations[destination_id], paused_reason=reason, paused_until=until)
