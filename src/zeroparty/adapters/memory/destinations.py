"""Destinations in memory: `services.destinations.DestinationStore` over a `MemoryOutbox` (which
holds the destinations delivery reads), with the semantics of `adapters/db/destinations.py`. The
key is kept in clear here: nothing is stored. `tests/integration/test_destinations_store.py` runs
one contract suite against both."""

from __future__ import annotations

from datetime import datetime

from zeroparty.adapters.memory.outbox import MemoryOutbox
from zeroparty.adapters.memory.records import DestinationRecord
from zeroparty.domain.classify import paused_for_endpoint
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.scrub import key_hint
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.destination_types import (
    BrazeConnection,
    DestinationView,
    Removed,
    no_destination,
    still_waiting,
)

WAITING = ("pending", "in_flight")


class MemoryDestinations:
    """The destinations of one workspace: another workspace's are "no destination named X" here."""

    def __init__(self, outbox: MemoryOutbox, *, workspace_id: int) -> None:
        self._outbox = outbox
        self._workspace_id = workspace_id

    def _own(self) -> list[DestinationRecord]:
        found = map(self._outbox.destination, self._outbox.destination_ids())
        return [d for d in found if d.workspace_id == self._workspace_id]

    def _find(self, name: str) -> DestinationRecord:
        for d in self._own():
            if d.name == name:
                return d
        raise no_destination(name)

    def add_braze(
        self, name: str, endpoint: str, api_key: str, now: datetime, settings: DestinationSettings | None = None
    ) -> int:
        if any(d.name == name for d in self._own()):
            raise InvalidInput(FieldError("name", f"a destination named '{name}' already exists"))
        return self._outbox.add_destination(name, endpoint, api_key, settings, workspace_id=self._workspace_id)

    def list(self) -> list[DestinationView]:
        rows = self._outbox.rows()
        views = []
        for d in sorted(self._own(), key=lambda d: d.name):
            states = [r.state for r in rows if r.destination_id == d.id]
            waiting = sum(s in WAITING for s in states)
            views.append(
                DestinationView(
                    d.id, d.name, "braze", d.endpoint, key_hint(d.api_key), d.paused_reason, d.paused_until,
                    waiting, states.count("delivered"), states.count("dead"), d.settings,
                )
            )  # fmt: skip
        return views

    def pause(self, name: str, reason: str) -> None:
        self._outbox.pause(self._find(name).id, reason, None)

    def resume(self, name: str) -> None:
        self._outbox.resume(self._find(name).id)

    def connection(self, name: str) -> BrazeConnection:
        d = self._find(name)
        return BrazeConnection(d.id, d.name, d.endpoint, d.api_key, key_hint(d.api_key), d.paused_reason, d.settings)

    def settings(self, name: str) -> DestinationSettings:
        return self._find(name).settings

    def set_settings(self, name: str, settings: DestinationSettings, endpoint: str | None = None) -> str | None:
        d = self._find(name)
        self._outbox.set_settings(d.id, settings)
        if endpoint is None or endpoint == d.endpoint:
            return None
        if paused_for_endpoint(d.paused_reason):
            self._outbox.change_destination(d.id, endpoint=endpoint, paused_reason=None, paused_until=None)
            return str(d.paused_reason)
        self._outbox.change_destination(d.id, endpoint=endpoint)
        return None

    def update_key(self, name: str, api_key: str) -> str | None:
        d = self._find(name)
        self._outbox.change_destination(d.id, api_key=api_key, paused_reason=None, paused_until=None)
        return d.paused_reason

    def remove(self, name: str, *, force: bool = False) -> Removed:
        d = self._find(name)
        rows = [r for r in self._outbox.rows() if r.destination_id == d.id]
        held = {r.id for r in rows}
        attempts = sum(a.outbox_id in held for a in self._outbox.history())
        counts = Removed(len(rows), sum(r.state in WAITING for r in rows), attempts)
        if counts.waiting and not force:
            raise still_waiting(name, counts.waiting)
        self._outbox.remove_destination(d.id)
        return counts
