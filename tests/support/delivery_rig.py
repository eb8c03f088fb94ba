"""The real delivery engine on fake time, over the in-memory twins and a fake Braze: what the
engine's unit tests drive. `deliver()` plays the worker's loop (claim, send, settle) and jumps the
clock to whatever comes due next (a batching window, a backoff, a settle window, a pause, the
breaker's probe), so hours of retries take milliseconds."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from tests.support.definitions import sample
from tests.support.fake_braze import FakeBraze
from tests.support.outbox_world import T0
from zeroparty.adapters.memory import MemoryCaptureStore, MemoryOutbox
from zeroparty.adapters.memory.records import OutboxRow
from zeroparty.delivery.engine import DeliveryEngine, EngineSettings
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.services.capture import CaptureService

MAX_PASSES = 5_000


class FakeTime:
    def __init__(self, start: datetime = T0) -> None:
        self._wall = start
        self._mono = 1_000.0

    def now(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._wall += timedelta(seconds=seconds)
        self._mono += seconds

    async def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.0))
        await asyncio.sleep(0)


class Rig:
    def __init__(
        self,
        settings: DestinationSettings | None = None,
        engine: EngineSettings | None = None,
        seed: int = 7,
    ) -> None:
        self.time = FakeTime()
        self.outbox = MemoryOutbox()
        self.store = MemoryCaptureStore(self.outbox)
        self.store.publish(sample(), T0)
        self.dest = self.outbox.add_destination("braze", settings=settings)
        self.capture = CaptureService(self.store, clock=self.time.now)
        self.braze = FakeBraze(self.time.now)
        self.engine = DeliveryEngine(
            self.outbox,
            self.braze,
            engine or EngineSettings(),
            clock=self.time.now,
            rng=random.Random(seed),
            monotonic=self.time.monotonic,
            sleep=self.time.sleep,
        )
        self._loop = asyncio.new_event_loop()  # one loop for the engine's whole life, as in a worker

    def close(self) -> None:
        self.engine.close()
        self._loop.close()

    # -- putting work in ---------------------------------------------------------------------------

    def respond(self, email: str, skin: str = "dry", token: str | None = None, **inputs: Any) -> str:
        """A whole skin-quiz response through the capture service (with an external id token, if
        given); its id."""
        answers = {"skin_type": skin, "skin_goals": ["hydration"], "routine_length": "short"}
        return self.capture.submit_whole("skin-quiz", answers, {"email": email, **inputs}, token).response_id

    def queue(self, email: str, attributes: dict[str, Any], **payload: Any) -> str:
        """A row put straight into the outbox, as an older version or a damaged database could
        leave it (capture refuses such values); its id."""
        [item] = self.outbox.enqueue(email, {"attributes": attributes, **payload}, self.time.now())
        return item

    # -- running the worker ------------------------------------------------------------------------

    def deliver(self, within_s: float = 86_400.0) -> None:
        """Run the worker until nothing is left to do, or nothing comes due within `within_s` of
        fake time from now (a destination paused until resumed waits for ever)."""
        self._loop.run_until_complete(self._drain(self.time.now() + timedelta(seconds=within_s)))

    def step(self) -> None:
        """One pass of the worker at the current time: claim, send, settle what is ready now."""
        self._loop.run_until_complete(self._pass())

    async def _pass(self) -> float | None:
        due = await self.engine.pump()
        await self.engine.finish()
        return due

    async def _drain(self, horizon: datetime) -> None:
        for _ in range(MAX_PASSES):
            before = (len(self.braze.calls), len(self.outbox.history()))
            due = await self._pass()
            if not any(r.state in ("pending", "in_flight") for r in self.outbox.rows()):
                return
            if (len(self.braze.calls), len(self.outbox.history())) != before:
                continue  # a request was answered or a row settled: look again at once, as a woken worker does
            now = self.time.now()
            moments = [m for m in (self.outbox.next_due(now),) if m is not None]
            if due is not None:
                moments.append(now + timedelta(seconds=max(due, 0.001)))
            if not moments or min(moments) > horizon:
                return
            self.time.advance((min(moments) - now).total_seconds())
        raise AssertionError(f"delivery still busy after {MAX_PASSES} passes: {self.states()}")

    # -- reading back ------------------------------------------------------------------------------

    def states(self) -> dict[str, int]:
        return dict(Counter(r.state for r in self.outbox.rows()))

    def rows(self) -> dict[str, OutboxRow]:
        """The rows by user (the last row of each user)."""
        return {r.user_key: r for r in self.outbox.rows()}
