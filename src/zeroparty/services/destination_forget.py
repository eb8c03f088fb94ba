"""Forgetting what a destination holds (`destinations forget`): dropping the record of the values it
last accepted, so the next delivery sends every value again, for when Braze changed outside
zeroparty (a profile deleted or edited there). A dropped record can only cause values to be sent
again, never a change to be lost (docs/delivery.md, "Forgetting what a destination holds"). The
store answers through `HeldRecords`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from zeroparty.services.destination_types import Connections


class HeldRecords(Protocol):
    def person_keys(self, emails: Sequence[str]) -> list[str]:
        """Every key a destination may hold these people's records under: their addresses and each
        external id their responses carried."""
        ...

    def held_records(self, destination_id: int) -> int:
        """How many users the destination holds a record for."""
        ...

    def forget(self, destination_id: int, user_keys: Sequence[str] | None) -> int:
        """Drop the destination's records of `user_keys` (every record when None); how many went."""
        ...


class ForgetService:
    def __init__(self, destinations: Connections, records: HeldRecords) -> None:
        self._destinations = destinations
        self._records = records

    def destination_id(self, name: str) -> int:
        return self._destinations.connection(name).id

    def held(self, destination_id: int) -> int:
        return self._records.held_records(destination_id)

    def forget_all(self, destination_id: int) -> int:
        return self._records.forget(destination_id, None)

    def forget_people(self, destination_id: int, addresses: Sequence[str]) -> int:
        """Drop the records of these (normalised) addresses, under every key they may be held by."""
        return self._records.forget(destination_id, self._records.person_keys(addresses))
