"""Group commit for capture writes: one writer thread runs the submits that arrive while it is busy
in one transaction, each inside a savepoint of its own, and commits them together.

Why: with `synchronous=FULL` every commit is an fsync, and on SQLite the threads of one process
that compete for the write lock wait in its busy handler's sleeps (1 to 100 ms each) long after the
lock is free; under 16 concurrent submits that waiting was nine tenths of a submit's time
(docs/capture.md). One writer never waits for itself, and one fsync covers a
whole group. A submit is acknowledged only after its group's commit returns, so what is
acknowledged is as durable as before; a submit that fails rolls back to its savepoint, so it
changes nothing and the others in its group still commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")
GROUP = 64  # submits per transaction at most: bounds how long one commit holds the others
LINGER_S = 1.0  # how long an idle writer thread waits for more work before it ends


@dataclass
class _Job(Generic[T]):
    work: Callable[[Connection], T]
    done: Future[T] = field(default_factory=Future)


class GroupCommit:
    def __init__(self, engine: Engine, group: int = GROUP) -> None:
        self._engine = engine
        self._group = group
        self._cond = threading.Condition()
        self._waiting: list[_Job[Any]] = []
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

    def run(self, work: Callable[[Connection], T]) -> T:
        """`work(conn)` inside the next group transaction; its result once that has committed, or
        the exception it raised (its own writes undone), or the commit's."""
        job: _Job[T] = _Job(work)
        with self._cond:
            self._unanswered += 1
            self._waiting.append(job)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="zeroparty-capture", daemon=True)
                self._writer.start()
            self._cond.notify()
        return job.done.result()

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

    def _write(self, group: list[_Job[Any]]) -> None:
        outcomes: list[tuple[_Job[Any], Any, BaseException | None]] = []
        try:
            with self._engine.begin() as conn:
                for job in group:
                    outcomes.append(_in_savepoint(conn, job) if len(group) > 1 else _alone(conn, job))
                if len(group) == 1 and outcomes[0][2] is not None:
                    raise outcomes[0][2]  # alone: its failure rolls the whole transaction back
        except BaseException as exc:  # not raised on: the writer must live on for the next submits
            for job in group:
                own = next((o[2] for o in outcomes if o[0] is job and o[2] is not None), None)
                job.done.set_exception(own or exc)
            return
        for job, result, failed in outcomes:
            if failed is None:
                job.done.set_result(result)
            else:
                job.done.set_exception(failed)


def _alone(conn: Connection, job: _Job[Any]) -> tuple[_Job[Any], Any, BaseException | None]:
    try:
        return job, job.work(conn), None
    except Exception as exc:
        return job, None, exc


def _in_savepoint(conn: Connection, job: _Job[Any]) -> tuple[_Job[Any], Any, BaseException | None]:
    savepoint = conn.begin_nested()
    try:
        result = job.work(conn)
    except Exception as exc:
        savepoint.rollback()  # if this fails, the whole group fails: nothing of it was committed
        return job, None, exc
    savepoint.commit()
    return job, result, None
