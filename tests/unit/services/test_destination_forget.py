"""Forgetting what a destination holds, through the store's port: everyone's records, or those of
named people under every key they may be held by."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.errors import FieldError, NotFound
from zeroparty.services.destination_forget import ForgetService
from zeroparty.services.destination_types import BrazeConnection


class Destinations:
    def connection(self, name: str) -> BrazeConnection:
        if name != "eu":
            raise NotFound(FieldError("name", f"no destination named '{name}'"))
        return BrazeConnection(3, name, "https://x", "key", "…1", None, DestinationSettings())


class Records:
    def __init__(self) -> None:
        self.held = {3: {"a@example.com", "cust-1", "b@example.com"}}

    def person_keys(self, emails: Sequence[str]) -> list[str]:
        return [*emails, "cust-1"] if "a@example.com" in emails else list(emails)

    def held_records(self, destination_id: int) -> int:
        return len(self.held.get(destination_id, set()))

    def forget(self, destination_id: int, user_keys: Sequence[str] | None) -> int:
        held = self.held.get(destination_id, set())
        gone = set(held) if user_keys is None else held & set(user_keys)
        held -= gone
        return len(gone)


def test_named_people_are_forgotten_under_their_external_ids_too() -> None:
    records = Records()
    service = ForgetService(Destinations(), records)
    dest_id = service.destination_id("eu")
    assert service.held(dest_id) == 3
    assert service.forget_people(dest_id, ["a@example.com"]) == 2
    assert records.held == {3: {"b@example.com"}}


def test_all_records_go_and_an_unknown_destination_is_named() -> None:
    service = ForgetService(Destinations(), Records())
    assert service.forget_all(3) == 3 and service.held(3) == 0
    with pytest.raises(NotFound, match="no destination named 'us'"):
        service.destination_id("us")
