"""What erasing a person works with: how the erasure log names an address, what the store holds of
the person before and after the local erasure, and the ports `ErasureService` (services/erasure.py)
reads and writes through: the people store, the destinations' connections and Braze."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from zeroparty.domain.erasure import Delivered, Outcome, Sent
from zeroparty.services.destination_types import BrazeAnswer


@dataclass(frozen=True)
class LogKeys:
    """How the erasure log names one address: its HMAC, and the plain SHA-256 of older rows."""

    hmac: str
    sha256: str


@dataclass(frozen=True)
class Found:
    """What the store holds of one person, read before anything is erased."""

    responses: int
    external_ids: tuple[str, ...]  # the signed external ids their responses carried
    delivered: dict[str, Delivered]  # destination → what it was sent (only those sent something)
    leftover: dict[str, Sent]  # destination → what an unfinished earlier erasure kept sealed for it
    destinations: tuple[str, ...] = ()  # every destination there is


@dataclass(frozen=True)
class LocalErasure:
    """What the local erasure deleted."""

    erasure_id: int
    responses: int
    rows: dict[str, int]  # table -> rows deleted
    # Destinations sent something for the person between `find` and `erase` (a worker delivered
    # meanwhile): the profiles looked up may not be all there are.
    changed: frozenset[str] = frozenset()
    sealed: dict[str, Sent] = field(default_factory=dict)  # destination → what was sealed for it


# What a destination was sent for the person, given what the store found inside the erasing
# transaction: sealed in the log for a later run.
SentOf = Callable[[str, Found], Sent]


class PeopleStore(Protocol):
    def find(self, email: str, keys: LogKeys, now: datetime) -> Found:
        """What each destination was sent for `email`, and what earlier erasures of it left
        unfinished. Changes nothing; InvalidInput while a delivery for the person is in flight."""
        ...

    def erase(
        self, email: str, keys: LogKeys, now: datetime, calls: Sequence[str], seen: Found, sent_of: SentOf
    ) -> LocalErasure:
        """Delete everything held of the person and log the erasure, each destination in `calls`
        marked not done with `sent_of` its sealed record; all or nothing (InvalidInput as `find`)."""
        ...

    def record_calls(self, erasure_id: int, calls: Sequence[Outcome], sent: Mapping[str, Sent]) -> None:
        """What each Braze call did; what a call not done was about stays sealed for the next run."""
        ...


class BrazeErasure(Protocol):
    """What an erasure asks of Braze: look the person's profiles up, delete some by braze_id. A
    failed call raises DeliveryError."""

    async def export_ids(self, endpoint: str, api_key: str, body: dict[str, Any]) -> BrazeAnswer:
        """`/users/export/ids` with a body of `domain.erasure.Sent.lookups`."""
        ...

    async def delete_by_braze_ids(self, endpoint: str, api_key: str, braze_ids: list[str]) -> BrazeAnswer:
        """`/users/delete` by at most 50 `braze_ids`."""
        ...

    async def aclose(self) -> None: ...
