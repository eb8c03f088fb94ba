"""The delivery engine: claim → coalesce per user → batch → send → classify → ack.

At-least-once: an item leaves the outbox only after Braze accepted it (delivered) or after its
retry budget is spent or Braze rejected it for good (dead). See docs/delivery.md.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from zeroparty.delivery.ports import BrazeSender, ClaimedItem, Destination, Outbox
from zeroparty.domain.braze_payload import Batch, BrazeLimits, Change, coalesce, plan_batches
from zeroparty.domain.classify import Accepted, AuthFailed, RateLimited, Rejected, Transient, classify
from zeroparty.domain.retry import RetryPolicy
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


def _scrubbed(body: Any, api_key: str) -> Any:
    """Braze's 401 message can quote the key it refused; keep it out of stored errors and logs."""
    if isinstance(body, dict) and isinstance(body.get("message"), str) and api_key:
        return {**body, "message": body["message"].replace(api_key, "[redacted]")}
    return body


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
            )
            if not items:
                continue
            handled += len(items)
            changes = [Change(i.id, i.user_key, i.attributes) for i in items]
            by_id = {i.id: i for i in items}
            batches = plan_batches(coalesce(changes), self._settings.limits)
            for n, batch in enumerate(batches):
                if not await self._deliver(dest, batch, by_id):
                    # The destination was paused: hand the rest back without using their attempt.
                    rest = [i for b in batches[n + 1 :] for i in b.item_ids()]
                    if rest:
                        await asyncio.to_thread(
                            self._outbox.release, rest, self.owner, "destination paused", self._clock()
                        )
                    break
        return handled

    async def _deliver(self, dest: Destination, batch: Batch, by_id: dict[str, ClaimedItem]) -> bool:
        """Send one batch and settle its items; False when the destination is now paused."""
        body = batch.body()
        try:
            result = await self._sender.post_track(dest.endpoint, dest.api_key, body)
        except RetryableDeliveryError as exc:
            await self._schedule_retry(batch, by_id, str(exc))
            return True
        except TerminalDeliveryError as exc:
            await self._pause(dest, batch.item_ids(), f"{exc}; fix the destination, then resume")
            return False
        now = self._clock()
        verdict = classify(
            result.status, result.headers, _scrubbed(result.body, dest.api_key), len(batch.objects), now.timestamp()
        )
        ids = batch.item_ids()
        if isinstance(verdict, Accepted):
            failed_ids = {i for idx, o in enumerate(batch.objects) if idx in verdict.failed for i in o.item_ids}
            ok_ids = [i for i in ids if i not in failed_ids]
            if ok_ids:
                await asyncio.to_thread(self._outbox.delivered, ok_ids, self.owner, now, result.status)
                if dest.pause_expired:
                    await asyncio.to_thread(self._outbox.unpause_if_expired, dest.id, now)
            for idx, obj in enumerate(batch.objects):
                if idx in verdict.failed:
                    reason = f"Braze rejected this profile update: {verdict.failed[idx]}"
                    await asyncio.to_thread(self._outbox.dead, list(obj.item_ids), self.owner, reason, now)
            log.info("delivered %d item(s) to %s", len(ok_ids), dest.name, extra={"action": "delivered"})
        elif isinstance(verdict, Rejected):
            if not verdict.splittable:
                await asyncio.to_thread(self._outbox.dead, ids, self.owner, verdict.reason, now)
                return True
            half = len(batch.objects) // 2
            first, second = Batch(batch.objects[:half]), Batch(batch.objects[half:])
            if await self._deliver(dest, first, by_id):
                return await self._deliver(dest, second, by_id)
            await asyncio.to_thread(self._outbox.release, second.item_ids(), self.owner, "destination paused", now)
            return False
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
            await self._schedule_retry(batch, by_id, verdict.reason)
        return True

    async def _pause(self, dest: Destination, ids: list[str], reason: str) -> None:
        """Every item would fail the same way: stop sending to this destination until resumed."""
        log.error("pausing %s: %s", dest.name, reason, extra={"action": "destination_paused"})
        await asyncio.to_thread(self._outbox.pause, dest.id, reason, None)
        await asyncio.to_thread(self._outbox.release, ids, self.owner, reason, self._clock())

    async def _schedule_retry(self, batch: Batch, by_id: dict[str, ClaimedItem], error: str) -> None:
        now = self._clock()
        policy = self._settings.policy
        for item_id in batch.item_ids():
            item = by_id[item_id]
            if policy.exhausted(item.attempts, item.created_at, now):
                await asyncio.to_thread(self._outbox.dead, [item_id], self.owner, f"retries exhausted: {error}", now)
            else:
                at = now + timedelta(seconds=policy.backoff(item.attempts, self._rng))
                await asyncio.to_thread(self._outbox.retry_at, [item_id], self.owner, at, error, now)
        log.warning("delivery failed, will retry: %s", error, extra={"action": "retry_scheduled"})
