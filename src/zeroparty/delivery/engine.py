"""The delivery engine: lease users → render for the destination → batch → send (several requests in
flight) → settle each answer by a plan decided in pure code, applied in one transaction.

At-least-once: a row leaves the outbox only as delivered (Braze accepted it, or already held every
value it carries) or dead (it can never be accepted, or its retry budget is spent). Whatever goes
wrong with one object is pinned to that object. See docs/delivery.md.

How a worker runs, in three modules:

    event loop (one thread)                                 storage thread (one)
    ─────────────────────────────────────────────────       ──────────────────────────────
    engine.py   pump: per destination, budget → breaker
                → free slots → claim ───────────────────────→ Outbox.claim (one transaction)
                one task per batch of the claim
    sending.py  render, batch; wait for a request slot;
                POST /users/track (httpx, on the loop);
                classify the answer; plan the settle;
                send again what the plan says ─────────────→ Outbox.settle_many: every plan
    storage.py  group commit: plans that arrive while one      gathered meanwhile, in one
                transaction is written go in the next          transaction

Only the storage thread touches the database; everything else (pacing, rendering, deciding,
HTTP) happens on the loop, so no lock is needed beyond the outbox's own transactions.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from zeroparty.delivery.calls import log_unexpected
from zeroparty.delivery.ports import BrazeSender, Claim, Destination, Outbox
from zeroparty.delivery.sending import Sending
from zeroparty.delivery.state import DEFAULT_SETTINGS, EngineSettings, Lease, Pace, changes_of
from zeroparty.delivery.storage import Storage
from zeroparty.domain.braze_payload import UserChanges
from zeroparty.domain.budget import budget_state, month_of
from zeroparty.domain.pacing import RequestBudget

__all__ = ["DeliveryEngine", "EngineSettings"]

log = logging.getLogger("zeroparty.delivery")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DeliveryEngine:
    def __init__(
        self,
        outbox: Outbox,
        sender: BrazeSender,
        settings: EngineSettings = DEFAULT_SETTINGS,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._outbox = outbox
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._mono = monotonic
        self._sleep = sleep  # with `clock` and `monotonic`, what tests replace to run on fake time
        self._rng = rng or random.Random()
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._paces: dict[int, Pace] = {}
        self._warned: set[tuple[int, str, str]] = set()  # (destination, month, level) budget warnings logged
        self._storage = Storage(outbox, self.owner, clock)
        self._db = self._storage.run
        self._sending = Sending(self._storage, sender, settings, self.owner, clock, monotonic, sleep, self._rng)

    def wake(self) -> None:
        """Safe to call from any thread: new rows are waiting."""
        loop = self._loop
        if self._wake.is_set():
            return  # woken already, and not pumped since: that pump will see these rows too
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        log.info("delivery worker %s started", self.owner, extra={"action": "worker_start"})
        while not stop.is_set():
            self._wake.clear()
            try:
                due = await self.pump()
            except Exception:  # keep the worker alive; leases make the users claimable again
                log.exception("delivery pass failed", extra={"action": "pass_error"})
                due = None
            await self._idle(
                stop, min(due, self._settings.idle_poll_s) if due is not None else self._settings.idle_poll_s
            )
        await self.finish()
        self.close()
        log.info("delivery worker %s stopped", self.owner, extra={"action": "worker_stop"})

    def close(self) -> None:
        """Let the storage thread go; call once every answer is settled (`run` does)."""
        self._storage.close()

    async def _idle(self, stop: asyncio.Event, timeout: float) -> None:
        inflight = [t for p in self._paces.values() for t in p.inflight]
        waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        await asyncio.wait([*waiters, *inflight], timeout=max(timeout, 0.001), return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()

    async def finish(self) -> None:
        """Wait for every request in flight to be answered and settled."""
        tasks = [t for p in self._paces.values() for t in p.inflight]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def pump(self) -> float | None:
        """Start every request the destinations' budgets, breakers and free slots allow; return
        seconds until something may be due (None: nothing known to be waiting)."""
        due: list[float] = []
        now = self._clock()
        for dest in await self._db(self._outbox.ready_destinations, now):
            if self._held_by_budget(dest, now):
                continue  # the idle poll looks again: a raised budget or a new month lets it go
            wait = await self._fill(dest)
            if wait is not None:
                due.append(wait)
        return min(due) if due else None

    def _held_by_budget(self, dest: Destination, now: datetime) -> bool:
        """Warn once per month at 80 % and at 100 % of the destination's data-point budget; True
        while new updates are held (over it, with over_budget: hold)."""
        state = budget_state(dest.settings, dest.month_points)
        warning = state.warning(dest.name)
        mark = (dest.id, month_of(now), state.level)
        if warning is not None and mark not in self._warned:
            self._warned.add(mark)
            log.warning(warning, extra={"action": "budget"})
        return state.holding

    def _pace(self, dest: Destination) -> Pace:
        pace = self._paces.get(dest.id)
        if pace is None or (pace.budget.rate, pace.slots) != (
            dest.settings.requests_per_second,
            dest.settings.max_in_flight,
        ):
            pace = Pace(
                RequestBudget(dest.settings.requests_per_second),
                inflight=pace.inflight if pace else set(),
                sending=asyncio.Semaphore(dest.settings.max_in_flight),
                slots=dest.settings.max_in_flight,
            )
            self._paces[dest.id] = pace
        return pace

    async def _fill(self, dest: Destination) -> float | None:
        """Claim and start requests for `dest` while slots are free; seconds until something is due.
        One claim fills every free slot: a transaction per batch would cost more than the batch."""
        pace = self._pace(dest)
        # Twice the requests in flight are claimed, so the next batch is ready the moment a request
        # ends (claiming and settling never leave a slot idle); `_post` holds the in-flight limit.
        probing = pace.breaker.state != "closed"
        limit = 1 if probing else 2 * dest.settings.max_in_flight
        while (free := limit - pace.busy) > 0:
            now_m = self._mono()
            wait = pace.budget.wait(now_m)
            if wait > 0:
                return wait
            if not pace.breaker.allows(now_m):
                return pace.breaker.retry_in(now_m) or None
            # A probe of a destination that keeps failing is one request carrying one user.
            claim = await self._claim(dest, free, probe=probing)
            if not claim.users:
                pace.breaker.probing = False  # nothing to probe with
                return claim.wait_s
            self._launch(dest, pace, claim)
        return None

    def _spawn(self, pace: Pace, work: Coroutine[Any, Any, None], *, slot: bool) -> None:
        if slot:
            pace.busy += 1
        task = asyncio.create_task(work)
        pace.inflight.add(task)
        task.add_done_callback(pace.inflight.discard)
        if slot:
            task.add_done_callback(lambda _t: setattr(pace, "busy", pace.busy - 1))

    async def _claim(self, dest: Destination, slots: int, *, probe: bool = False) -> Claim:
        s = self._settings
        return await self._db(
            self._outbox.claim,
            dest.id,
            self.owner,
            1 if probe else dest.settings.max_objects * slots,
            s.lease_s,
            self._clock(),
            window_s=s.batch_window_s,
            settle_window_s=s.settle_window_s,
            policy=s.policy,
            full_batch=1 if probe else dest.settings.max_objects,
        )

    # -- one claim ---------------------------------------------------------------------------------

    def _launch(self, dest: Destination, pace: Pace, claim: Claim) -> None:
        """Start one task per batch of the claim (and one to settle what needs no request)."""
        lease = Lease.of(dest, claim.users, self._clock(), self._mono())
        todo = [(u, UserChanges(u.user_key, changes_of(u)), 0, False) for u in lease.users.values()]
        try:
            batches, quiet, done = self._sending.prepare(lease, todo)
        except Exception as exc:  # a bug: hand the users back rather than strand them until the lease ends
            log_unexpected(dest, "preparing a claim", exc)
            self._spawn(pace, self._sending.release(lease, list(lease.users)), slot=False)
            return
        if quiet.delivered or quiet.dead:
            self._spawn(pace, self._sending.apply(lease, quiet, done), slot=False)
        for batch in batches:
            self._spawn(pace, self._sending.guarded(lease, pace, batch), slot=True)
