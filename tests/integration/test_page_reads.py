"""Page views read through the read-only connection: a writer holding SQLite's lock cannot make a
respondent wait for it, or get a 503, unless the respondent is submitting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.stack import Stack, running_stack
from zeroparty.adapters.db.engine import sqlite_dbapi

BUSY_TIMEOUT_MS = 300
Form = dict[str, str | list[str]]
ANSWERS: list[Form] = [{"skin_type": "dry"}, {"skin_goals": ["hydration"]}, {"routine_length": "short"}]


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[Stack]:
    """A server whose writers give up on a held lock after BUSY_TIMEOUT_MS."""
    with running_stack(tmp_path, worker=False, busy_timeout_ms=BUSY_TIMEOUT_MS) as s:
        yield s


@contextmanager
def write_lock_held(stack: Stack) -> Iterator[None]:
    """Another connection holds SQLite's write lock (BEGIN IMMEDIATE) until the block ends.

    It uses the module the server uses: two SQLite libraries in one process do not see each other's locks."""
    conn = sqlite_dbapi().connect(str(stack.data_dir / "zeroparty.db"), isolation_level=None, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def _walk(c: httpx.Client, answers: list[Form]) -> str:
    """Submit `answers` screen by screen from the first; the last redirect's path."""
    url = "/e/skin-quiz"
    for data in answers:
        r = c.post(url, data=data)
        assert r.status_code == 303, r.text
        url = r.headers["location"]
    return url


def test_page_views_do_not_wait_for_a_writer_but_a_submit_does(impatient: Stack) -> None:
    with httpx.Client(base_url=impatient.base, timeout=10) as c:
        in_progress = _walk(c, ANSWERS[:1])
        outcome = _walk(c, [*ANSWERS, {"email": "locked@example.com", "first_name": "Lou"}])
        before = impatient.row_counts()
        # The lock is held across every request below, so a page view that asked for it could only
        # end in a 503 after the busy timeout: a 200 shows it never asked.
        with write_lock_held(impatient):
            for path in ("/", "/e/skin-quiz", in_progress, outcome):
                r = c.get(path)
                assert r.status_code == 200, (path, r.status_code, r.text)
            refused = c.post(in_progress, data={"skin_goals": ["breakouts"]})
            first = c.post("/e/skin-quiz", data={"skin_type": "oily"})
        for r in (refused, first):
            assert r.status_code == 503, r.text
            assert r.headers["retry-after"] == "1" and r.headers["cache-control"] == "no-store"
            assert "nothing was saved" in r.text
        assert impatient.row_counts() == before
