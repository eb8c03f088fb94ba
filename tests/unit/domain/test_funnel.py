"""The funnel, per-screen drop-off and medians, outcome distribution and variants, computed from
events alone; and the time-on-screen field the hosted pages post, as outside input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from zeroparty.domain.experience.funnel import (
    MAX_SCREEN_MS,
    Event,
    EventKind,
    ResponseFacts,
    funnel_stats,
    time_on_screen,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCREENS = ["skin", "goals", "contact"]
OUTCOMES = ["hydration_boost", "clear_skin"]
K = EventKind


def ev(kind: EventKind, rid: str | None = None, **kw: object) -> Event:
    return Event(kind, "skin-quiz", T0 + timedelta(seconds=1), 1, rid, **kw)  # type: ignore[arg-type]


def one_path(rid: str, screens: list[tuple[str, int]], outcome: str | None, variant: str | None = None) -> list[Event]:
    """A respondent who loads, starts, and submits `screens` (id, ms on screen); completes with `outcome`."""
    events = [ev(K.LOAD, variant=variant), ev(K.SCREEN_VIEW, screen_id=screens[0][0], variant=variant)]
    for i, (screen, ms) in enumerate(screens):
        if i:
            events.append(ev(K.SCREEN_VIEW, rid, screen_id=screen, variant=variant))
        if i == 0:
            events.append(ev(K.START, rid, variant=variant))
        events.append(ev(K.SCREEN_SUBMIT, rid, screen_id=screen, duration_ms=ms, variant=variant))
    if outcome is not None:
        events.append(ev(K.COMPLETE, rid, outcome_id=outcome, variant=variant))
    return events


def test_the_funnel_counts_loads_starts_completions_and_the_responses_facts() -> None:
    events = (
        one_path("r1", [("skin", 1000), ("goals", 3000), ("contact", 5000)], "clear_skin")
        + one_path("r2", [("skin", 2000), ("goals", 1000)], None)
        + [ev(K.LOAD), ev(K.SCREEN_VIEW, screen_id="skin")]  # looked and left
        + [ev(K.SCREEN_VIEW, "r2", screen_id="contact")]  # r2 saw the last screen and left
    )
    stats = funnel_stats(events, SCREENS, OUTCOMES, ResponseFacts(frozenset({"r1", "r2"}), frozenset({"r1"})))
    f = stats.overall
    assert (f.loads, f.starts, f.completions, f.emails_captured, f.opted_in) == (3, 2, 1, 2, 1)
    assert [(s.id, s.views, s.submits, s.drop_off) for s in f.screens] == [
        ("skin", 3, 2, 1),
        ("goals", 2, 2, 0),
        ("contact", 2, 1, 1),
    ]
    assert [s.median_ms for s in f.screens] == [1500, 2000, 5000]
    assert f.screens[0].drop_off_rate == 0.3333
    assert f.outcomes == {"hydration_boost": 0, "clear_skin": 1}  # every outcome listed, reached or not
    assert stats.variants == {}


def test_a_screen_nobody_saw_has_no_rate_and_no_median() -> None:
    f = funnel_stats([], SCREENS, OUTCOMES).overall
    assert [(s.views, s.drop_off_rate, s.median_ms) for s in f.screens] == [(0, None, None)] * 3
    assert (f.loads, f.starts, f.completions) == (0, 0, 0)


def test_screens_of_older_versions_follow_in_id_order_and_odd_durations_are_left_out() -> None:
    events = [
        ev(K.SCREEN_SUBMIT, "r1", screen_id="zz_old", duration_ms=10),
        ev(K.SCREEN_SUBMIT, "r1", screen_id="skin", duration_ms=-5),
        ev(K.SCREEN_SUBMIT, "r1", screen_id="skin", duration_ms=MAX_SCREEN_MS + 1),
        ev(K.SCREEN_SUBMIT, "r1", screen_id="skin", duration_ms=None),
    ]
    f = funnel_stats(events, SCREENS, OUTCOMES).overall
    assert [s.id for s in f.screens] == [*SCREENS, "zz_old"]
    assert f.screens[0].submits == 3 and f.screens[0].median_ms is None


def test_two_variants_get_a_funnel_each_and_their_own_share_of_the_responses_facts() -> None:
    events = one_path("a1", [("skin", 100)], "clear_skin", "a") + one_path("b1", [("skin", 300)], None, "b")
    facts = ResponseFacts(frozenset({"a1", "b1"}), frozenset({"b1"}))
    stats = funnel_stats(events, SCREENS, OUTCOMES, facts)
    assert sorted(stats.variants) == ["a", "b"]
    a, b = stats.variants["a"], stats.variants["b"]
    assert (a.starts, a.completions, a.emails_captured, a.opted_in) == (1, 1, 1, 0)
    assert (b.starts, b.completions, b.emails_captured, b.opted_in) == (1, 0, 1, 1)
    assert b.screens[0].median_ms == 300
    assert set(stats.as_json()["variants"]) == {"a", "b"}


def test_one_variant_alone_is_just_the_overall_funnel() -> None:
    stats = funnel_stats(one_path("a1", [("skin", 100)], None, "a"), SCREENS, OUTCOMES)
    assert stats.variants == {} and "variants" not in stats.as_json()


def test_the_json_has_the_documented_keys() -> None:
    shown = funnel_stats(one_path("r1", [("skin", 100)], "clear_skin"), SCREENS, OUTCOMES).as_json()
    assert {"loads", "starts", "completions", "screens", "outcomes"} <= set(shown)
    assert shown["screens"][0] == {
        "id": "skin",
        "views": 1,
        "submits": 1,
        "drop_off": 0,
        "drop_off_rate": 0.0,
        "median_ms": 100,
    }
    assert shown["outcomes"] == {"hydration_boost": 0, "clear_skin": 1}


NOW_MS = 1_800_000_000_000


def test_time_on_screen_is_the_time_since_the_page_was_shown() -> None:
    assert time_on_screen(str(NOW_MS - 2500), NOW_MS) == 2500
    assert time_on_screen(str(NOW_MS + 1), NOW_MS) is None  # from the future
    assert time_on_screen(str(NOW_MS - MAX_SCREEN_MS - 1), NOW_MS) is None
    assert time_on_screen(None, NOW_MS) is None
    assert time_on_screen("", NOW_MS) is None
    assert time_on_screen("-5", NOW_MS) is None
    assert time_on_screen("١٢٣", NOW_MS) is None  # digits, but not ASCII ones


@given(st.text(max_size=40))
def test_time_on_screen_takes_any_text_and_answers_none_or_a_bounded_number(raw: str) -> None:
    spent = time_on_screen(raw, NOW_MS)
    assert spent is None or 0 <= spent <= MAX_SCREEN_MS


@given(st.integers(min_value=0, max_value=MAX_SCREEN_MS))
def test_time_on_screen_reads_back_every_plausible_duration(spent: int) -> None:
    assert time_on_screen(str(NOW_MS - spent), NOW_MS) == spent
