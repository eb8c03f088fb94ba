"""Replaying dead items, as `zeroparty deliveries replay` and the console ask for it: which ids are
replayed, what each other id is told, and the chunks the outbox is asked to requeue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from zeroparty.errors import FieldError, NotFound
from zeroparty.services.deliveries import (
    REPLAY_CHUNK,
    Attempt,
    DeadItem,
    DeliveriesService,
    DestinationStats,
    ItemState,
    dead_among,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DESTINATIONS = {"eu": 1, "us": 2}


class Reads:
    """The store's side: a few items in their states, per destination."""

    def __init__(self, items: dict[str, ItemState]) -> None:
        self.items_by_id = items

    def destination_id(self, name: str) -> int:
        if name not in DESTINATIONS:
            raise NotFound(FieldError("--destination", f"no destination named '{name}'"))
        return DESTINATIONS[name]

    def stats(self, now: datetime) -> list[DestinationStats]:
        return []

    def dead(self, destination: str | None = None) -> list[DeadItem]:
        if destination is not None:
            self.destination_id(destination)
        return [
            DeadItem(i.id, i.destination, "kim@example.com", T0, 3, "invalid", "r")
            for i in self.items_by_id.values()
            if i.state == "dead" and destination in (None, i.destination)
        ]

    def items(self, ids: Sequence[str]) -> dict[str, ItemState]:
        return {i: self.items_by_id[i] for i in ids if i in self.items_by_id}

    def attempts(self, limit: int, response_id: str | None = None) -> list[Attempt]:
        made = [
            Attempt(T0, i.destination, "kim@example.com", i.id, "r", i.state, None) for i in self.items_by_id.values()
        ]
        return [a for a in made if response_id in (None, a.response_id)][:limit]


class Requeue:
    """The outbox's side: records each chunk; `lost` items were replayed by someone else first."""

    def __init__(self, lost: int = 0) -> None:
        self.calls: list[tuple[list[str], int | None]] = []
        self.lost = lost

    def requeue_dead(self, ids: Sequence[str], now: datetime, *, destination_id: int | None = None) -> int:
        self.calls.append((list(ids), destination_id))
        taken, self.lost = min(self.lost, len(ids)), self.lost - min(self.lost, len(ids))
        return len(ids) - taken


def dead_items(n: int) -> dict[str, ItemState]:
    return {f"d{i:04d}": ItemState(f"d{i:04d}", "eu", "dead") for i in range(n)}


def test_each_id_that_is_not_a_dead_item_of_the_destination_says_why() -> None:
    found = {
        "a": ItemState("a", "eu", "dead"),
        "b": ItemState("b", "eu", "in_flight"),
        "c": ItemState("c", "us", "dead"),
    }
    wanted, problems = dead_among(found, ["a", "b", "c", "zz", "a"], "eu")
    assert wanted == ["a"]
    assert problems == [
        "ID: 'b' is in flight, not dead: nothing to replay",
        "ID: 'c' is a dead item of 'us', not of --destination",
        "ID: 'zz' is not a delivery item",
    ]


def test_replaying_every_dead_item_goes_in_chunks_for_its_destination_only() -> None:
    items = dead_items(REPLAY_CHUNK * 2 + 3) | {"x": ItemState("x", "eu", "pending")}
    items |= {f"u{i}": ItemState(f"u{i}", "us", "dead") for i in range(2)}
    requeue = Requeue()
    done = DeliveriesService(Reads(items), requeue, clock=lambda: T0).replay(None, "eu")
    assert (done.wanted, done.replayed, done.problems) == (REPLAY_CHUNK * 2 + 3, REPLAY_CHUNK * 2 + 3, [])
    assert [len(ids) for ids, _ in requeue.calls] == [REPLAY_CHUNK, REPLAY_CHUNK, 3]
    assert {dest for _, dest in requeue.calls} == {DESTINATIONS["eu"]}


def test_items_replayed_by_someone_else_meanwhile_are_reported() -> None:
    done = DeliveriesService(Reads(dead_items(4)), Requeue(lost=1)).replay(["d0000", "d0001", "d0002", "d0003"])
    assert (done.wanted, done.replayed) == (4, 3)
    assert done.problems == ["ID: 1 item(s) were no longer dead when replayed"]


def test_an_unknown_destination_is_refused_before_anything_is_replayed() -> None:
    requeue = Requeue()
    with pytest.raises(NotFound):
        DeliveriesService(Reads(dead_items(2)), requeue).replay(["d0000"], "moon")
    assert requeue.calls == []


def test_a_service_made_to_read_only_refuses_to_replay() -> None:
    with pytest.raises(RuntimeError):
        DeliveriesService(Reads(dead_items(1))).replay(None)


def test_a_response_s_history_asks_for_that_response_only() -> None:
    service = DeliveriesService(Reads(dead_items(3)))
    assert len(service.recent(2)) == 2 and len(service.history("r")) == 3 and service.history("other") == []


def test_a_replay_on_someones_behalf_is_audited_and_one_without_an_actor_is_not() -> None:
    from zeroparty.adapters.memory.audit import MemoryAuditLog
    from zeroparty.services.audit import AuditService

    audit = AuditService(MemoryAuditLog(), clock=lambda: T0)
    svc = DeliveriesService(Reads(dead_items(3)), Requeue(), clock=lambda: T0, audit=audit, workspace_id=2)
    svc.replay(["d0000"])  # the caller logs it itself (or it is not a person's change)
    assert audit.list(2) == []
    svc.replay(None, actor="cli:ada")
    [entry] = audit.list(2)
    assert (entry.actor, entry.action, entry.target) == ("cli:ada", "deliveries.replay", "every destination")
    assert entry.detail == {"all": True, "wanted": 3, "replayed": 3}  # the fake keeps every item dead
