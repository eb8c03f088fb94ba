"""The capture service on a real store (SQLite and PostgreSQL): a response taken screen by screen is
read without the write lock, and closes when it completes, even against a submit racing the completion."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.support.databases import database_url
from tests.support.outbox_world import T0, World
from tests.support.waiting import wait_for
from zeroparty.adapters.db.schema import responses
from zeroparty.errors import Gone

SLUG = "skin-quiz"
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("goals", {"skin_goals": ["hydration"]}),
    ("routine", {"routine_length": "short"}),
    ("contact", {"email": "first@example.com"}),
]


def _start(world: World) -> str:
    return world.capture.submit_screen(SLUG, None, "skin", {"skin_type": "dry"}).response_id


def test_a_response_closes_when_it_completes(world: World) -> None:
    rid = _start(world)
    for screen, answers in STEPS[:-1]:
        world.capture.submit_screen(SLUG, rid, screen, answers)
    view = world.capture.progress(SLUG, rid)
    assert not view.completed and view.outcome_id is None
    assert view.answers == {"skin_type": "dry", "skin_goals": ["hydration"], "routine_length": "short"}
    world.capture.submit_screen(SLUG, rid, *STEPS[-1])
    assert world.capture.progress(SLUG, rid).completed
    queued = world.states()
    with pytest.raises(Gone, match="is complete; nothing was changed"):
        world.capture.submit_screen(SLUG, rid, "contact", {"email": "second@example.com"})
    assert world.capture.progress(SLUG, rid).answers["email"] == "first@example.com"
    assert world.states() == queued


def _waiting_for_a_row_lock(world: World) -> bool:
    with world.engine.connect() as conn:
        waiting = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)


def test_a_submit_racing_the_completion_waits_for_it_and_changes_nothing_on_postgres(tmp_path: Path) -> None:
    # Another submit is completing the response: its transaction holds the row. A second submit must
    # wait for it and then see the response complete, not read it as open and overwrite it afterwards.
    with database_url("postgresql", tmp_path) as url:
        world = World(url, tmp_path)
        try:
            rid = _start(world)
            for screen, answers in STEPS[:-1]:
                world.capture.submit_screen(SLUG, rid, screen, answers)
            outcome: list[BaseException | None] = []

            def racing_submit() -> None:
                try:
                    world.capture.submit_screen(SLUG, rid, "contact", {"email": "late@example.com"})
                    outcome.append(None)
                except Gone as exc:
                    outcome.append(exc)

            with world.engine.connect() as completing:
                completing.execute(sa.select(responses.c.id).where(responses.c.id == rid).with_for_update())
                racer = threading.Thread(target=racing_submit)
                racer.start()
                wait_for(lambda: _waiting_for_a_row_lock(world), bool, timeout=10)
                completing.execute(
                    sa.update(responses).where(responses.c.id == rid).values(completed_at=T0, outcome_id="clear_skin")
                )
                completing.commit()
            racer.join(timeout=10)
            assert len(outcome) == 1 and isinstance(outcome[0], Gone)
            assert "email" not in world.capture.progress(SLUG, rid).answers
        finally:
            world.engine.dispose()
