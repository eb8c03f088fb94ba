"""The delivery engine: lease users → render for the destination → batch → send (several requests in
flight) → settle each answer by a plan decided in pure code, applied in one transaction.

At-least-once: a row leaves the outbox only as delivered (Braze accepted it, or already held every
value it carries) or dead (it can never be accepted, or its retry budget is spent). Whatever goes
wrong with one object is pinned to that object. See docs/delivery.md.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from zeroparty.delivery.calls import call_braze, identify_first, log_plan, log_unexpected, remaining
from zeroparty.delivery.ports import BrazeSender, Claim, ClaimedUser, Destination, Outbox, SendResult
from zeroparty.delivery.state import DEFAULT_SETTINGS, EngineSettings, Lease, Pace, changes_of, limits_for
from zeroparty.domain.braze_payload import (
    Batch,
    NotSendable,
    Rendered,
    UserChanges,
    plan_delivery,
    render,
)
from zeroparty.domain.budget import budget_state, month_of
from zeroparty.domain.classify import classify, reset_in
from zeroparty.domain.pacing import RequestBudget
from zeroparty.domain.scrub import scrub_json
from zeroparty.domain.settle import (
    Outcome,
    Resend,
    SettleContext,
    SettlePlan,
    Unknown,
    plan_settle,
)

__all__ = ["DeliveryEngine", "EngineSettings"]

log = logging.getLogger("zeroparty.delivery")
T = TypeVar("T")


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
        # Answers waiting to be settled; one task writes whatever has gathered in one transaction.
        self._settling: list[tuple[int, SettlePlan, dict[str, int], asyncio.Future[None]]] = []
        self._settler: asyncio.Task[None] | None = None
        # One thread does the worker's storage work: on SQLite, threads of one process competing
        # for the write lock wait in its busy handler's sleeps, long after the lock is free.
        self._storage = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zeroparty-outbox")

    async def _db(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._storage, functools.partial(call, *args, **kwargs))

    def wake(self) -> None:
        """Safe to call from any thread: new rows are waiting."""
        loop = self._loop
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
        self._storage.shutdown(wait=False)

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
            batches, quiet, done = self._prepare(lease, todo)
        except Exception as exc:  # a bug: hand the users back rather than strand them until the lease ends
            log_unexpected(dest, "preparing a claim", exc)
            self._spawn(pace, self._release(lease, list(lease.users)), slot=False)
            return
        if quiet.delivered or quiet.dead:
            self._spawn(pace, self._apply(lease, quiet, done), slot=False)
        for batch in batches:
            self._spawn(pace, self._guarded(lease, pace, batch), slot=True)

    async def _guarded(self, lease: Lease, pace: Pace, batch: Batch) -> None:
        """One batch, whatever happens to it: a bug hands its users back."""
        users = [u.user.user_key for u in batch.users]
        try:
            if lease.paused:  # another batch of the claim paused the destination meanwhile
                await self._release(lease, users)
            else:
                await self._send(lease, pace, batch)
        except Exception as exc:
            log_unexpected(lease.dest, "delivering a batch", exc)
            await self._release(lease, users)

    async def _release(self, lease: Lease, users: list[str]) -> None:
        await self._db(self._outbox.release_users, lease.dest.id, self.owner, users, self._clock())

    def _prepare(
        self, lease: Lease, todo: Sequence[tuple[ClaimedUser, UserChanges, int, bool]]
    ) -> tuple[tuple[Batch, ...], SettlePlan, list[str]]:
        """Render and batch users: (batches to send, the plan for what needs no request, its users)."""
        dest = lease.dest
        rendered: list[Rendered] = []
        unsendable: list[tuple[tuple[str, ...], str]] = []
        done: list[str] = []
        for claimed, changes, strips, alone in todo:
            lease.strips[claimed.user_key] = strips
            if alone:
                lease.alone.add(claimed.user_key)
            try:
                rendered.append(render(changes, dest.settings, claimed.accepted, claimed.full))
            except NotSendable as exc:
                unsendable.append((changes.item_ids, f"cannot be sent to this destination: {exc}"))
                done.append(claimed.user_key)
        plan = plan_delivery(rendered, limits_for(dest.settings, self._settings))
        quiet = SettlePlan(
            delivered=tuple(i for u in plan.settled for i in u.item_ids),
            accepted={u.user.user_key: u.sent for u in plan.settled},
            dead=tuple(unsendable) + tuple((u.user.item_ids, u.reason) for u in plan.unsendable),
            points_saved=sum(u.points_saved for u in plan.settled),
        )
        done += [u.user.user_key for u in plan.settled] + [u.user.user.user_key for u in plan.unsendable]
        return plan.batches, quiet, done

    async def _deliver(
        self, lease: Lease, pace: Pace, todo: Sequence[tuple[ClaimedUser, UserChanges, int, bool]]
    ) -> None:
        """Resends within a batch's task: prepared the same way, sent one batch after another."""
        batches, quiet, done = self._prepare(lease, todo)
        if quiet.delivered or quiet.dead:
            await self._apply(lease, quiet, done)
        for n, batch in enumerate(batches):
            if lease.paused:  # paused by another batch of the claim: hand this one and the rest back
                await self._release(lease, [u.user.user_key for b in batches[n:] for u in b.users])
                return
            if not await self._send(lease, pace, batch):  # this answer paused it (its users handed back)
                await self._release(lease, [u.user.user_key for b in batches[n + 1 :] for u in b.users])
                return

    async def _send(self, lease: Lease, pace: Pace, batch: Batch) -> bool:
        """Send one batch, settle it, send what its answer says to send again; False once the
        destination is paused (the caller hands the rest back)."""
        dest = lease.dest
        outcome = await self._post(lease, pace, batch)
        if outcome is None:
            await self._release(lease, [u.user.user_key for u in batch.users])
            return False
        ctx = SettleContext(
            lease.rows,
            self._settings.policy,
            self._clock(),
            timedelta(seconds=self._settings.settle_window_s),
            self._rng,
            dict(lease.strips),
            frozenset(lease.alone),
            dest.settings.renames,
        )
        plan = plan_settle(batch, outcome, ctx)
        lease.learn(plan.accepted)
        if plan.pause is not None:
            lease.paused = True  # now, before settling: batches waiting for a slot must see it
        again = {r.user.user_key for r in plan.resend} | {r.user.user_key for half in plan.resend_batches for r in half}
        done = [u.user.user_key for u in batch.users if u.user.user_key not in again]
        await self._apply(lease, plan, done)
        pace.breaker.record(plan.health, self._mono())
        log_plan(dest, batch, plan)
        if plan.health == "ok" and dest.pause_expired:
            await self._db(self._outbox.unpause_if_expired, dest.id, self._clock())
        if plan.pause is not None:
            return False
        for half in plan.resend_batches:
            await self._deliver(lease, pace, [self._again(lease, r) for r in half])
        if plan.resend:
            await self._deliver(lease, pace, [self._again(lease, r) for r in plan.resend])
        return True

    def _again(self, lease: Lease, resend: Resend) -> tuple[ClaimedUser, UserChanges, int, bool]:
        return lease.users[resend.user.user_key], resend.user, resend.strips, resend.alone

    async def _apply(self, lease: Lease, plan: SettlePlan, done: Sequence[str]) -> None:
        # A note made when a field was stripped belongs to the row when the resend delivers it.
        lease.notes.update(plan.notes)
        notes = {i: lease.notes[i] for i in plan.delivered if i in lease.notes}
        plan = replace(plan, notes={**plan.notes, **notes})
        versions = {u: lease.users[u].version for u in done if u in lease.users}
        settled: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._settling.append((lease.dest.id, plan, versions, settled))
        if self._settler is None or self._settler.done():
            self._settler = asyncio.create_task(self._settle_gathered())
        await settled

    async def _settle_gathered(self) -> None:
        """Group commit: answers that arrive while a transaction is being written are settled
        together in the next one, so several requests in flight cost one fsync, not one each."""
        while self._settling:
            group, self._settling = self._settling[:64], self._settling[64:]
            try:
                plans = [(dest_id, plan, versions) for dest_id, plan, versions, _ in group]
                await self._db(self._outbox.settle_many, plans, self.owner, self._clock())
            except Exception as exc:  # each waiting batch hands its users back
                for *_, waiting in group:
                    if not waiting.done():
                        waiting.set_exception(exc)
            else:
                for *_, waiting in group:
                    if not waiting.done():
                        waiting.set_result(None)

    async def _post(self, lease: Lease, pace: Pace, batch: Batch) -> Outcome | None:
        """Braze's verdict, once a request slot is free; None when the destination was paused
        meanwhile by another batch's answer (this one then goes back unsent)."""
        async with pace.sending:
            if lease.paused:
                return None
            return await self._post_now(lease, pace, batch)

    async def _post_now(self, lease: Lease, pace: Pace, batch: Batch) -> Outcome:
        """Braze's verdict on the batch, or what kept it from one. A request never outlives its
        lease: its deadline is the lease's remaining time less a margin, at most the request timeout."""
        dest = lease.dest
        while (wait := pace.budget.wait(self._mono())) > 0:  # resends spend the budget too
            await self._sleep(wait)
        pace.budget.take(self._mono())
        left = self._settings.lease_s - (self._mono() - lease.started)
        deadline = min(self._settings.request_timeout_s, left * 0.8)
        if deadline <= 0:
            return Unknown("the lease ran out before the request could go")
        if any(u.identify is not None for u in batch.users):
            started = self._mono()
            first = await identify_first(self._sender, dest, batch, deadline / 2, self._clock)
            if first is not None:
                return first
            deadline -= self._mono() - started
        got = await call_braze(
            self._sender.post_track(dest.endpoint, dest.api_key, batch.body()), dest, deadline, "", "sending a request"
        )
        if not isinstance(got, SendResult):
            return got
        result = got
        now = self._clock()
        pace.budget.observe(remaining(result.headers), reset_in(result.headers, now.timestamp()), self._mono())
        body = scrub_json(result.body, dest.api_key)  # Braze's answers can quote the key, whole or cut short
        objects = sum(u.objects for u in batch.users)
        return classify(result.status, result.headers, body, objects, now.timestamp())
