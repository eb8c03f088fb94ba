"""The monthly data-point budget: warnings at 80 % and 100 %, and `over_budget: hold` keeping new
updates pending (nothing dropped) until the month turns or the budget is raised."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from tests.support.delivery_rig import Rig
from zeroparty.domain.budget import budget_state, month_of
from zeroparty.domain.destination_settings import DestinationSettings

FIRST = 5  # data points of a first skin-quiz response with a first name (see test_forecast.py)


def held_rig(make_rig: Callable[..., Rig], budget: int, over: str = "hold") -> Rig:
    settings = DestinationSettings(monthly_data_point_budget=budget, over_budget=over)
    return make_rig(settings=settings)


def test_over_budget_hold_keeps_new_updates_pending_until_the_budget_is_raised(
    make_rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = held_rig(make_rig, budget=2 * FIRST)
    for n in range(2):
        rig.respond(f"p{n}@example.com", first_name="P")
    rig.deliver()
    assert rig.outbox.month_points(rig.dest, month_of(rig.time.now())) == 2 * FIRST
    rig.respond("late@example.com", first_name="L")
    rig.deliver(within_s=3600)
    assert rig.states() == {"delivered": 2, "pending": 1}  # held, not dropped
    assert len(rig.braze.tracks) == 1
    assert any("is over its budget" in r.getMessage() and "held" in r.getMessage() for r in caplog.records)
    record = rig.outbox.destination(rig.dest)
    rig.outbox.set_settings(rig.dest, record.settings.model_copy(update={"monthly_data_point_budget": 100}))
    rig.deliver()
    assert rig.states() == {"delivered": 3}


def test_held_updates_go_when_the_month_turns(make_rig: Callable[..., Rig]) -> None:
    rig = held_rig(make_rig, budget=FIRST)
    rig.respond("a@example.com", first_name="A")
    rig.deliver()
    rig.respond("b@example.com", first_name="B")
    rig.deliver(within_s=3600)
    assert rig.states() == {"delivered": 1, "pending": 1}
    now = rig.time.now()
    next_month = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    rig.time.advance((next_month - now).total_seconds())
    rig.deliver()
    assert rig.states() == {"delivered": 2}


def test_over_budget_send_only_warns_once_at_each_threshold(
    make_rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = held_rig(make_rig, budget=2 * FIRST, over="send")
    caplog.set_level(logging.WARNING, "zeroparty.delivery")
    for n in range(4):
        rig.respond(f"s{n}@example.com", first_name="S")
        rig.deliver()
    assert rig.states() == {"delivered": 4}
    warnings = [r.getMessage() for r in caplog.records if getattr(r, "action", None) == "budget"]
    assert len(warnings) == 1 and "is over its budget" in warnings[0] and "still sending" in warnings[0]


def test_the_worker_warns_once_at_eighty_percent(
    make_rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = held_rig(make_rig, budget=5 * FIRST, over="send")
    caplog.set_level(logging.WARNING, "zeroparty.delivery")
    for n in range(5):  # 4 responses: 80 %; the fifth is delivered with the warning given once
        rig.respond(f"e{n}@example.com", first_name="E")
        rig.deliver()
    warnings = [r.getMessage() for r in caplog.records if getattr(r, "action", None) == "budget"]
    assert warnings[0] == f"destination 'braze' has used {4 * FIRST} of {5 * FIRST} data points this month (80 %)"
    assert sum("has used" in w for w in warnings) == 1


def test_the_budget_levels() -> None:
    settings = DestinationSettings(monthly_data_point_budget=1000)
    assert [budget_state(settings, n).level for n in (0, 799, 800, 999, 1000)] == ["ok", "ok", "near", "near", "over"]
    assert budget_state(DestinationSettings(), 10**9).level == "none"
    assert (
        budget_state(settings, 810).warning("prod")
        == "destination 'prod' has used 810 of 1,000 data points this month (81 %)"
    )
