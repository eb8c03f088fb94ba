"""The in-memory outbox's records, one frozen dataclass per table of `adapters/db/schema.py` it
stands in for, and the tables themselves. Records are never changed in place: a write puts a new
record in a copy of the tables, and the copy replaces them only when the write completes, so a
failed write leaves nothing behind (as a rolled-back transaction does)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.row_marks import RowStateName
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

QueueState = Literal["ready", "leased"]
T = TypeVar("T", bound="DataclassInstance")


def with_copied_containers(tables: T) -> T:
    """A copy of a dataclass of containers in which each container is copied and the records in it
    are shared: records are frozen, so a write replaces them rather than changing them."""
    return replace(tables, **{f.name: copy.copy(getattr(tables, f.name)) for f in fields(tables)})


@dataclass(frozen=True)
class DestinationRecord:
    id: int
    name: str
    endpoint: str
    api_key: str
    settings: DestinationSettings = field(default_factory=DestinationSettings)
    paused_reason: str | None = None
    paused_until: datetime | None = None
    workspace_id: int = DEFAULT_WORKSPACE_ID


@dataclass(frozen=True)
class OutboxRow:
    """One queued profile change for one destination (`outbox`)."""

    id: str
    seq: int
    destination_id: int
    user_key: str
    payload: Mapping[str, Any]  # attributes, subscription_groups, completion, external_id
    state: RowStateName
    attempts: int
    created_at: datetime
    response_id: str | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class QueueEntry:
    """One destination and user with work queued: the unit a worker leases (`delivery_queue`)."""

    destination_id: int
    user_key: str
    state: QueueState
    available_at: datetime
    version: int
    full_resend: bool = False
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None

    def ready(self, available_at: datetime, *, full_resend: bool | None = None) -> QueueEntry:
        full = self.full_resend if full_resend is None else full_resend
        return replace(
            self, state="ready", lease_owner=None, lease_expires_at=None, available_at=available_at, full_resend=full
        )


@dataclass(frozen=True)
class AttemptEntry:
    """One line of a row's history (`delivery_attempts`)."""

    outbox_id: str
    at: datetime
    outcome: str
    detail: str | None


@dataclass(frozen=True)
class Counters:
    requests: int = 0
    points_sent: int = 0
    points_saved: int = 0


UserRef = tuple[int, str]  # (destination id, user key)


@dataclass
class Tables:
    destinations: dict[int, DestinationRecord] = field(default_factory=dict)
    rows: dict[str, OutboxRow] = field(default_factory=dict)  # by id, in `seq` order
    by_user: dict[UserRef, tuple[str, ...]] = field(default_factory=dict)  # row ids, in `seq` order
    queue: dict[UserRef, QueueEntry] = field(default_factory=dict)
    accepted: dict[UserRef, Mapping[str, Any]] = field(default_factory=dict)  # `delivery_state`
    counters: dict[int, Counters] = field(default_factory=dict)
    months: dict[tuple[int, str], int] = field(default_factory=dict)  # `delivery_months`: points sent
    attempts: list[AttemptEntry] = field(default_factory=list)

    def copy(self) -> Tables:
        return with_copied_containers(self)

    def user_rows(self, ref: UserRef, state: RowStateName | None = None) -> list[OutboxRow]:
        rows = [self.rows[i] for i in self.by_user.get(ref, ())]
        return rows if state is None else [r for r in rows if r.state == state]
