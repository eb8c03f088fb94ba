"""Publishing through the experience store: an unchanged definition is not a new version, on a real
SQLite file and a real PostgreSQL database (whose JSON columns may return keys in another order)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.databases import database_url
from tests.support.definitions import sample, sample_data
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.domain.experience.model import Experience

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_only_a_changed_definition_becomes_a_new_version(kind: str, tmp_path: Path) -> None:
    with database_url(kind, tmp_path) as url:
        engine = create_engine(url)
        try:
            migrate.upgrade(engine)
            store = SqlExperienceStore(engine)
            first = store.publish_if_changed(sample(), T0)
            assert first.created and first.published.version == 1
            again = store.publish_if_changed(sample(), T0)
            assert not again.created and again.published.version_id == first.published.version_id
            assert store.publish(sample(), T0).version == 1  # existing callers: same answer, nothing new
            changed = Experience.model_validate({**sample_data(), "title": "Another title"})
            second = store.publish_if_changed(changed, T0)
            assert second.created and second.published.version == 2
            back = store.publish_if_changed(sample(), T0)
            assert back.created and back.published.version == 3
            current = store.published("skin-quiz")
            assert current is not None and current.version == 3 and current.experience == sample()
        finally:
            engine.dispose()
