"""One claim's send-and-settle: render and batch the leased users, send each batch when a request
slot is free, classify Braze's answer, settle it by the plan `domain/settle.py` decides, and send
again what the plan says to send again (a stripped object, rows one by one, halves of a batch),
all within the claim's lease. Runs on the worker's event loop; every storage call goes through
the storage thread (`storage.py`)."""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from zeroparty.delivery.calls import call_braze, identify_first, log_plan, log_unexpected, remaining
from zeroparty.delivery.ports import BrazeSender, ClaimedUser, SendResult
from zeroparty.delivery.state import EngineSettings, Lease, Pace, limits_for
from zeroparty.delivery.storage import Storage
from zeroparty.domain.answer_table import plan_settle
from zeroparty.domain.braze_payload import Batch, NotSendable, Rendered, UserChanges, plan_delivery, render
from zeroparty.domain.classify import classify, reset_in
from zeroparty.domain.scrub import scrub_json
from zeroparty.domain.settle import Outcome, Resend, SettleContext, SettlePlan, Unknown
from zeroparty.domain.verify import TRACK

log = logging.getLogger("zeroparty.delivery")
Todo = tuple[ClaimedUser, UserChanges, int, bool]  # a user, the changes to send, fields stripped, rows alone


class Sending:
    """What one worker needs to send a claim's batches and settle Braze's answers."""

    def __init__(
        self,
        storage: Storage,
        sender: BrazeSender,
        settings: EngineSettings,
        owner: str,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        rng: random.Random,
    ) -> None:
        self._storage = storage
        self._sender = sender
        self._settings = settings
        self.owner = owner
        self._clock = clock
        self._mono = monotonic
        self._sleep = sleep
        self._rng = rng

    async def guarded(self, lease: Lease, pace: Pace, batch: Batch) -> None:
        """One batch, whatever happens to it: a bug hands its users back."""
        users = [u.user.user_key for u in batch.users]
        try:
            if lease.paused:  # another batch of the claim paused the destination meanwhile
                await self.release(lease, users)
            else:
                await self._send(lease, pace, batch)
        except Exception as exc:
            log_unexpected(lease.dest, "delivering a batch", exc)
            await self.release(lease, users)

    async def release(self, lease: Lease, users: list[str]) -> None:
        await self._storage.run(self._storage.outbox.release_users, lease.dest.id, self.owner, users, self._clock())

    def prepare(self, lease: Lease, todo: Sequence[Todo]) -> tuple[tuple[Batch, ...], SettlePlan, list[str]]:
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

    async def _deliver(self, lease: Lease, pace: Pace, todo: Sequence[Todo]) -> None:
        """Resends within a batch's task: prepared the same way, sent one batch after another."""
        batches, quiet, done = self.prepare(lease, todo)
        if quiet.delivered or quiet.dead:
            await self.apply(lease, quiet, done)
        for n, batch in enumerate(batches):
            if lease.paused:  # paused by another batch of the claim: hand this one and the rest back
                await self.release(lease, [u.user.user_key for b in batches[n:] for u in b.users])
                return
            if not await self._send(lease, pace, batch):  # this answer paused it (its users handed back)
                await self.release(lease, [u.user.user_key for b in batches[n + 1 :] for u in b.users])
                return

    async def _send(self, lease: Lease, pace: Pace, batch: Batch) -> bool:
        """Send one batch, settle it, send what its answer says to send again; False once the
        destination is paused (the caller hands the rest back)."""
        dest = lease.dest
        outcome = await self._post(lease, pace, batch)
        if outcome is None:
            await self.release(lease, [u.user.user_key for u in batch.users])
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
        if plan.resend or plan.resend_batches:  # only a resend within this lease reads what it learns
            lease.learn(plan.accepted)
        if plan.pause is not None:
            lease.paused = True  # now, before settling: batches waiting for a slot must see it
        again = {r.user.user_key for r in plan.resend} | {r.user.user_key for half in plan.resend_batches for r in half}
        done = [u.user.user_key for u in batch.users if u.user.user_key not in again]
        await self.apply(lease, plan, done)
        pace.breaker.record(plan.health, self._mono())
        log_plan(dest, batch, plan)
        if plan.health == "ok" and dest.pause_expired:
            await self._storage.run(self._storage.outbox.unpause_if_expired, dest.id, self._clock())
        if plan.pause is not None:
            return False
        for half in plan.resend_batches:
            await self._deliver(lease, pace, [self._again(lease, r) for r in half])
        if plan.resend:
            await self._deliver(lease, pace, [self._again(lease, r) for r in plan.resend])
        return True

    def _again(self, lease: Lease, resend: Resend) -> Todo:
        return lease.users[resend.user.user_key], resend.user, resend.strips, resend.alone

    async def apply(self, lease: Lease, plan: SettlePlan, done: Sequence[str]) -> None:
        """Settle `plan` (group commit); the users in `done` are done with and their lease ends."""
        # A note made when a field was stripped belongs to the row when the resend delivers it.
        lease.notes.update(plan.notes)
        notes = {i: lease.notes[i] for i in plan.delivered if i in lease.notes}
        plan = replace(plan, notes={**plan.notes, **notes})
        versions = {u: lease.users[u].version for u in done if u in lease.users}
        await self._storage.settle(lease.dest.id, plan, versions)

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
        return classify(result.status, result.headers, body, objects, now.timestamp(), TRACK.path)
