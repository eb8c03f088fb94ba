"""The analytics store's contract, on a real SQLite file, a real PostgreSQL database and the
in-memory twin: events are appended and read back per experience and time window, oldest first,
across read chunks; the responses' facts (email captured, latest email-marketing consent) and the
export rows (answers, the variant the response was served) come from what capture stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.capture_world import MemoryCaptureWorld, SqlCaptureWorld, page_write
from tests.support.databases import STORES, store_for
from tests.support.definitions import sample, sample_data
from tests.support.outbox_world import T0
from zeroparty.adapters.db.analytics import SqlAnalytics
from zeroparty.adapters.memory.analytics import MemoryAnalytics
from zeroparty.domain.experience.consent import ConsentRecord
from zeroparty.domain.experience.funnel import Event, EventKind
from zeroparty.domain.experience.model import Experience
from zeroparty.services.analytics_ports import Window
from zeroparty.services.ports import Published

K = EventKind
R = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 6)]


class SqlWorld(SqlCaptureWorld):
    def __init__(self, url: str, tmp_path: Path) -> None:
        super().__init__(url, tmp_path)
        self.analytics: SqlAnalytics | MemoryAnalytics = SqlAnalytics(self.engine, event_chunk=3)


class MemoryWorld(MemoryCaptureWorld):
    def __init__(self) -> None:
        super().__init__()
        self.analytics: SqlAnalytics | MemoryAnalytics = MemoryAnalytics(self.memory)


World = SqlWorld | MemoryWorld


@pytest.fixture(params=STORES)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with store_for(request.param, tmp_path, SqlWorld, MemoryWorld) as found:
        yield found


@pytest.fixture
def v1(world: World) -> Published:
    return world.publish(sample())


def other_experience() -> Experience:
    data = sample_data() | {"slug": "other-quiz"}
    return Experience.model_validate(data)


def write(world: World, version_id: int, rid: str, at_minutes: int, **extra: Any) -> None:
    with world.store.unit() as unit:
        unit.write(page_write(rid, version_id, **extra), T0 + timedelta(minutes=at_minutes))


def ev(kind: EventKind, minutes: int, slug: str = "skin-quiz", **kw: Any) -> Event:
    return Event(kind, slug, T0 + timedelta(minutes=minutes), 1, **kw)


def test_events_read_back_per_experience_and_window_oldest_first_across_chunks(world: World, v1: Published) -> None:
    mine = [ev(K.LOAD, i, screen_id="skin", duration_ms=i) for i in range(8)]
    world.analytics.append(mine[:5])
    world.analytics.append([ev(K.LOAD, 3, slug="other-quiz"), *mine[5:]])
    assert list(world.analytics.events("skin-quiz", Window())) == mine  # chunks of 3 on SQL
    window = Window(T0 + timedelta(minutes=2), T0 + timedelta(minutes=6))  # since included, until excluded
    assert [e.duration_ms for e in world.analytics.events("skin-quiz", window)] == [2, 3, 4, 5]
    assert [e.slug for e in world.analytics.events("other-quiz", Window())] == ["other-quiz"]


def test_every_field_of_an_event_survives(world: World, v1: Published) -> None:
    full = Event(K.SCREEN_SUBMIT, "skin-quiz", T0, 3, R[0], "goals", "clear_skin", "b", 1234)
    world.analytics.append([full])
    assert list(world.analytics.events("skin-quiz", Window())) == [full]


def test_response_facts_count_emails_and_the_latest_marketing_consent(world: World, v1: Published) -> None:
    given = ConsentRecord("marketing_opt_in", "email_marketing", "email_marketing", True, "Send me tips")
    withdrawn = ConsentRecord("marketing_opt_in", "email_marketing", "email_marketing", False, "Send me tips")
    write(world, v1.version_id, R[0], 0, email="a@example.com", consents=(given,))
    write(world, v1.version_id, R[1], 1, email="b@example.com", consents=(given,))
    write(world, v1.version_id, R[1], 2, is_new=False, consents=(withdrawn,))
    write(world, v1.version_id, R[2], 3)
    write(world, v1.version_id, R[3], 60 * 24, email="late@example.com", consents=(given,))
    other = world.publish(other_experience())
    write(world, other.version_id, R[4], 0, email="o@example.com", consents=(given,))
    facts = world.analytics.response_facts("skin-quiz", Window())
    assert (set(facts.emails), set(facts.opted_in)) == ({R[0], R[1], R[3]}, {R[0], R[3]})
    first_day = world.analytics.response_facts("skin-quiz", Window(T0, T0 + timedelta(days=1)))
    assert (set(first_day.emails), set(first_day.opted_in)) == ({R[0], R[1]}, {R[0]})


def test_export_rows_hold_every_response_with_its_answers_and_variant(world: World, v1: Published) -> None:
    for i, rid in enumerate(R[:4]):
        write(world, v1.version_id, rid, i, variant="b" if rid == R[1] else None)
    write(
        world,
        v1.version_id,
        R[1],
        9,
        is_new=False,
        answers={"skin_goals": ("goals", ["hydration"])},
        outcome_id="clear_skin",
        completed=True,
    )
    other = world.publish(other_experience())
    write(world, other.version_id, R[4], 0)
    world.analytics.append([ev(K.START, 1, response_id=R[2], variant="x")])  # the response's own column counts
    rows = list(world.analytics.export_rows("skin-quiz", 3))
    assert [row.response_id for row in rows] == R[:4]
    second = rows[1]
    assert dict(second.answers) == {"skin_type": "dry", "skin_goals": ["hydration"]}
    assert (second.outcome_id, second.variant, second.created_at) == ("clear_skin", "b", T0 + timedelta(minutes=1))
    assert second.completed_at == T0 + timedelta(minutes=9)
    assert rows[0].variant is None and rows[0].completed_at is None


def test_latest_is_the_current_definition_or_none(world: World, v1: Published) -> None:
    found = world.analytics.latest("skin-quiz")
    assert found is not None and found.slug == "skin-quiz"
    assert world.analytics.latest("nothing-here") is None


def test_an_experience_of_another_workspace_is_not_there_to_read(world: World, v1: Published) -> None:
    other = world.add_workspace("acme")
    theirs = (
        SqlAnalytics(world.engine, workspace_id=other)
        if isinstance(world, SqlWorld)
        else MemoryAnalytics(world.memory, workspace_id=other)
    )
    assert world.analytics.latest("skin-quiz") == v1.experience
    assert theirs.latest("skin-quiz") is None  # the service answers NotFound from there
    acme = world.publish(other_experience(), other)
    assert theirs.latest("other-quiz") == acme.experience and world.analytics.latest("other-quiz") is None
