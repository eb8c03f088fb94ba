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
from zeroparty.domain.destination_config import change_settings
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.verify import Permission, needed_permissions
from zeroparty.errors import Conflict, FieldError, InvalidInput
from zeroparty.services.destination_probe import DestinationCalls, KeyCheck
from zeroparty.services.destinations import DestinationsService, permissions_for_change

MAX_NAME = 100


@dataclass(frozen=True)
class Changed:
    """A key or settings change saved: the permissions the key was to be checked for (none: no
    check was needed), Braze's verdict (None when not checked), and the pause it ended (a
    destination paused for its key, or for a wrong endpoint, resumes)."""

    asked: tuple[Permission, ...]
    check: KeyCheck | None
    resumed: str | None


@dataclass(frozen=True)
class Connected:
    """What was saved, the permissions the key was to be checked for, and Braze's verdict on it
    (None when it was not checked)."""

    name: str
    endpoint: str
    asked: tuple[Permission, ...]
    check: KeyCheck | None


class KeyRefused(InvalidInput):
    """Braze refused the key (or a permission it needs): nothing was saved. Names `api_key`; the
    check says why and how long Braze took."""

    def __init__(self, check: KeyCheck) -> None:
        took = f" ({check.latency_ms:.0f} ms)" if check.latency_ms else ""
        super().__init__(FieldError("api_key", f"{check.report.refusal}{took}; nothing was saved"), "key refused")
        self.check = check


def key_problem(api_key: str) -> str | None:
    if not api_key or any(c.isspace() for c in api_key):
        return "must be non-empty and contain no spaces"
    return None


def _checked(calls: DestinationCalls, endpoint: str, api_key: str, asked: tuple[Permission, ...]) -> KeyCheck:
    """Braze's verdict on `api_key` for `asked`; KeyRefused when it refuses."""
    check = calls.check_key(endpoint, api_key, asked)
    if check.report.refusal is not None:
        raise KeyRefused(check)
    return check


class DestinationSetup:
    def __init__(self, destinations: DestinationsService, calls: DestinationCalls) -> None:
        self.destinations = destinations  # the CLI looks names up before asking for a key
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
        asked = needed_permissions(settings)
        check = _checked(self._calls, url, api_key, asked) if verify else None
        self._destinations.add_braze(name, url, api_key, settings, actor=actor)
        return Connected(name, url, asked, check)

    def replace_key(self, name: str, api_key: str, *, verify: bool = True, actor: str | None = None) -> Changed:
        """A new key for `name`, checked first for every permission its settings need."""
        api_key = api_key.strip()
        if problem := key_problem(api_key):
            raise InvalidInput(FieldError("api_key", problem))
        connection = self._destinations.connection(name)  # NotFound for an unknown name
        asked = needed_permissions(self._destinations.settings(name))
        check = _checked(self._calls, connection.endpoint, api_key, asked) if verify else None
        return Changed(asked, check, self._destinations.update_key(name, api_key, actor=actor))

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
        asked = permissions_for_change(current, wanted, moving=moving)
        check = None
        if asked and verify:
            check = _checked(self._calls, endpoint if moving and endpoint else dest.endpoint, dest.api_key, asked)
        resumed = self._destinations.set_settings(name, wanted, endpoint=endpoint if moving else None, actor=actor)
        return Changed(asked, check, resumed)

    def assign(self, name: str, assignments: list[str], *, actor: str | None = None) -> Changed:
        """`destinations set NAME key=value …` as a form posts it: the assignments applied to the
        stored settings and saved through `change_settings` (InvalidInput naming each bad key)."""
        wanted = change_settings(self._destinations.settings(name), assignments)
        return self.change_settings(name, wanted.settings, actor=actor)
