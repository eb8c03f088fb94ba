"""The published versions capture reads are parsed once per version and kept (a version never
changes once written): a second read of the same version builds nothing and does not read its
definition again; a version published meanwhile is seen at once; a response keeps its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.capture_world import SqlCaptureWorld
from tests.support.databases import database_url
from tests.support.definitions import sample
from zeroparty.adapters.db.capture import SqlCaptureStore


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlCaptureWorld]:
    with database_url(request.param, tmp_path) as url:
        w = SqlCaptureWorld(url, tmp_path)
        yield w
        w.engine.dispose()


def definition_reads(w: SqlCaptureWorld) -> list[str]:
    """The statements that read a version's definition from now on."""
    seen: list[str] = []

    def look(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "definition" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    sa.event.listen(w.engine, "before_cursor_execute", look)
    return seen


def test_a_version_is_read_and_parsed_once_and_a_new_one_is_seen_at_once(world: SqlCaptureWorld) -> None:
    store = world.store
    assert isinstance(store, SqlCaptureStore)
    v1 = world.publish(sample())
    reads = definition_reads(world)
    with store.reading() as view:
        first = view.published("skin-quiz")
    with store.reading() as view:
        again = view.published("skin-quiz")
        by_id = view.version(v1.version_id)
    assert first is not None and first.version_id == v1.version_id
    # The same parsed experience, not one built again (the publishing state is read each time).
    assert again is not None and again.experience is first.experience and by_id.experience is first.experience
    assert len(reads) == 1

    v2 = world.publish(sample().model_copy(update={"title": "A new title"}))
    before = len(reads)  # publishing compares with the latest definition itself
    with store.reading() as view:
        latest = view.published("skin-quiz")
        old = view.version(v1.version_id)
    assert latest is not None and latest.version_id == v2.version_id
    assert latest.experience.title == "A new title"
    assert old.experience is first.experience  # responses started on v1 stay on it
    with store.reading() as view:
        again_latest = view.published("skin-quiz")
    assert again_latest is not None and again_latest.experience is latest.experience
    assert len(reads) == before + 1


def test_each_store_keeps_its_own_database_versions(tmp_path: Path) -> None:
    """Version ids are per database: two stores never share what they keep."""
    a = SqlCaptureWorld(f"sqlite:///{tmp_path / 'a.db'}", tmp_path)
    b = SqlCaptureWorld(f"sqlite:///{tmp_path / 'b.db'}", tmp_path)
    try:
        a.publish(sample())
        b.publish(sample().model_copy(update={"title": "Other"}))
        with a.store.reading() as va, b.store.reading() as vb:
            pa, pb = va.published("skin-quiz"), vb.published("skin-quiz")
        assert pa is not None and pb is not None and pa.version_id == pb.version_id
        assert (pa.experience.title, pb.experience.title) == (sample().title, "Other")
    finally:
        a.engine.dispose()
        b.engine.dispose()
