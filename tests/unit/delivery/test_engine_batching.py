"""Batching within Braze's limits (https://www.braze.com/docs/api/api_limits): 75 objects per
request counted across attributes and events (or per array, as some contracts count them; fewer
when a destination's max_objects says so),
4 MB per request, 100 KB per object; what no request could carry is dead at once, and the rest of
the claim is delivered."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.delivery_rig import Rig
from zeroparty.domain.destination_settings import DestinationSettings


def test_a_backlog_goes_out_in_full_batches(rig: Rig) -> None:
    n = 1000
    for i in range(n):
        rig.queue(f"user{i:04d}@example.com", {"skin_type": ("dry", "oily")[i % 2]})
    rig.deliver()
    assert rig.states() == {"delivered": n}
    sizes = sorted((len(c.attributes) for c in rig.braze.tracks), reverse=True)
    assert sizes == [75] * (n // 75) + [n % 75] and len(sizes) == math.ceil(n / 75)
    assert rig.braze.profiles["user0999@example.com"]["skin_type"] == "oily"


@pytest.mark.parametrize(
    ("settings", "biggest"),
    [
        # Attributes and the completion event: two objects a user, 75 objects in all.
        (DestinationSettings(completion_event="quiz_completed"), (37, 37)),
        (DestinationSettings(completion_event="quiz_completed", batch_limits="per_array"), (75, 75)),  # 75 per array
        (DestinationSettings(max_objects=50), (50, 0)),  # a lower max_objects
    ],
    ids=["combined", "per-array", "fewer"],
)
def test_the_object_limit_is_counted_as_the_contract_says(
    make_rig: Callable[..., Rig], settings: DestinationSettings, biggest: tuple[int, int]
) -> None:
    rig = make_rig(settings=settings)
    rig.braze.max_objects, rig.braze.per_array = settings.max_objects, settings.batch_limits == "per_array"
    for i in range(100):
        rig.respond(f"u{i:03d}@example.com")
    rig.deliver()
    assert rig.states() == {"delivered": 100}
    loads = [(len(c.attributes), len(c.events)) for c in rig.braze.tracks]
    assert all(c.status == 201 for c in rig.braze.tracks)  # none refused as too many objects
    assert max(loads) == biggest, loads  # the first requests are full


def test_a_request_stays_within_4_mb(rig: Rig) -> None:
    big = {f"note{i:03d}": "x" * 250 for i in range(360)}  # about 95 KB: under the object limit
    for i in range(75):
        rig.queue(f"u{i:02d}@example.com", big)
    rig.deliver()
    assert rig.states() == {"delivered": 75}
    sizes = [len(json.dumps(c.body, separators=(",", ":")).encode()) for c in rig.braze.tracks]
    assert len(sizes) == 2 and max(sizes) <= 4 * 1024 * 1024, sizes


GOOD = {"first_name": "Kim", "skin_type": "dry"}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            {"skin_type": "lone \ud83d half"},
            "cannot be sent to Braze: attribute 'skin_type' is not valid Unicode text "
            "(it holds a lone surrogate, which UTF-8 cannot encode)",
        ),
        (
            {"skin_type": "x" * (110 * 1024)},
            "cannot be sent to Braze: the profile update is 112,685 bytes, over Braze's limit of 102,400 bytes per object",
        ),
        (
            {"score": float("nan")},
            "cannot be sent to Braze: attribute 'score' holds a number JSON cannot carry (NaN or infinity)",
        ),
    ],
    ids=["lone-surrogate", "over-100KB", "nan"],
)
def test_one_poisoned_object_among_a_hundred_good_ones(rig: Rig, bad: dict[str, Any], reason: str) -> None:
    good = [f"good{i:03d}@example.com" for i in range(100)]
    for email in good[:40]:
        rig.queue(email, GOOD)
    poison = rig.queue("poison@example.com", bad)  # in the middle of the claim, good users either side
    for email in good[40:]:
        rig.queue(email, GOOD)
    rig.deliver()
    assert rig.states() == {"delivered": 100, "dead": 1}
    assert sorted(rig.braze.profiles) == sorted(good)
    assert all("poison@example.com" not in c.users for c in rig.braze.tracks)  # never sent
    row = rig.outbox.row(poison)
    assert (row.state, row.attempts, row.last_error) == ("dead", 1, reason)
    assert [(a.outcome, a.detail) for a in rig.outbox.history(poison)] == [("dead", reason)]
