"""The audit log (`services.audit.AuditLog`) on a real SQLite file, a real PostgreSQL database and
the in-memory twin: entries come back newest first, a workspace's apart from another's and from the
instance's, a page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.test_accounts_store import migrated
from tests.support.databases import STORES, store_for
from zeroparty.adapters.db.audit import SqlAuditLog
from zeroparty.adapters.db.workspaces import SqlWorkspaces
from zeroparty.adapters.memory.audit import MemoryAuditLog
from zeroparty.services.audit import AuditLog

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
OTHER = 2


def _sql(url: str, _tmp: Path) -> SqlAuditLog:
    engine = migrated(url)
    assert SqlWorkspaces(engine).create("brand", "Brand", T0).id == OTHER
    return SqlAuditLog(engine)


@pytest.fixture(params=STORES)
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlAuditLog | MemoryAuditLog]:
    with store_for(request.param, tmp_path, _sql, MemoryAuditLog) as found:
        yield found


def test_entries_come_back_newest_first_with_what_was_recorded(log: AuditLog) -> None:
    first = log.record(1, "cli", "user.create", "ada@example.com", {"role": "owner"}, T0)
    log.record(1, "ada@example.com", "destination.key", "eu", {"paused": False, "n": 3, "none": None}, T0)
    [newest, oldest] = log.entries(1, 10)
    assert oldest == first
    assert (oldest.at, oldest.actor, oldest.action, oldest.target, oldest.detail) == (
        T0,
        "cli",
        "user.create",
        "ada@example.com",
        {"role": "owner"},
    )
    assert newest.id > oldest.id and newest.detail == {"paused": False, "n": 3, "none": None}


def test_a_workspace_sees_its_own_entries_and_the_instance_its_own(log: AuditLog) -> None:
    log.record(1, "cli", "a", "mine", {}, T0)
    log.record(OTHER, "cli", "b", "theirs", {}, T0)
    log.record(None, "cli", "user.disable", "ada@example.com", {}, T0)
    assert [e.target for e in log.entries(1, 10)] == ["mine"]
    assert [e.target for e in log.entries(OTHER, 10)] == ["theirs"]
    assert [e.target for e in log.entries(None, 10)] == ["ada@example.com"]


def test_pages_follow_one_another_without_gaps_or_repeats(log: AuditLog) -> None:
    for n in range(7):
        log.record(1, "cli", "n", str(n), {}, T0 + timedelta(seconds=n))
    first = log.entries(1, 3)
    second = log.entries(1, 3, first[-1].id)
    third = log.entries(1, 3, second[-1].id)
    assert [e.target for e in first + second + third] == ["6", "5", "4", "3", "2", "1", "0"]
    assert log.entries(1, 3, third[-1].id) == []
