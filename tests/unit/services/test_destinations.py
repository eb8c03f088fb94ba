"""Operating destinations through the store's port: the permissions a settings change asks the
stored key for, and what a test send is planned with."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.verify import IDENTIFY, TRACK, needed_permissions
from zeroparty.errors import FieldError, InvalidInput, NotFound
from zeroparty.services.destination_types import BrazeConnection, DestinationView, Removed, StoredDefinition
from zeroparty.services.destinations import DestinationsService, permissions_for_change
from zeroparty.services.ports import Published

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PLAIN = DestinationSettings()
IDENTIFYING = DestinationSettings.model_validate({"identity": "external_id", "identify_emails": True})


class Store:
    """One destination, 'eu', as the store keeps it."""

    def __init__(self) -> None:
        self.settings_of = {"eu": PLAIN}
        self.added: list[tuple[str, datetime]] = []
        self.paused: dict[str, str] = {}

    def _known(self, name: str) -> None:
        if name not in self.settings_of:
            raise NotFound(FieldError("name", f"no destination named '{name}'"))

    def list(self) -> list[DestinationView]:
        return [
            DestinationView(1, n, "braze", "https://x", "…1", None, None, 0, 0, 0, s)
            for n, s in self.settings_of.items()
        ]

    def add_braze(
        self, name: str, endpoint: str, api_key: str, now: datetime, settings: DestinationSettings | None = None
    ) -> int:
        self.added.append((name, now))
        self.settings_of[name] = settings or PLAIN
        return len(self.settings_of)

    def resume(self, name: str) -> None:
        self._known(name)
        self.paused.pop(name, None)

    def pause(self, name: str, reason: str) -> None:
        self._known(name)
        self.paused[name] = reason

    def connection(self, name: str) -> BrazeConnection:
        self._known(name)
        return BrazeConnection(1, name, "https://x", "key", "…1", None, self.settings_of[name])

    def settings(self, name: str) -> DestinationSettings:
        self._known(name)
        return self.settings_of[name]

    def set_settings(self, name: str, settings: DestinationSettings, endpoint: str | None = None) -> str | None:
        self._known(name)
        self.settings_of[name] = settings
        return None

    def update_key(self, name: str, api_key: str) -> str | None:
        self._known(name)
        return "the key was refused"

    def remove(self, name: str, *, force: bool = False) -> Removed:
        self._known(name)
        return Removed(0, 0, 0)


class NonePublished:
    def list_published(self) -> Iterator[Published]:
        return iter(())


def service(store: Store, definitions: list[StoredDefinition] | None = None) -> DestinationsService:
    return DestinationsService(store, lambda: definitions or [], NonePublished(), clock=lambda: T0)


def test_a_move_checks_every_permission_the_settings_need() -> None:
    assert permissions_for_change(PLAIN, PLAIN, moving=True) == needed_permissions(PLAIN)


def test_settings_needing_nothing_new_check_nothing_and_a_new_permission_comes_after_track() -> None:
    assert permissions_for_change(IDENTIFYING, IDENTIFYING, moving=False) == ()
    assert permissions_for_change(PLAIN, IDENTIFYING, moving=False) == (TRACK, IDENTIFY)


def test_adding_finds_the_name_taken_and_stamps_the_clock() -> None:
    store = Store()
    destinations = service(store)
    assert destinations.find("eu") is not None and destinations.find("us") is None
    destinations.add_braze("us", "https://y", "key", PLAIN)
    assert store.added == [("us", T0)] and [d.name for d in destinations.views()] == ["eu", "us"]
    assert destinations.update_key("us", "key2") == "the key was refused"


def test_no_published_experience_leaves_no_array_limit_problem() -> None:
    assert service(Store()).array_limit_problems("eu", 1) == []


def test_a_test_plan_without_experiences_sends_synthetic_attributes_to_the_test_person() -> None:
    plan = service(Store()).test_plan("eu")
    assert plan.experience is None and plan.dest.name == "eu"
    assert plan.send.identity.email == "zeroparty-test+eu@example.com" and plan.send.identify is None


def test_a_test_plan_names_what_is_missing() -> None:
    with pytest.raises(InvalidInput, match="--experience: no published experience 'quiz'"):
        service(Store()).test_plan("eu", "quiz")
    with pytest.raises(NotFound, match="no destination named 'us'"):
        service(Store()).test_plan("us")


def test_a_pause_by_hand_says_so_and_needs_a_reason() -> None:
    store = Store()
    destinations = service(store)
    destinations.pause("eu", "  campaign   on hold ")
    assert store.paused == {"eu": "paused by hand: campaign on hold"}
    with pytest.raises(InvalidInput) as refused:
        destinations.pause("eu", "   ")
    assert refused.value.errors[0].field == "reason"
    with pytest.raises(NotFound):
        destinations.pause("us", "why")
    destinations.resume("eu")
    assert store.paused == {}
