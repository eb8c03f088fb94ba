"""The export never holds all responses: on SQLite and PostgreSQL, thousands of responses are read
a chunk at a time (no query returns more than a chunk), lazily (the first line is out after one
chunk's queries), and the memory traced while streaming follows the chunk, not the number of rows."""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.databases import database_url
from tests.support.definitions import sample
from tests.support.outbox_world import T0
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.analytics import SqlAnalytics
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.schema import answers, responses
from zeroparty.services.analytics import AnalyticsService

MANY = 3000
CHUNK = 250


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    with database_url(request.param, tmp_path) as url:
        found = create_engine(url)
        migrate.upgrade(found)
        version_id = SqlExperienceStore(found).publish(sample(), T0).version_id
        ids = [str(uuid.UUID(int=i + 1, version=4)) for i in range(MANY)]
        with found.begin() as conn:
            conn.execute(
                sa.insert(responses),
                [
                    {
                        "id": rid,
                        "experience_version_id": version_id,
                        "channel": "api",
                        "email": f"p{i}@example.com",
                        "created_at": T0 + timedelta(seconds=i),
                        "updated_at": T0,
                    }
                    for i, rid in enumerate(ids)
                ],
            )
            conn.execute(
                sa.insert(answers),
                [
                    {"response_id": rid, "element_id": el, "screen_id": "s", "value": value, "answered_at": T0}
                    for rid in ids
                    for el, value in (("skin_type", "dry"), ("skin_goals", ["hydration", "fine_lines"]))
                ],
            )
        yield found
        found.dispose()


class Queries:
    """Counts the SELECTs run on `engine` and the most rows any of them returned."""

    def __init__(self, engine: sa.Engine) -> None:
        self.selects = 0
        self.most_rows = 0
        sa.event.listen(engine, "after_cursor_execute", self._seen)

    def _seen(self, _conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM responses" in statement:
            self.selects += 1
            self.most_rows = max(self.most_rows, cursor.rowcount if cursor.rowcount > 0 else 0)


def test_responses_are_read_a_chunk_at_a_time_and_lazily(engine: sa.Engine) -> None:
    service = AnalyticsService(SqlAnalytics(engine))
    queries = Queries(engine)
    lines = service.export("skin-quiz", "csv", chunk=CHUNK)
    next(lines), next(lines)  # the header and the first response
    assert queries.selects == 1  # one chunk read so far, not the whole table
    rest = sum(1 for _ in lines)
    assert rest == MANY - 1
    assert queries.selects == MANY // CHUNK + 1  # the last, empty page ends it
    assert queries.most_rows <= CHUNK


def _peak(service: AnalyticsService, chunk: int) -> int:
    """The most memory traced while streaming the whole export `chunk` responses at a time."""
    tracemalloc.start()
    try:
        for _line in service.export("skin-quiz", "jsonl", chunk=chunk):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_streaming_the_export_keeps_memory_bounded(engine: sa.Engine) -> None:
    service = AnalyticsService(SqlAnalytics(engine))
    _peak(service, CHUNK)  # warm: compiled statements, the parsed definition
    chunked, whole = _peak(service, CHUNK), _peak(service, MANY)
    # Twelve times fewer rows held at once; a fixed part (statements, buffers) is shared by both.
    assert chunked * 3 < whole, (chunked, whole)
