"""The experiences' history as the console reads it, on SQLite and PostgreSQL: each experience with
its latest version and response counts, its versions newest first, a version's definition, and
nothing of another workspace's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.databases import database_url
from tests.support.definitions import sample
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experience_history import SqlExperienceHistory
from zeroparty.adapters.db.schema import responses
from zeroparty.adapters.db.workspaces import SqlWorkspaces

T0 = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    with database_url(request.param, tmp_path) as url:
        made = create_engine(url)
        migrate.upgrade(made)
        try:
            yield made
        finally:
            made.dispose()


def test_versions_summaries_and_definitions_stay_in_their_workspace(engine: sa.Engine) -> None:
    mine = SqlExperienceHistory(engine)
    exp = sample()
    first = mine.publish(exp, T0)
    changed = exp.model_copy(update={"title": "Second title"})
    second = mine.publish(changed, T0 + timedelta(hours=1))
    with engine.begin() as conn:
        for n, done in ((1, T0), (2, None), (3, None)):
            conn.execute(
                sa.insert(responses).values(
                    id=f"r{n}",
                    experience_version_id=first.version_id if n == 1 else second.version_id,
                    channel="web",
                    created_at=T0,
                    updated_at=T0,
                    completed_at=done,
                )
            )
    [summary] = mine.summaries()
    assert (summary.slug, summary.title, summary.version, summary.state) == (
        "skin-quiz",
        "Second title",
        2,
        "published",
    )
    assert (summary.responses, summary.completed) == (3, 1)
    assert summary.completion_rate == pytest.approx(1 / 3)
    assert [(v.version, v.published_at) for v in mine.versions("skin-quiz")] == [(2, T0 + timedelta(hours=1)), (1, T0)]
    assert (mine.definition("skin-quiz", 1) or {})["title"] == exp.title
    assert mine.definition("skin-quiz", 3) is None
    assert mine.state("skin-quiz") == ("published", None)

    other = SqlWorkspaces(engine).create("other", "Other", T0)
    theirs = SqlExperienceHistory(engine, workspace_id=other.id)
    assert theirs.summaries() == [] and theirs.versions("skin-quiz") == []
    assert theirs.definition("skin-quiz", 1) is None and theirs.state("skin-quiz") is None
