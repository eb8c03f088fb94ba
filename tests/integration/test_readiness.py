"""`GET /readyz` says whether the store can take writes, and which trouble it has: each verdict is
brought about for real (a held write lock, a read-only file, a read-only PostgreSQL, a database that
is not there), except a full disk, whose threshold is raised instead of filling the disk."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.support.databases import PG_ADMIN, fresh_postgres
from tests.support.stack import Stack, running_stack
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.engine import create_engine, sqlite_dbapi
from zeroparty.adapters.db.readiness import ReadinessCheck
from zeroparty.adapters.http.health import ReadinessProbe
from zeroparty.services.read_ports import Readiness


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("ready"), worker=False, sandbox=False) as s:
        yield s


def ready(stack: Stack) -> tuple[int, str]:
    r = httpx.get(stack.base + "/readyz", timeout=10)
    assert r.headers["cache-control"] == "no-store"
    return r.status_code, r.json()["status"]


def test_ready_when_nothing_is_wrong_and_the_probe_writes_nothing(stack: Stack) -> None:
    db = stack.data_dir / "zeroparty.db"
    files = [db, db.with_name("zeroparty.db-wal")]

    def fingerprint() -> list[str]:
        return [hashlib.sha256(f.read_bytes()).hexdigest() for f in files if f.exists()]

    before = fingerprint()
    assert [ready(stack) for _ in range(5)] == [(200, "ok")] * 5
    assert fingerprint() == before
    assert httpx.head(stack.base + "/readyz").status_code == 200


def test_locked_while_a_writer_holds_the_lock_and_ok_once_it_lets_go(stack: Stack) -> None:
    writer = sqlite_dbapi().connect(str(stack.data_dir / "zeroparty.db"), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        r = httpx.get(stack.base + "/readyz", timeout=10)
        assert (r.status_code, r.json()["status"]) == (503, "locked") and r.headers["retry-after"] == "5"
        assert time.monotonic() - started < 3  # the probe waits a bounded time, never for the writer
        assert httpx.get(stack.base + "/healthz").status_code == 200  # liveness is not readiness
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert ready(stack) == (200, "ok")


def test_read_only_while_the_database_file_cannot_be_written(stack: Stack) -> None:
    db = stack.data_dir / "zeroparty.db"
    db.chmod(0o400)
    try:
        r = httpx.get(stack.base + "/readyz")
        assert (r.status_code, r.json()["status"]) == (503, "read-only")
        assert str(stack.data_dir) not in r.text  # a public probe names no path
    finally:
        db.chmod(0o600)
    assert ready(stack) == (200, "ok")


def test_full_when_free_space_is_under_the_threshold(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'zeroparty.db'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    check = ReadinessCheck(url, min_free_bytes=2**62)  # more than any disk: a volume "under the threshold"
    found = check()
    assert found.status == "full" and "MB free" in found.detail
    assert ReadinessCheck(url, min_free_bytes=2**20, free_space=lambda _p: 2**19)().status == "full"
    assert ReadinessCheck(url, min_free_bytes=2**20, free_space=lambda _p: 2**21)().status == "ok"


def test_unreachable_when_the_sqlite_file_is_gone(tmp_path: Path) -> None:
    found = ReadinessCheck(f"sqlite:///{tmp_path / 'gone.db'}", min_free_bytes=0)()
    assert found.status == "unreachable"
    assert not (tmp_path / "gone.db").exists()  # the probe created nothing


def test_postgresql_ok_then_read_only_then_unreachable() -> None:
    with fresh_postgres() as url:
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        check = ReadinessCheck(url, min_free_bytes=2**62)  # no local volume matters for PostgreSQL
        try:
            assert check() == Readiness("ok")
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            found = check()  # each probe connects afresh, so it sees the new default at once
            assert found.status == "read-only" and "default_transaction_read_only" in found.detail
        finally:
            check.close()
    started = time.monotonic()
    down = ReadinessCheck("postgresql+psycopg://postgres@127.0.0.1:1/zeroparty", min_free_bytes=0)()
    assert down.status == "unreachable" and time.monotonic() - started < 5


def test_a_probe_that_hangs_is_cut_at_its_timeout_and_shared_by_callers_meanwhile() -> None:
    release = threading.Event()
    runs: list[float] = []

    def slow_check() -> Readiness:
        runs.append(time.monotonic())
        release.wait(10)
        return Readiness("ok")

    probe = ReadinessProbe(slow_check, timeout_s=0.5)

    async def scenario() -> tuple[list[Readiness], Readiness]:
        started = time.monotonic()
        waiting = await asyncio.gather(probe(), probe(), probe())
        assert time.monotonic() - started < 2
        release.set()
        return list(waiting), await probe()  # the same check, finishing now

    try:
        answers, after = asyncio.run(scenario())
    finally:
        release.set()
    assert {a.status for a in answers} == {"unreachable"} and "did not answer" in answers[0].detail
    assert after.status == "ok" and len(runs) == 1
