"""A store with one destination and the sample experience, for the outbox contract tests: on a real
SQLite file or PostgreSQL database (`World`) or in memory (`MemoryWorld`). Both drive the outbox
through its port and read its state back through the same small typed interface, `OutboxWorld`
(the `outbox_world` fixture in tests/integration/conftest.py runs each test on all three)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support.definitions import sample
from tests.support.workspaces import another_workspace
from zeroparty.adapters.crypto import SecretBox, load_or_create_key
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.capture import SqlCaptureStore
from zeroparty.adapters.db.deliveries import SqlDeliveries
from zeroparty.adapters.db.destinations import SqlDestinations
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.outbox import SqlOutbox
from zeroparty.adapters.db.schema import delivery_attempts, delivery_counters, delivery_queue, delivery_state, outbox
from zeroparty.adapters.memory import MemoryCaptureStore, MemoryOutbox
from zeroparty.adapters.memory.deliveries import MemoryDeliveries
from zeroparty.adapters.memory.destinations import MemoryDestinations
from zeroparty.delivery.ports import Claim, Outbox
from zeroparty.domain.retry import RetryPolicy
from zeroparty.domain.settle import SettlePlan
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.services.capture import CaptureService
from zeroparty.services.deliveries import DeadRequeue, DeliveryReads
from zeroparty.services.destinations import DestinationStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DEFAULT_POLICY = RetryPolicy()


class OutboxWorld(ABC):
    """What the contract tests do to an outbox (through the port) and read back from it."""

    dest_id: int
    outbox: Outbox
    capture: CaptureService
    deliveries: DeliveryReads  # the operator's view of the same store (services/deliveries.py)
    requeue: DeadRequeue  # the outbox's replay of dead rows
    destinations: DestinationStore  # the destinations the outbox delivers to, as operators manage them

    def respond(self, email: str, skin: str = "dry") -> None:
        self.capture.submit_whole(
            "skin-quiz",
            {"skin_type": skin, "skin_goals": ["hydration"], "routine_length": "short"},
            {"email": email},
        )

    def claim(
        self,
        owner: str,
        max_users: int = 75,
        at: datetime = T0,
        *,
        window_s: float = 0.0,
        settle_window_s: float = 0.0,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> Claim:
        return self.outbox.claim(
            self.dest_id, owner, max_users, 60, at, window_s=window_s, settle_window_s=settle_window_s, policy=policy
        )

    def deliver(self, owner: str, claim: Claim, at: datetime = T0) -> None:
        plan = SettlePlan(
            delivered=tuple(i.id for u in claim.users for i in u.items),
            accepted={u.user_key: {"skin_type": u.items[-1].attributes["skin_type"]} for u in claim.users},
        )
        self.outbox.settle(self.dest_id, owner, plan, {u.user_key: u.version for u in claim.users}, at)

    @abstractmethod
    def another_workspace(self) -> tuple[DestinationStore, DeliveryReads]:
        """The destinations and the delivery view of a second workspace on the same store."""

    @abstractmethod
    def states(self) -> list[tuple[str, str, int]]:
        """(user, state, attempts) of every row, in the order they were queued."""

    @abstractmethod
    def errors(self) -> list[str | None]:
        """Each row's last error, in the order they were queued."""

    @abstractmethod
    def queue(self) -> dict[str, str]:
        """User → ready | leased, for each user with work queued."""

    @abstractmethod
    def accepted(self, user_key: str) -> dict[str, Any]:
        """What the destination last accepted for the user (the record's values, not their times)."""

    @abstractmethod
    def history(self) -> list[tuple[str, str | None]]:
        """(outcome, detail) of each logged attempt, by row in queued order, then oldest first."""

    @abstractmethod
    def counters(self) -> tuple[int, int, int]:
        """(requests, points sent, points saved) of the destination."""


class World(OutboxWorld):
    def __init__(self, url: str, tmp_path: Path) -> None:
        self.engine = create_engine(url)
        migrate.upgrade(self.engine)
        box = SecretBox(load_or_create_key(None, tmp_path / "k"))
        SqlExperienceStore(self.engine).publish(sample(), T0)
        self.destinations = SqlDestinations(self.engine, box, workspace_id=DEFAULT_WORKSPACE_ID)
        self.dest_id = self.destinations.add_braze("d", "http://127.0.0.1:1", "key-123456789", T0)
        self.capture = CaptureService(SqlCaptureStore(self.engine), clock=lambda: T0)
        self.outbox = SqlOutbox(self.engine, box)
        self.deliveries = SqlDeliveries(self.engine, workspace_id=DEFAULT_WORKSPACE_ID)
        self._box = box
        self.requeue = self.outbox

    def another_workspace(self) -> tuple[DestinationStore, DeliveryReads]:
        other = another_workspace(self.engine, "other", T0)
        return SqlDestinations(self.engine, self._box, workspace_id=other), SqlDeliveries(
            self.engine, workspace_id=other
        )

    def _rows(self, *columns: sa.ColumnElement[Any]) -> list[sa.Row[Any]]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.select(*columns).order_by(outbox.c.seq)).all())

    def states(self) -> list[tuple[str, str, int]]:
        return [
            (r.user_key, r.state, r.attempts) for r in self._rows(outbox.c.user_key, outbox.c.state, outbox.c.attempts)
        ]

    def errors(self) -> list[str | None]:
        return [r.last_error for r in self._rows(outbox.c.last_error)]

    def queue(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(delivery_queue.c.user_key, delivery_queue.c.state)).all()
        return {r.user_key: r.state for r in rows}

    def accepted(self, user_key: str) -> dict[str, Any]:
        s = delivery_state.c
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(s["values"]).where(s.destination_id == self.dest_id, s.user_key == user_key)
            ).scalar()
        return {k: v for k, v in (found or {}).items() if k != "$at"}

    def history(self) -> list[tuple[str, str | None]]:
        a = delivery_attempts.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(a.outcome, a.detail).join(outbox, outbox.c.id == a.outbox_id).order_by(outbox.c.seq, a.id)
            ).all()
        return [(r.outcome, r.detail) for r in rows]

    def counters(self) -> tuple[int, int, int]:
        c = delivery_counters.c
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(c.requests, c.points_sent, c.points_saved).where(c.destination_id == self.dest_id)
            ).first()
        return (found.requests, found.points_sent, found.points_saved) if found else (0, 0, 0)


class MemoryWorld(OutboxWorld):
    def __init__(self) -> None:
        self.memory = MemoryOutbox()
        self.outbox = self.memory
        store = MemoryCaptureStore(self.memory)
        store.publish(sample(), T0)
        self.dest_id = self.memory.add_destination("d", "http://127.0.0.1:1", "key-123456789")
        self.capture = CaptureService(store, clock=lambda: T0)
        self.deliveries = MemoryDeliveries(self.memory, workspace_id=DEFAULT_WORKSPACE_ID)
        self.requeue = self.memory
        self.destinations = MemoryDestinations(self.memory, workspace_id=DEFAULT_WORKSPACE_ID)

    def another_workspace(self) -> tuple[DestinationStore, DeliveryReads]:
        other = DEFAULT_WORKSPACE_ID + 1
        return MemoryDestinations(self.memory, workspace_id=other), MemoryDeliveries(self.memory, workspace_id=other)

    def states(self) -> list[tuple[str, str, int]]:
        return [(r.user_key, r.state, r.attempts) for r in self.memory.rows()]

    def errors(self) -> list[str | None]:
        return [r.last_error for r in self.memory.rows()]

    def queue(self) -> dict[str, str]:
        return {q.user_key: q.state for q in self.memory.queue()}

    def accepted(self, user_key: str) -> dict[str, Any]:
        return self.memory.accepted(self.dest_id, user_key)

    def history(self) -> list[tuple[str, str | None]]:
        return [(a.outcome, a.detail) for r in self.memory.rows() for a in self.memory.history(r.id)]

    def counters(self) -> tuple[int, int, int]:
        c = self.memory.counters(self.dest_id)
        return c.requests, c.points_sent, c.points_saved
