"""The data-point forecast equals what the engine then counts: a first response, an identical
repeat and a one-change repeat, at destinations with different identities and events."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.definitions import sample
from tests.support.delivery_rig import Rig
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.forecast import forecast


@pytest.mark.parametrize(
    "settings",
    [
        DestinationSettings(),
        DestinationSettings(identity="user_alias", completion_event="quiz_completed"),
        DestinationSettings(completion_event="quiz_completed", exclude=frozenset({"first_name"})),
    ],
)
def test_the_forecast_is_what_delivery_then_costs(make_rig: Callable[..., Rig], settings: DestinationSettings) -> None:
    rig = make_rig(settings=settings)
    expected = forecast(sample(), settings)
    rig.respond("kim@example.com", first_name="Kim")  # every question answered
    rig.deliver()
    first = rig.outbox.counters(rig.dest).points_sent
    assert first == expected.first
    rig.respond("kim@example.com", first_name="Kim")
    rig.deliver()
    repeat = rig.outbox.counters(rig.dest).points_sent - first
    assert repeat == expected.repeat
    rig.respond("kim@example.com", skin="oily", first_name="Kim")
    rig.deliver()
    assert rig.outbox.counters(rig.dest).points_sent - first - repeat == expected.repeat + 1


def test_the_forecast_says_what_it_counts() -> None:
    f = forecast(sample(), DestinationSettings(identity="user_alias", completion_event="done"))
    assert f.first_text() == "up to 7 (5 attribute(s), the email, the event)"
    assert f.repeat_text() == "1 if unchanged, +1 per changed answer"
