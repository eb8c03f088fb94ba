"""Connecting Braze, as the console does it in one step: a name, an instance or endpoint and a key,
checked with Braze for every permission the destination's settings need before anything is saved;
and a new key for an existing destination, checked the same way.

A refused key raises InvalidInput naming `api_key` with Braze's verdict (which permission is
missing, or that the key is unknown at that instance), so a form can show it beside the field.
Changes are audited under `actor`, by DestinationsService. The Braze calls run with `asyncio.run`
(services/destination_probe.py): call these from a thread, not an event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from zeroparty.domain.braze_instances import resolve_endpoint
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.verify import needed_permissions
from zeroparty.errors import Conflict, FieldError, InvalidInput
from zeroparty.services.destination_probe import DestinationCalls, KeyCheck
from zeroparty.services.destinations import DestinationsService, permissions_for_change

MAX_NAME = 100


@dataclass(frozen=True)
class Changed:
    """A settings change saved: Braze's verdict when the stored key was checked, and the pause it
    ended (a destination paused for a wrong endpoint resumes once moved)."""

    check: KeyCheck | None
    resumed: str | None


@dataclass(frozen=True)
class Connected:
    """What was saved, and Braze's verdict on the key (None when it was not checked)."""

    name: str
    endpoint: str
    check: KeyCheck | None


def key_problem(api_key: str) -> str | None:
    if not api_key or any(c.isspace() for c in api_key):
        return "must be non-empty and contain no spaces"
    return None


def _refused(check: KeyCheck) -> InvalidInput | None:
    refusal = check.report.refusal
    if refusal is None:
        return None
    return InvalidInput(FieldError("api_key", f"{refusal}; nothing was saved"), "the key was refused")


class DestinationSetup:
    def __init__(self, destinations: DestinationsService, calls: DestinationCalls) -> None:
        self._destinations = destinations
        self._calls = calls

    def add_braze(
        self,
        name: str,
        endpoint: str,
        api_key: str,
        settings: DestinationSettings,
        *,
        verify: bool = True,
        actor: str | None = None,
    ) -> Connected:
        """Add a Braze destination; every problem with the fields at once, then the key's check."""
        name, api_key = name.strip(), api_key.strip()
        problems: list[FieldError] = []
        if not name or len(name) > MAX_NAME:
            problems.append(FieldError("name", f"must be 1 to {MAX_NAME} characters"))
        url = ""
        try:
            url = resolve_endpoint(endpoint)
        except ValueError as exc:
            problems.append(FieldError("endpoint", str(exc)))
        if problem := key_problem(api_key):
            problems.append(FieldError("api_key", problem))
        if problems:
            raise InvalidInput(problems)
        if self._destinations.find(name) is not None:
            raise Conflict(FieldError("name", f"a destination named {name!r} already exists"))
        check = self._calls.check_key(url, api_key, needed_permissions(settings)) if verify else None
        if check is not None and (refused := _refused(check)) is not None:
            raise refused
        self._destinations.add_braze(name, url, api_key, settings, actor=actor)
        return Connected(name, url, check)

    def replace_key(
        self, name: str, api_key: str, *, verify: bool = True, actor: str | None = None
    ) -> tuple[KeyCheck | None, str | None]:
        """A new key for `name`, checked first; returns the check and what the store said (a paused
        destination resumed, say)."""
        api_key = api_key.strip()
        if problem := key_problem(api_key):
            raise InvalidInput(FieldError("api_key", problem))
        connection = self._destinations.connection(name)  # NotFound for an unknown name
        wanted = needed_permissions(self._destinations.settings(name))
        check = self._calls.check_key(connection.endpoint, api_key, wanted) if verify else None
        if check is not None and (refused := _refused(check)) is not None:
            raise refused
        return check, self._destinations.update_key(name, api_key, actor=actor)

    def change_settings(
        self,
        name: str,
        wanted: DestinationSettings,
        endpoint: str | None = None,
        *,
        verify: bool = True,
        actor: str | None = None,
    ) -> Changed:
        """Save new settings (and a new endpoint) once they can work: a lower array_limit must keep
        every published experience's picks, and the stored key must work at a new endpoint and have
        any permission the new settings add. InvalidInput naming the setting otherwise; nothing saved."""
        current = self._destinations.settings(name)
        dest = self._destinations.connection(name)
        moving = endpoint is not None and endpoint != dest.endpoint
        if wanted.array_limit < current.array_limit:
            problems = self._destinations.array_limit_problems(name, wanted.array_limit)
            if problems:
                raise InvalidInput([FieldError("array_limit", p) for p in problems])
        needs = permissions_for_change(current, wanted, moving=moving)
        check = None
        if needs and verify:
            check = self._calls.check_key(endpoint if moving and endpoint else dest.endpoint, dest.api_key, needs)
            if (refused := _refused(check)) is not None:
                raise refused
        resumed = self._destinations.set_settings(name, wanted, endpoint=endpoint if moving else None, actor=actor)
        return Changed(check, resumed)
