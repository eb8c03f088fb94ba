"""A hosted page's screen submit is one storage transaction that reads the response once: the form
is read first, then the response, its version and the answers are checked and written together."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import sqlalchemy as sa

from tests.support.stack import Stack

EVENTS_THREAD = "zeroparty-events"  # services/event_buffer.py


def statements(stack: Stack) -> list[str]:
    """Every statement run from now on, but the analytics event log's: it is written in batches by
    a thread of its own, outside capture's transactions, whenever its flush comes round (a BEGIN of
    its could be seen before the INSERT that tells it apart)."""
    seen: list[str] = []

    def look(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if threading.current_thread().name != EVENTS_THREAD:
            seen.append(" ".join(statement.split()))

    sa.event.listen(stack.rt.engine, "before_cursor_execute", look)
    return seen


def begins(seen: list[str]) -> list[str]:
    return [s for s in seen if s.upper().startswith("BEGIN")]


def response_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.upper().startswith("SELECT") and "FROM responses" in s]


def test_each_screen_submit_is_one_transaction_reading_the_response_once(held_stack: Stack) -> None:
    with httpx.Client(base_url=held_stack.base, follow_redirects=False) as c:
        c.get("/e/skin-quiz")  # the page view reads, and the version is kept from then on
        seen = statements(held_stack)
        first = c.post("/e/skin-quiz", data={"skin_type": "dry"})
        assert first.status_code == 303, first.text
        assert len(begins(seen)) == 1 and response_reads(seen) == []
        seen.clear()
        second = c.post(first.headers["location"], data={"skin_goals": ["hydration"]})
        assert second.status_code == 303, second.text
        assert begins(seen) == ["BEGIN IMMEDIATE"]
        assert len(response_reads(seen)) == 1


def test_a_refused_screen_is_shown_again_with_its_errors_and_nothing_is_stored(held_stack: Stack) -> None:
    with httpx.Client(base_url=held_stack.base, follow_redirects=False) as c:
        first = c.post("/e/skin-quiz", data={"skin_type": "dry"})
        before = held_stack.row_counts()
        refused = c.post(first.headers["location"], data={"skin_goals": ["hydration", "nonsense"]})
        assert refused.status_code == 422
        assert "nonsense" in refused.text and 'name="skin_goals"' in refused.text
        assert held_stack.row_counts() == before
        unknown = c.post(first.headers["location"].replace("/s/goals", "/s/nowhere"), data={"x": "1"})
        assert unknown.status_code == 404 and "There is no screen &#39;nowhere&#39; here." in unknown.text
