"""A workspace at a glance counts only its own: its experiences, responses, destinations and
deliveries, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.capture_world import SqlCaptureWorld, page_write
from tests.support.databases import database_url
from tests.support.definitions import sample
from tests.support.outbox_world import T0
from zeroparty.adapters.db.console_reads import SqlWorkspaceOverview
from zeroparty.services.console_reads import WorkspaceSummary


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlCaptureWorld]:
    with database_url(request.param, tmp_path) as url:
        made = SqlCaptureWorld(url, tmp_path)
        try:
            yield made
        finally:
            made.engine.dispose()


def test_each_workspace_sees_only_its_own_figures(world: SqlCaptureWorld) -> None:
    other = world.add_workspace("acme")
    mine = world.publish(sample())
    theirs = world.publish(sample().model_copy(update={"slug": "acme-quiz"}), other)
    world.add_destination("mine")
    world.add_destination("theirs", other)
    world.add_destination("theirs-too", other)
    changed = {"email": "kim@example.com", "changes": {"skin_type": "oily"}}
    with world.store.unit() as unit:
        unit.write(page_write("00000000-0000-4000-8000-000000000001", mine.version_id, **changed), T0)
        unit.write(page_write("00000000-0000-4000-8000-000000000002", theirs.version_id, **changed), T0)
        unit.write(page_write("00000000-0000-4000-8000-000000000003", theirs.version_id, **changed), T0)
    overview = SqlWorkspaceOverview(world.engine)
    assert overview.summary(1, T0 + timedelta(hours=1)) == WorkspaceSummary(
        experiences_live=1,
        experiences_other=0,
        responses_total=1,
        responses_day=1,
        completed_day=0,
        destinations=1,
        destinations_paused=0,
        pending=1,
        dead=0,
    )
    acme = overview.summary(other, T0 + timedelta(days=2))  # a day later: nothing started in the last 24 h
    assert (acme.responses_total, acme.responses_day, acme.destinations, acme.pending) == (2, 0, 2, 4)
