"""The worker's storage thread: every outbox call of a worker runs on this one thread, and the
answers settled meanwhile are written together (group commit).

One thread, not a pool: on SQLite, threads of one process competing for the write lock wait in
its busy handler's sleeps long after the lock is free. Group commit: answers that arrive while a
transaction is being written are settled together in the next one, so several requests in flight
cost one fsync, not one each.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from zeroparty.delivery.ports import Outbox
from zeroparty.domain.settle import SettlePlan

T = TypeVar("T")
GROUP = 64  # plans per transaction at most


class Storage:
    def __init__(self, outbox: Outbox, owner: str, clock: Callable[[], datetime]) -> None:
        self.outbox = outbox
        self._owner = owner
        self._clock = clock
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zeroparty-outbox")
        self._waiting: list[tuple[int, SettlePlan, Mapping[str, int], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`call(*args, **kwargs)` on the storage thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, functools.partial(call, *args, **kwargs))

    async def settle(self, destination_id: int, plan: SettlePlan, versions: Mapping[str, int]) -> None:
        """Apply `plan` in the next group transaction; returns once it is written (raises if it failed)."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((destination_id, plan, versions, written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_gathered())
        await written

    async def _write_gathered(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[:GROUP], self._waiting[GROUP:]
            try:
                plans = [(dest_id, plan, versions) for dest_id, plan, versions, _ in group]
                await self.run(self.outbox.settle_many, plans, self._owner, self._clock())
            except Exception as exc:  # each waiting batch hands its users back
                for *_, waiting in group:
                    if not waiting.done():
                        waiting.set_exception(exc)
            else:
                for *_, waiting in group:
                    if not waiting.done():
                        waiting.set_result(None)

    def close(self) -> None:
        """Let the thread go; call once every answer is settled."""
        self._thread.shutdown(wait=False)
