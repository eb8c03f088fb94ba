"""The destinations as operators manage them (`services.destinations.DestinationStore`), on a real
SQLite file, a real PostgreSQL database and the in-memory twin: names are unique, the key is shown
only as a hint, a new key or endpoint resumes what it paused, and removing one refuses while rows
wait and otherwise takes everything delivery holds for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import STORES, store_for
from tests.support.outbox_world import T0, MemoryWorld, OutboxWorld, World
from zeroparty.domain.classify import WRONG_ENDPOINT_ADVICE
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.settle import SettlePlan
from zeroparty.errors import InvalidInput, NotFound
from zeroparty.services.destination_types import Removed

KEY = "braze-rest-key-abcd1234"


@pytest.fixture(params=STORES)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OutboxWorld]:
    with store_for(request.param, tmp_path, World, MemoryWorld) as found:
        yield found


def test_a_destination_is_listed_by_name_with_a_hint_of_its_key_only(world: OutboxWorld) -> None:
    world.destinations.add_braze("eu", "https://rest.fra-01.braze.eu", KEY, T0)
    with pytest.raises(InvalidInput, match="already exists"):
        world.destinations.add_braze("eu", "https://rest.iad-01.braze.com", KEY, T0)
    views = {v.name: v for v in world.destinations.list()}
    assert list(views) == ["d", "eu"]
    assert (views["eu"].kind, views["eu"].endpoint, views["eu"].key_hint) == (
        "braze",
        "https://rest.fra-01.braze.eu",
        "…1234",
    )
    assert KEY not in repr(views["eu"])
    found = world.destinations.connection("eu")
    assert (found.api_key, found.key_hint, found.id) == (KEY, "…1234", views["eu"].id)
    with pytest.raises(NotFound):
        world.destinations.connection("nowhere")


def test_the_queue_counts_follow_the_rows(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    world.respond("b@x.co")
    claim = world.claim("w", 1)
    world.deliver("w", claim)
    [view] = world.destinations.list()
    assert (view.pending, view.delivered, view.dead) == (1, 1, 0)


def test_a_new_key_or_a_new_endpoint_resumes_what_it_paused(world: OutboxWorld) -> None:
    world.outbox.pause(world.dest_id, "Braze refused the key (401)", None)
    assert world.destinations.update_key("d", "braze-rest-key-new0009") == "Braze refused the key (401)"
    assert world.destinations.connection("d").paused_reason is None
    assert world.destinations.connection("d").key_hint == "…0009"
    wrong = f"Braze answered 404 at this endpoint: {WRONG_ENDPOINT_ADVICE}"
    world.outbox.pause(world.dest_id, wrong, None)
    settings = DestinationSettings(max_in_flight=3)
    assert world.destinations.set_settings("d", settings) is None  # the same endpoint resumes nothing
    assert world.destinations.connection("d").paused_reason == wrong
    assert world.destinations.set_settings("d", settings, endpoint="https://rest.iad-02.braze.com") == wrong
    found = world.destinations.connection("d")
    assert (found.endpoint, found.paused_reason, found.settings.max_in_flight) == (
        "https://rest.iad-02.braze.com",
        None,
        3,
    )
    assert world.destinations.settings("d") == settings


def test_a_destination_with_rows_waiting_is_removed_only_when_forced_and_with_them(world: OutboxWorld) -> None:
    world.respond("a@x.co")
    world.respond("b@x.co")
    claim = world.claim("w", 1)
    world.outbox.settle(
        world.dest_id,
        "w",
        SettlePlan(delivered=tuple(i.id for u in claim.users for i in u.items)),
        {u.user_key: u.version for u in claim.users},
        T0,
    )
    with pytest.raises(InvalidInput, match="1 outbox row"):
        world.destinations.remove("d")
    assert [v.name for v in world.destinations.list()] == ["d"]
    assert world.destinations.remove("d", force=True) == Removed(outbox_rows=2, waiting=1, attempts=1)
    assert world.destinations.list() == [] and world.states() == []
    with pytest.raises(NotFound):
        world.destinations.remove("d")


def test_another_workspace_neither_sees_nor_changes_a_destination_and_may_reuse_its_name(world: OutboxWorld) -> None:
    theirs, _ = world.another_workspace()
    assert theirs.list() == []
    for attempt in (
        lambda: theirs.connection("d"),
        lambda: theirs.settings("d"),
        lambda: theirs.update_key("d", "braze-rest-key-new0009"),
        lambda: theirs.set_settings("d", DestinationSettings(max_in_flight=3)),
        lambda: theirs.resume("d"),
        lambda: theirs.pause("d", "not theirs"),
        lambda: theirs.remove("d", force=True),
    ):
        with pytest.raises(NotFound, match="no destination named 'd'"):
            attempt()
    their_id = theirs.add_braze("d", "https://rest.fra-01.braze.eu", KEY, T0)  # names are unique per workspace
    assert [(v.id, v.endpoint) for v in theirs.list()] == [(their_id, "https://rest.fra-01.braze.eu")]
    ours = world.destinations.connection("d")
    assert (ours.id, ours.endpoint, ours.key_hint) == (world.dest_id, "http://127.0.0.1:1", "…6789")
    assert [v.name for v in world.destinations.list()] == ["d"]
    theirs.remove("d")
    assert world.destinations.connection("d").id == world.dest_id


def test_a_destination_paused_by_hand_shows_why_until_resumed(world: OutboxWorld) -> None:
    world.destinations.pause("d", "paused by hand: new campaign")
    [view] = world.destinations.list()
    assert view.paused_reason == "paused by hand: new campaign" and view.paused_until is None
    assert world.destinations.connection("d").paused_reason == "paused by hand: new campaign"
    world.destinations.resume("d")
    assert world.destinations.list()[0].paused_reason is None
