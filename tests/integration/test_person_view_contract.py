"""The person read model (services/person_view.py's `PersonReads`) as capture and delivery leave a
person, on SQLite, PostgreSQL and the in-memory twin alike: the response with its answers, the
consent with the text shown, and what the destination was sent and accepted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.databases import STORES, database_url
from tests.support.definitions import sample
from tests.support.outbox_world import T0, World
from zeroparty.adapters.db.person_view import SqlPersonReads
from zeroparty.adapters.memory.capture import MemoryCaptureStore
from zeroparty.adapters.memory.outbox import MemoryOutbox
from zeroparty.adapters.memory.person_view import MemoryPersonReads
from zeroparty.delivery.ports import Outbox
from zeroparty.domain.settle import SettlePlan
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.services.capture import CaptureService
from zeroparty.services.person_view import PersonReads

ADA = "ada@example.com"
CONSENT = "Send me skincare tips and offers. I can unsubscribe at any time."


@dataclass
class Setup:
    capture: CaptureService
    outbox: Outbox
    dest_id: int
    reads: PersonReads


@pytest.fixture(params=STORES)
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    if request.param == "memory":
        outbox = MemoryOutbox()
        store = MemoryCaptureStore(outbox)
        store.publish(sample(), T0)
        dest = outbox.add_destination("d", "http://127.0.0.1:1", "key-123456789")
        capture = CaptureService(store, clock=lambda: T0)
        yield Setup(capture, outbox, dest, MemoryPersonReads(store, workspace_id=DEFAULT_WORKSPACE_ID))
        return
    with database_url(request.param, tmp_path) as url:
        world = World(url, tmp_path)
        try:
            reads = SqlPersonReads(world.engine, workspace_id=DEFAULT_WORKSPACE_ID)
            yield Setup(world.capture, world.outbox, world.dest_id, reads)
        finally:
            world.engine.dispose()


def answer(s: Setup, email: str, skin: str = "dry") -> None:
    s.capture.submit_whole(
        "skin-quiz",
        {"skin_type": skin, "skin_goals": ["hydration"], "routine_length": "short"},
        {"email": email, "first_name": "Ada", "marketing_opt_in": True},
    )


def deliver_all(s: Setup) -> None:
    claim = s.outbox.claim(s.dest_id, "w", 75, 60, T0, window_s=0.0, settle_window_s=0.0)
    plan = SettlePlan(
        delivered=tuple(i.id for u in claim.users for i in u.items),
        accepted={u.user_key: {"skin_type": u.items[-1].attributes["skin_type"]} for u in claim.users},
    )
    s.outbox.settle(s.dest_id, "w", plan, {u.user_key: u.version for u in claim.users}, T0)


def test_a_person_reads_back_as_capture_and_delivery_left_them(setup: Setup) -> None:
    answer(setup, ADA)
    answer(setup, "bob@example.com", "oily")
    deliver_all(setup)

    person = setup.reads.person(ADA)

    assert person is not None
    [response] = person.responses
    assert (response.experience, response.version, response.completed) == ("skin-quiz", 1, True)
    assert response.outcome == "hydration_boost"
    assert {a.element_id: a.value for a in response.answers}["skin_goals"] == ["hydration"]
    assert [(c.response_id, c.given, c.text, c.purpose) for c in person.consents] == [
        (response.id, True, CONSENT, "email_marketing")
    ]
    [dest] = person.destinations
    assert dest.destination == "d"
    assert [(i.response_id, i.user_key, i.state, i.attempts) for i in dest.items] == [
        (response.id, ADA, "delivered", 1)
    ]
    assert dest.items[0].attributes["skin_type"] == "dry"
    assert dest.accepted == {ADA: {"skin_type": "dry"}}


def test_a_queued_change_shows_pending_and_nobody_is_none(setup: Setup) -> None:
    answer(setup, ADA)
    person = setup.reads.person(ADA)
    assert person is not None
    assert [(i.state, i.delivered_at) for i in person.destinations[0].items] == [("pending", None)]
    assert person.destinations[0].accepted == {}
    assert setup.reads.person("nobody@example.com") is None
