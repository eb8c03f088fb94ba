"""Group commit for capture writes: one writer thread runs the submits that arrive while it is busy
in one transaction, and commits them together.

Why: with `synchronous=FULL` every commit is an fsync, and on SQLite the threads of one process
that compete for the write lock wait in its busy handler's sleeps (1 to 100 ms each) long after the
lock is free; under 16 concurrent submits that waiting was nine tenths of a submit's time
(docs/capture.md). One writer never waits for itself, and one fsync covers a whole group.

The submits of a group share one unit (`Unit`), which holds their writes back and writes them
together at the end (adapters/db/capture_writes.py). A submit that fails has its held writes
dropped, so it changes nothing and the others still commit. When that cannot be done (some of its
writes already reached the database, or writing the group's failed), the transaction is rolled
back and each submit of the group runs again in a transaction of its own, so each gets its own
result. A submit is acknowledged only after its transaction's commit returns, so what is
acknowledged is as durable as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")
U = TypeVar("U", bound="Unit")
GROUP = 64  # submits per transaction at most: bounds how long one commit holds the others
LINGER_S = 1.0  # how long an idle writer thread waits for more work before it ends


class Unit(Protocol):
    """What the submits of one transaction share."""

    def start_job(self) -> None:
        """A submit begins: what is held from now on is its own."""

    def drop_job(self) -> bool:
        """The submit failed: forget what it holds. False when that cannot undo it (some of its
        writes reached the database, or a write of the group failed)."""

    def flush(self) -> None:
        """Write everything held."""


@dataclass
class _Job(Generic[U, T]):
    work: Callable[[U], T]
    done: Future[T] = field(default_factory=Future)  # a thread's (`run`)
    waiting: asyncio.Future[T] | None = None  # an event loop's (`run_async`)


_Outcome = tuple[_Job[Any, Any], Any, BaseException | None]  # a job, and its result or its exception


def _answer(answers: list[_Outcome]) -> None:
    """Each job's result or exception, to the thread or event loop waiting for it: one wake-up per
    loop for the whole group, not one per submit."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = {}
    for job, result, failed in answers:
        if job.waiting is None:
            if failed is None:
                job.done.set_result(result)
            else:
                job.done.set_exception(failed)
        else:
            by_loop.setdefault(job.waiting.get_loop(), []).append((job.waiting, result, failed))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop was closed meanwhile: nobody waits any more
            loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for waiting, result, failed in settled:
        if waiting.done():  # cancelled: its request went away
            continue
        if failed is None:
            waiting.set_result(result)
        else:
            waiting.set_exception(failed)


class _Redo(Exception):
    """The group's transaction was rolled back before its commit: each submit runs again alone."""


class GroupCommit(Generic[U]):
    def __init__(self, engine: Engine, open_unit: Callable[[Connection], U], group: int = GROUP) -> None:
        self._engine = engine
        self._open_unit = open_unit
        self._group = group
        self._cond = threading.Condition()
        self._waiting: list[_Job[U, Any]] = []
        self._writer: threading.Thread | None = None
        self._writing = False
        self._unanswered = 0

    def unanswered(self) -> int:
        """Submits not answered yet: queued, or in the transaction being written."""
        with self._cond:
            return self._unanswered

    def busy(self) -> bool:
        """Whether a transaction is being written now."""
        return self._writing

    def run(self, work: Callable[[U], T]) -> T:
        """`work(unit)` inside the next group transaction; its result once that has committed, or
        the exception it raised (its own writes undone), or the commit's."""
        job: _Job[U, T] = _Job(work)
        self._queue(job)
        return job.done.result()

    async def run_async(self, work: Callable[[U], T]) -> T:
        """`run` for a coroutine: the event loop goes on meanwhile, no thread of its own waits."""
        job: _Job[U, T] = _Job(work, waiting=asyncio.get_running_loop().create_future())
        self._queue(job)
        assert job.waiting is not None
        return await job.waiting

    def _queue(self, job: _Job[U, Any]) -> None:
        with self._cond:
            self._unanswered += 1
            self._waiting.append(job)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="zeroparty-capture", daemon=True)
                self._writer.start()
            self._cond.notify()

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                if not self._waiting:
                    self._cond.wait(LINGER_S)
                if not self._waiting:
                    self._writer = None  # a later `run` starts a new one
                    return
                group, self._waiting = self._waiting[: self._group], self._waiting[self._group :]
                self._writing = True
            try:
                self._write(group)
            finally:
                with self._cond:
                    self._writing = False
                    self._unanswered -= len(group)

    def _write(self, group: list[_Job[U, Any]]) -> None:
        if len(group) > 1:
            try:
                outcomes = self._together(group)
            except _Redo:
                pass  # rolled back: each runs alone below
            except BaseException as exc:  # the commit failed: not raised, the writer must live on
                _answer([(job, None, exc) for job in group])
                return
            else:
                _answer(outcomes)
                return
        _answer([self._alone(job) for job in group])

    def _together(self, group: list[_Job[U, Any]]) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        with self._engine.begin() as conn:
            unit = self._open_unit(conn)
            for job in group:
                unit.start_job()
                try:
                    outcomes.append((job, job.work(unit), None))
                except Exception as exc:
                    if not unit.drop_job():
                        raise _Redo from exc
                    outcomes.append((job, None, exc))
            try:
                unit.flush()
            except Exception as exc:
                raise _Redo from exc
        return outcomes

    def _alone(self, job: _Job[U, Any]) -> _Outcome:
        try:
            with self._engine.begin() as conn:  # a failure rolls the whole transaction back
                unit = self._open_unit(conn)
                unit.start_job()
                result = job.work(unit)
                unit.flush()
        except BaseException as exc:  # not raised: the writer must live on for the next submits
            return job, None, exc
        return job, result, None
