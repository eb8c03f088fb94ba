"""The contract's batch limits (`batch_limits`, docs/delivery.md "Batching") on a real backlog: on
per_array a request carries 75 attributes objects and 75 events, so a backlog of completed
responses goes out in half the requests combined takes (https://www.braze.com/docs/api/api_limits;
https://www.braze.com/docs/api/endpoints/user_data/post_user_track#monthly-active-users-cy-24-25)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.delivery_rig import Rig
from zeroparty.domain.destination_settings import DestinationSettings

BACKLOG = 374  # each user: one attributes object and one completion event


@pytest.mark.parametrize(
    ("limits", "requests"),
    [("per_array", {5}), ("combined", {10, 11})],  # 374 / 75 per array; 748 objects / 75 in all
)
def test_a_backlog_with_completion_events_takes_the_requests_its_contract_allows(
    make_rig: Callable[..., Rig], limits: str, requests: set[int]
) -> None:
    settings = DestinationSettings.model_validate({"completion_event": "quiz_completed", "batch_limits": limits})
    rig = make_rig(settings=settings)
    rig.braze.per_array = limits == "per_array"  # Braze holds the company to its own contract
    for i in range(BACKLOG):
        rig.respond(f"u{i:03d}@example.com")
    rig.deliver()
    assert rig.states() == {"delivered": BACKLOG}
    assert all(c.status == 201 for c in rig.braze.tracks)  # never over the contract's limit
    assert len(rig.braze.tracks) in requests, [(len(c.attributes), len(c.events)) for c in rig.braze.tracks]
    assert sum(len(c.events) for c in rig.braze.tracks) == BACKLOG  # every completion event, once
