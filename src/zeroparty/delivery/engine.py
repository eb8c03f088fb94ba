"""The delivery engine: claim → coalesce per user → plan → send → classify → ack.

At-least-once: an item leaves the outbox only after Braze accepted it (delivered) or after its
retry budget is spent or it can never be accepted (dead). Whatever goes wrong with one object is
pinned to that object; every other object of the claim is still delivered. See docs/delivery.md.
"""

from __future__ import annotations

import asyncio
import logging
import random
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from zeroparty.delivery.ports import BrazeSender, ClaimedItem, Destination, Outbox, SendResult
from zeroparty.domain.braze_payload import (
    Batch,
    BrazeLimits,
    Change,
    DeliveryPlan,
    Unsendable,
    UserObject,
    coalesce,
    plan_delivery,
)
from zeroparty.domain.classify import Accepted, AuthFailed, RateLimited, Rejected, Transient, classify
from zeroparty.domain.retry import RetryPolicy
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.errors import RetryableDeliveryError, TerminalDeliveryError

log = logging.getLogger("zeroparty.delivery")


@dataclass(frozen=True)
class EngineSettings:
    lease_s: float = 60.0
    idle_poll_s: float = 1.0
    limits: BrazeLimits = BrazeLimits()
    policy: RetryPolicy = RetryPolicy()


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Broken:
    """An object whose planning failed in a way the planner does not know: retried, not dead."""

    obj: UserObject
    error: Exception


class DeliveryEngine:
    def __init__(
        self,
        outbox: Outbox,
        sender: BrazeSender,
        settings: EngineSettings = EngineSettings(),
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self._outbox = outbox
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._rng = rng or random.Random()
        self.owner = f"worker-{uuid.uuid4().hex[:12]}"
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._traceback_logged = False  # one traceback per claim: a systemic bug must not flood the log

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
                handled = await self.drain_once()
            except Exception:  # keep the worker alive; the lease makes the rows claimable again
                log.exception("delivery pass failed", extra={"action": "pass_error"})
                handled = 0
            if handled == 0:
                waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
                await asyncio.wait(waiters, timeout=self._settings.idle_poll_s, return_when=asyncio.FIRST_COMPLETED)
                for w in waiters:
                    w.cancel()
        log.info("delivery worker %s stopped", self.owner, extra={"action": "worker_stop"})

    async def drain_once(self) -> int:
        """One pass over every ready destination; returns how many items were handled."""
        handled = 0
        for dest in await asyncio.to_thread(self._outbox.ready_destinations, self._clock()):
            items = await asyncio.to_thread(
                self._outbox.claim,
                dest.id,
                self.owner,
                self._settings.limits.max_objects,
                self._settings.lease_s,
                self._clock(),
                self._settings.policy,
            )
            if items:
                handled += len(items)
                await self._deliver_claim(dest, items)
        return handled

    async def _deliver_claim(self, dest: Destination, items: list[ClaimedItem]) -> None:
        """Settle every claimed item, whatever happens to any one of them."""
        self._traceback_logged = False
        by_id = {i.id: i for i in items}
        plan, broken = self._plan(dest, coalesce(Change(i.id, i.user_key, i.attributes) for i in items))
        for bad in plan.unsendable:
            await self._dead_letter(dest, bad)
        for b in broken:
            reason = f"unexpected error while preparing the request ({type(b.error).__name__}); see the worker log"
            await self._schedule_retry(b.obj.item_ids, by_id, reason)
        for n, batch in enumerate(plan.batches):
            try:
                going_on = await self._deliver(dest, batch, by_id)
            except Exception as exc:  # a bug while settling: retry what is left rather than strand it in flight
                self._log_unexpected(dest, "settling a batch", exc)
                reason = f"unexpected error while settling the request ({type(exc).__name__}); see the worker log"
                await self._schedule_retry(batch.item_ids(), by_id, reason)
                continue
            if not going_on:
                # The destination was paused: hand the rest back without using their attempt.
                rest = [i for b in plan.batches[n + 1 :] for i in b.item_ids()]
                if rest:
                    await asyncio.to_thread(self._outbox.release, rest, self.owner, "destination paused", self._clock())
                break

    def _plan(self, dest: Destination, objects: list[UserObject]) -> tuple[DeliveryPlan, list[_Broken]]:
        try:
            return plan_delivery(objects, self._settings.limits), []
        except Exception as exc:  # the planner met something it does not know: find the object, spare the rest
            self._log_unexpected(dest, "planning a request", exc)
        plannable: list[UserObject] = []
        unsendable: list[Unsendable] = []
        broken: list[_Broken] = []
        for obj in objects:
            try:
                alone = plan_delivery([obj], self._settings.limits)
            except Exception as exc:
                broken.append(_Broken(obj, exc))
                continue
            unsendable.extend(alone.unsendable)
            if not alone.unsendable:
                plannable.append(obj)
        plan = plan_delivery(plannable, self._settings.limits)
        return DeliveryPlan(plan.batches, (*plan.unsendable, *unsendable)), broken

    async def _dead_letter(self, dest: Destination, bad: Unsendable) -> None:
        log.error(
            "dead-lettering %d item(s) for %s: %s",
            len(bad.obj.item_ids),
            dest.name,
            bad.reason,
            extra={"action": "unsendable"},
        )
        await asyncio.to_thread(self._outbox.dead, list(bad.obj.item_ids), self.owner, bad.reason, self._clock())

    async def _deliver(self, dest: Destination, batch: Batch, by_id: dict[str, ClaimedItem]) -> bool:
        """Send one batch and settle its items; False when the destination is now paused."""
        try:
            result = await self._sender.post_track(dest.endpoint, dest.api_key, batch.body())
        except RetryableDeliveryError as exc:
            await self._schedule_retry(batch.item_ids(), by_id, scrub(str(exc), dest.api_key))
            return True
        except TerminalDeliveryError as exc:
            reason = f"{scrub(str(exc), dest.api_key)}; fix the destination, then resume"
            await self._pause(dest, batch.item_ids(), reason)
            return False
        except Exception as exc:  # nothing the sender knows of: pin it on the object that causes it
            self._log_unexpected(dest, "sending a request", exc)
            if len(batch.objects) > 1:
                return await self._split(dest, batch, by_id)
            reason = f"unexpected error while sending ({type(exc).__name__}); see the worker log"
            await self._schedule_retry(batch.item_ids(), by_id, reason)
            return True
        return await self._settle(dest, batch, by_id, result)

    async def _settle(self, dest: Destination, batch: Batch, by_id: dict[str, ClaimedItem], result: SendResult) -> bool:
        now = self._clock()
        # Braze's answers can quote the key it refused, whole or cut short: keep it out of the outbox and logs.
        body = scrub_json(result.body, dest.api_key)
        verdict = classify(result.status, result.headers, body, len(batch.objects), now.timestamp())
        ids = batch.item_ids()
        if isinstance(verdict, Accepted):
            await self._accepted(dest, batch, verdict, now, result.status)
        elif isinstance(verdict, Rejected):
            if verdict.splittable:
                return await self._split(dest, batch, by_id)
            await asyncio.to_thread(self._outbox.dead, ids, self.owner, verdict.reason, now)
        elif isinstance(verdict, AuthFailed):
            await self._pause(dest, ids, f"Braze refused the API key ({verdict.reason}); update the key, then resume")
            return False
        elif isinstance(verdict, RateLimited):
            until = now + timedelta(seconds=verdict.wait_s)
            log.warning("rate limited by %s for %.1fs", dest.name, verdict.wait_s, extra={"action": "rate_limited"})
            await asyncio.to_thread(self._outbox.pause, dest.id, f"rate limited ({verdict.reason})", until)
            await asyncio.to_thread(self._outbox.release, ids, self.owner, verdict.reason, now)
            return False
        elif isinstance(verdict, Transient):
            await self._schedule_retry(ids, by_id, verdict.reason)
        return True

    async def _accepted(self, dest: Destination, batch: Batch, verdict: Accepted, now: datetime, status: int) -> None:
        failed_ids = {i for idx, o in enumerate(batch.objects) if idx in verdict.failed for i in o.item_ids}
        ok_ids = [i for i in batch.item_ids() if i not in failed_ids]
        if ok_ids:
            await asyncio.to_thread(self._outbox.delivered, ok_ids, self.owner, now, status)
            if dest.pause_expired:
                await asyncio.to_thread(self._outbox.unpause_if_expired, dest.id, now)
        for idx, obj in enumerate(batch.objects):
            if idx in verdict.failed:
                reason = f"Braze rejected this profile update: {verdict.failed[idx]}"
                await asyncio.to_thread(self._outbox.dead, list(obj.item_ids), self.owner, reason, now)
        log.info("delivered %d item(s) to %s", len(ok_ids), dest.name, extra={"action": "delivered"})

    async def _split(self, dest: Destination, batch: Batch, by_id: dict[str, ClaimedItem]) -> bool:
        """Send each half on its own, isolating the object that spoils the batch."""
        half = len(batch.objects) // 2
        first, second = Batch(batch.objects[:half]), Batch(batch.objects[half:])
        if await self._deliver(dest, first, by_id):
            return await self._deliver(dest, second, by_id)
        await asyncio.to_thread(
            self._outbox.release, second.item_ids(), self.owner, "destination paused", self._clock()
        )
        return False

    async def _pause(self, dest: Destination, ids: list[str], reason: str) -> None:
        """Every item would fail the same way: stop sending to this destination until resumed."""
        log.error("pausing %s: %s", dest.name, reason, extra={"action": "destination_paused"})
        await asyncio.to_thread(self._outbox.pause, dest.id, reason, None)
        await asyncio.to_thread(self._outbox.release, ids, self.owner, reason, self._clock())

    async def _schedule_retry(self, ids: Sequence[str], by_id: dict[str, ClaimedItem], error: str) -> None:
        now = self._clock()
        policy = self._settings.policy
        for item_id in ids:
            item = by_id[item_id]
            if policy.exhausted(item.attempts, item.created_at, now):
                await asyncio.to_thread(self._outbox.dead, [item_id], self.owner, f"retries exhausted: {error}", now)
            else:
                at = now + timedelta(seconds=policy.backoff(item.attempts, self._rng))
                await asyncio.to_thread(self._outbox.retry_at, [item_id], self.owner, at, error, now)
        log.warning("delivery failed, will retry: %s", error, extra={"action": "retry_scheduled"})

    def _log_unexpected(self, dest: Destination, doing: str, exc: Exception) -> None:
        # The exception's text may quote data or whatever the transport saw: scrub it like Braze's answers.
        if self._traceback_logged:
            log.error("unexpected %s while %s for %s", type(exc).__name__, doing, dest.name)
            return
        self._traceback_logged = True
        text = scrub("".join(traceback.format_exception(exc)), dest.api_key)
        log.error("unexpected error while %s for %s:\n%s", doing, dest.name, text, extra={"action": "unexpected"})
