"""Analytics on the in-memory stores: capture records start, submit (with time on screen) and
complete after each commit and nothing for a refused submit; the stats service turns the log and
the responses into the funnel; the export streams CSV (formula-safe) and JSON lines; the date
options are read strictly."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.definitions import sample
from zeroparty.adapters.memory import MemoryCaptureStore
from zeroparty.adapters.memory.analytics import MemoryAnalytics
from zeroparty.domain.experience.export_columns import columns
from zeroparty.domain.experience.funnel import Event, EventKind
from zeroparty.errors import InvalidInput, NotFound
from zeroparty.services.analytics import AnalyticsService, parse_window
from zeroparty.services.analytics_ports import Window
from zeroparty.services.capture import CaptureService
from zeroparty.services.event_buffer import EventBuffer

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
K = EventKind
CONTACT = {"email": "kim@example.com", "first_name": "=HYPERLINK(1)", "marketing_opt_in": True}


class World:
    def __init__(self) -> None:
        self.store = MemoryCaptureStore()
        self.store.publish(sample(), T0)
        self.log = MemoryAnalytics(self.store)
        self.buffer = EventBuffer(self.log)  # flushed by hand here
        self.capture = CaptureService(self.store, clock=lambda: T0, events=self.buffer)
        self.analytics = AnalyticsService(self.log)

    def answer_all(self, *, contact: dict[str, object] = CONTACT) -> str:
        svc = self.capture
        rid = svc.submit_screen("skin-quiz", None, "skin", {"skin_type": "dry"}, time_on_screen_ms=1200).response_id
        svc.submit_screen("skin-quiz", rid, "goals", {"skin_goals": ["hydration"]}, time_on_screen_ms=800)
        svc.submit_screen("skin-quiz", rid, "routine", {"routine_length": "short"})
        svc.submit_screen("skin-quiz", rid, "contact", contact)
        return rid

    def events(self) -> list[Event]:
        self.buffer.flush()
        return list(self.log.events("skin-quiz", Window()))


@pytest.fixture
def world() -> World:
    return World()


def test_capture_records_start_submits_and_complete_after_each_commit(world: World) -> None:
    rid = world.answer_all()
    got = [(e.kind, e.screen_id, e.duration_ms, e.outcome_id) for e in world.events()]
    assert got == [
        (K.START, None, None, None),
        (K.SCREEN_SUBMIT, "skin", 1200, None),
        (K.SCREEN_SUBMIT, "goals", 800, None),
        (K.SCREEN_SUBMIT, "routine", None, None),
        (K.SCREEN_SUBMIT, "contact", None, None),
        (K.COMPLETE, None, None, "hydration_boost"),
    ]
    assert {e.response_id for e in world.events()} == {rid}
    assert {e.version for e in world.events()} == {1}


def test_a_refused_submit_records_nothing(world: World) -> None:
    with pytest.raises(InvalidInput):
        world.capture.submit_screen("skin-quiz", None, "skin", {"skin_type": "purple"})
    assert world.events() == []


def test_a_whole_response_records_its_start_and_completion(world: World) -> None:
    answers = {"skin_type": "oily", "skin_goals": ["breakouts"], "routine_length": "none"}
    world.capture.submit_whole("skin-quiz", answers, {"email": "kim@example.com"})
    assert [e.kind for e in world.events()] == [K.START, K.COMPLETE]


def test_stats_join_the_log_and_the_responses(world: World) -> None:
    world.log.append([Event(K.LOAD, "skin-quiz", T0), Event(K.LOAD, "skin-quiz", T0)])
    world.answer_all()
    world.capture.submit_screen("skin-quiz", None, "skin", {"skin_type": "oily"})
    world.buffer.flush()
    stats = world.analytics.stats("skin-quiz").overall
    assert (stats.loads, stats.starts, stats.completions, stats.emails_captured, stats.opted_in) == (2, 2, 1, 1, 1)
    assert [(s.id, s.submits, s.median_ms) for s in stats.screens] == [
        ("skin", 2, 1200),
        ("goals", 1, 800),
        ("routine", 1, None),
        ("contact", 1, None),
    ]
    assert stats.outcomes["hydration_boost"] == 1
    empty = world.analytics.stats("skin-quiz", Window(T0 + timedelta(days=1))).overall
    assert (empty.starts, empty.emails_captured) == (0, 0)


def test_stats_and_export_of_an_unknown_experience_name_the_slug(world: World) -> None:
    with pytest.raises(NotFound, match="slug"):
        world.analytics.stats("nope")
    with pytest.raises(NotFound, match="slug"):
        world.analytics.export("nope", "csv")


def test_the_csv_export_has_a_column_per_element_and_neutralises_formulas(world: World) -> None:
    rid = world.answer_all()
    world.buffer.flush()
    lines = list(world.analytics.export("skin-quiz", "csv"))
    assert len(lines) == 2  # one line at a time: the header, then each response
    table = list(csv.reader(io.StringIO("".join(lines))))
    assert table[0] == columns(sample())
    row = dict(zip(table[0], table[1], strict=True))
    assert row["response_id"] == rid and row["outcome"] == "hydration_boost"
    assert row["first_name"] == "'=HYPERLINK(1)" and row["skin_goals"] == "hydration"
    assert row["created_at"] == "2026-03-01T12:00:00Z" and row["variant"] == ""


def test_the_jsonl_export_keeps_json_values(world: World) -> None:
    world.answer_all()
    (line,) = list(world.analytics.export("skin-quiz", "jsonl"))
    row = json.loads(line)
    assert list(row) == columns(sample())
    assert row["skin_goals"] == ["hydration"] and row["first_name"] == "=HYPERLINK(1)"
    assert row["marketing_opt_in"] is True


def test_the_date_options_are_whole_utc_days() -> None:
    window = parse_window("2026-03-01", "2026-03-02")
    assert window == Window(T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=2))
    assert parse_window(None, None) == Window()


@pytest.mark.parametrize(
    ("since", "until", "option"),
    [("yesterday", None, "--since"), (None, "2026-13-01", "--until"), ("2026-03-02", "2026-03-01", "--until")],
)
def test_a_bad_date_names_its_option(since: str | None, until: str | None, option: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_window(since, until)
    assert [e.field for e in caught.value.errors] == [option]


@given(st.text(max_size=30))
def test_any_since_text_is_a_day_or_a_refusal_naming_since(raw: str) -> None:
    try:
        window = parse_window(raw, None)
    except InvalidInput as exc:
        assert [e.field for e in exc.errors] == ["--since"]
    else:
        assert window.since is not None and window.since.tzinfo is UTC
