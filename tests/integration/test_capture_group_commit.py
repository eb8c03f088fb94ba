"""Group commit of capture writes on a real SQLite file (and PostgreSQL for the savepoints): submits
that arrive while a transaction is being written share the next one; every one acknowledged is
stored; one that fails gets its own error, changes nothing, and the others in its group stand."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.support.capture_world import SqlCaptureWorld
from tests.support.databases import database_url
from tests.support.definitions import sample
from tests.support.outbox_world import T0
from tests.support.stack import Stack
from zeroparty.adapters.db.capture import SqlCaptureStore, SqlCaptureUnit
from zeroparty.adapters.db.engine import create_engine, sqlite_dbapi
from zeroparty.errors import InvalidInput
from zeroparty.services.capture import CaptureService
from zeroparty.services.capture_results import Submitted
from zeroparty.services.ports import ResponseExists, ResponseWrite

HALF_WAY = "00000000-0000-4000-8000-00000000000f"
ANSWERS = {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"}


def inputs(email: str) -> dict[str, Any]:
    return {"email": email, "first_name": "Kim", "marketing_opt_in": True}


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlCaptureWorld]:
    with database_url(request.param, tmp_path) as url:
        w = SqlCaptureWorld(url, tmp_path)
        w.publish(sample())
        w.add_destination("d")
        yield w
        w.engine.dispose()


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[SqlCaptureWorld]:
    w = SqlCaptureWorld(f"sqlite:///{tmp_path / 'zeroparty.db'}", tmp_path)
    w.publish(sample())
    w.add_destination("d")
    yield w
    w.engine.dispose()


def half_way(version_id: int) -> ResponseWrite:
    return ResponseWrite(
        response_id=HALF_WAY,
        version_id=version_id,
        channel="page",
        is_new=True,
        answers={"skin_type": ("skin", "dry")},
        email="half@example.com",
        outcome_id=None,
        completed=False,
        changes={"skin_type": "dry"},
    )


def store_of(w: SqlCaptureWorld) -> SqlCaptureStore:
    assert isinstance(w.store, SqlCaptureStore)
    return w.store


def submit(service: CaptureService, email: str, answers: dict[str, Any] = ANSWERS) -> Callable[[], Submitted]:
    return lambda: service.submit_whole("skin-quiz", answers, inputs(email))


def commits(w: SqlCaptureWorld) -> list[int]:
    seen: list[int] = []
    sa.event.listen(w.engine, "commit", lambda _conn: seen.append(1))
    return seen


def held(w: SqlCaptureWorld, calls: list[Callable[[], Submitted]]) -> list[Future[Submitted]]:
    """Start `calls` at once while another connection holds SQLite's write lock, so that they all
    queue behind the first; then let go. Their futures, finished."""
    other = create_engine(str(w.engine.url))
    try:
        with other.begin() as conn:  # BEGIN IMMEDIATE: the write lock, until the block ends
            conn.execute(sa.text("SELECT 1"))
            pool = ThreadPoolExecutor(len(calls))
            started = [pool.submit(c) for c in calls]
            deadline = time.monotonic() + 10
            while store_of(w).group_commit.unanswered() < len(calls) and time.monotonic() < deadline:
                time.sleep(0.01)
        pool.shutdown(wait=True)
        return started
    finally:
        other.dispose()


def test_concurrent_submits_are_all_stored_with_one_commit_for_many(sqlite_world: SqlCaptureWorld) -> None:
    service = CaptureService(sqlite_world.store)
    seen = commits(sqlite_world)
    emails = [f"group{i:02d}@example.com" for i in range(16)]
    done = held(sqlite_world, [submit(service, e) for e in emails])
    ids = {f.result().response_id for f in done}
    assert {r.id for r in sqlite_world.responses()} == ids and len(ids) == 16
    assert sorted(row[1] for row in sqlite_world.queued()) == emails
    assert len(seen) <= 2  # the first submit alone, then the fifteen that waited behind it, together


def test_a_refused_submit_in_a_group_gets_its_own_error_and_the_others_are_stored(
    sqlite_world: SqlCaptureWorld,
) -> None:
    service = CaptureService(sqlite_world.store)
    good = [f"ok{i}@example.com" for i in range(6)]
    calls = [submit(service, e) for e in good]
    calls.insert(3, submit(service, "no@example.com", {**ANSWERS, "skin_type": "scaly"}))
    done = held(sqlite_world, calls)
    refused = done[3].exception()
    assert isinstance(refused, InvalidInput) and [e.field for e in refused.errors] == ["answers.skin_type"]
    assert all(f.exception() is None for i, f in enumerate(done) if i != 3)
    assert len(sqlite_world.responses()) == 6
    assert sorted(row[1] for row in sqlite_world.queued()) == sorted(good)


def grouped(store: SqlCaptureStore, calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run `calls` as one group, in the order given: a first call holds the writer until all of them
    wait behind it. Each one's result or exception, by name."""
    gate = threading.Event()
    results: dict[str, Any] = {}

    def run(name: str, call: Callable[[], Any]) -> None:
        try:
            results[name] = call()
        except Exception as exc:
            results[name] = exc

    threads = [threading.Thread(target=run, args=("blocker", lambda: store.run(lambda _unit: gate.wait(10))))]
    threads[0].start()
    while not store.group_commit.busy():
        time.sleep(0.005)
    deadline = time.monotonic() + 10
    for name, call in calls.items():
        threads.append(threading.Thread(target=run, args=(name, call)))
        threads[-1].start()
        # One at a time, so the group holds them in the order given (threads started together may
        # reach the queue in any order).
        while store.group_commit.unanswered() < len(threads) and time.monotonic() < deadline:
            time.sleep(0.002)
    gate.set()
    for t in threads:
        t.join(20)
    return results


@pytest.mark.parametrize("read_back", [False, True], ids=["held", "already-written"])
def test_a_submit_that_fails_after_writing_is_undone_alone(world: SqlCaptureWorld, read_back: bool) -> None:
    """A failure after a write rolls back that submit's writes alone, the submits grouped with it
    are committed: whether its writes were still held (dropped) or had reached the database
    because it read its response back (the group is undone and each submit runs again alone)."""
    store = store_of(world)
    service = CaptureService(store)

    def broken(unit: SqlCaptureUnit) -> None:
        published = unit.published("skin-quiz")
        assert published is not None
        unit.write(half_way(published.version_id), T0)
        if read_back:
            assert unit.response(HALF_WAY) is not None  # this read writes what the group holds first
        raise RuntimeError("failed after writing")

    results = grouped(
        store,
        {
            "a": lambda: service.submit_whole("skin-quiz", ANSWERS, inputs("a@example.com")),
            "broken": lambda: store.run(broken),
            "b": lambda: service.submit_whole("skin-quiz", ANSWERS, inputs("b@example.com")),
        },
    )
    assert isinstance(results["broken"], RuntimeError)
    assert isinstance(results["a"], Submitted) and isinstance(results["b"], Submitted)
    assert HALF_WAY not in {r.id for r in world.responses()}
    assert sorted(row[1] for row in world.queued()) == ["a@example.com", "b@example.com"]


def test_two_new_responses_with_one_id_in_a_group_store_the_first_and_refuse_the_second(
    world: SqlCaptureWorld,
) -> None:
    store = store_of(world)
    service = CaptureService(store)

    def first_screen(unit: SqlCaptureUnit) -> int:
        published = unit.published("skin-quiz")
        assert published is not None
        return unit.write(half_way(published.version_id), T0)

    results = grouped(
        store,
        {
            "first": lambda: store.run(first_screen),
            "a": lambda: service.submit_whole("skin-quiz", ANSWERS, inputs("a@example.com")),
            "again": lambda: store.run(first_screen),
        },
    )
    assert results["first"] == 1 and isinstance(results["a"], Submitted)
    assert isinstance(results["again"], ResponseExists)
    assert sorted(str(r.email) for r in world.responses()) == ["a@example.com", "half@example.com"]
    assert sorted(row[1] for row in world.queued()) == ["a@example.com", "half@example.com"]


def test_a_group_writes_each_table_once_whatever_its_size(sqlite_world: SqlCaptureWorld) -> None:
    """The writer runs every submit of a group, so its statements per submit bound capture's
    throughput: a group of sixteen whole responses runs fewer statements than it has submits."""
    service = CaptureService(sqlite_world.store)
    statements: list[str] = []
    sa.event.listen(sqlite_world.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    emails = [f"batch{i:02d}@example.com" for i in range(16)]
    grouped(store_of(sqlite_world), {e: submit(service, e) for e in emails})
    assert sorted(row[1] for row in sqlite_world.queued()) == emails
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(statements) < 16 and len(writes) <= 5, statements


def test_concurrent_api_posts_each_get_their_own_answer(held_stack: Stack) -> None:
    """Over HTTP, with the posts queued behind a held write lock so that they share transactions:
    the refused one gets its 422 naming the answer, every other one its 201, and is stored."""
    url = held_stack.base + "/api/v1/experiences/skin-quiz/responses"
    bodies = [{"answers": ANSWERS, "inputs": inputs(f"http{i}@example.com")} for i in range(8)]
    bodies[5] = {"answers": {**ANSWERS, "skin_type": "scaly"}, "inputs": inputs("bad@example.com")}
    lock = sqlite_dbapi().connect(str(held_stack.data_dir / "zeroparty.db"), isolation_level=None, timeout=0)
    try:
        lock.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(len(bodies)) as pool:
            answers = [pool.submit(httpx.post, url, json=b, timeout=30) for b in bodies]
            time.sleep(0.5)  # all eight reach the server and wait for the store
            lock.execute("ROLLBACK")
            got = [a.result() for a in answers]
    finally:
        lock.close()
    assert [r.status_code for r in got] == [201] * 5 + [422] + [201] * 2
    assert "answers.skin_type" in got[5].text
    stored = {r.json()["id"] for r in got if r.status_code == 201}
    assert held_stack.row_counts()["responses"] == 7
    for rid in stored:
        assert httpx.get(f"{held_stack.base}/api/v1/responses/{rid}", headers=held_stack.auth).status_code == 200


def test_when_a_group_cannot_commit_each_of_its_submits_gets_the_error_and_none_is_stored(
    sqlite_world: SqlCaptureWorld,
) -> None:
    service = CaptureService(sqlite_world.store)
    failing = [True]

    def refuse_commit(_conn: Any) -> None:
        if failing[0]:
            failing[0] = False
            raise RuntimeError("the disk is full")

    sa.event.listen(sqlite_world.engine, "commit", refuse_commit)
    done = held(sqlite_world, [submit(service, f"lost{i}@example.com") for i in range(4)])
    errors = [f.exception() for f in done]
    failed = [e for e in errors if isinstance(e, RuntimeError)]
    # The first submit may have had a transaction of its own: the failed commit is one group's.
    assert failed and all(str(e) == "the disk is full" for e in failed)
    stored = {r.email for r in sqlite_world.responses()}
    assert len(stored) == len(done) - len(failed)
    assert service.submit_whole("skin-quiz", ANSWERS, inputs("after@example.com")).response_id  # the writer lives on


def test_submits_from_an_event_loop_share_a_group_and_each_gets_its_own_answer(sqlite_world: SqlCaptureWorld) -> None:
    """The server's requests wait for the writer as coroutines (`commit_async`), no thread each: they
    are grouped as threads are, each gets its own result or error, and one whose request went away
    (cancelled) neither stops the writer nor loses the others."""
    service = CaptureService(sqlite_world.store)
    seen = commits(sqlite_world)
    store = store_of(sqlite_world)
    emails = [f"loop{i}@example.com" for i in range(6)]

    async def submits() -> list[Any]:
        calls = [service.commit_async(service.prepare_whole("skin-quiz", ANSWERS, inputs(e))) for e in emails]
        bad = service.prepare_whole("skin-quiz", {**ANSWERS, "skin_type": "scaly"}, inputs("x@a.io"))
        calls.insert(2, service.commit_async(bad))
        tasks = [asyncio.ensure_future(c) for c in calls]
        while store.group_commit.unanswered() < len(tasks):
            await asyncio.sleep(0.01)
        tasks[-1].cancel()  # its client went away while it waited
        release.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    release = threading.Event()
    other = create_engine(str(sqlite_world.engine.url))
    try:
        with ThreadPoolExecutor(1) as pool:
            with other.begin() as conn:  # the write lock, until the loop has queued every submit
                conn.execute(sa.text("SELECT 1"))
                answers = pool.submit(asyncio.run, submits())
                assert release.wait(10)
            got = answers.result(timeout=30)
    finally:
        other.dispose()
    assert isinstance(got[2], InvalidInput) and [e.field for e in got[2].errors] == ["answers.skin_type"]
    assert isinstance(got[-1], asyncio.CancelledError)
    assert all(isinstance(g, Submitted) for i, g in enumerate(got[:-1]) if i != 2)
    assert sorted(row[1] for row in sqlite_world.queued()) == emails  # the cancelled one was written too
    assert len(seen) <= 2
    assert service.submit_whole("skin-quiz", ANSWERS, inputs("after@example.com")).response_id
