"""What the stores say about destinations and the latest definitions, as the services, the CLI and
the web see it (the SQL stores fill these in; adapters/db/destinations.py, published.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.errors import FieldError, InvalidInput, NotFound


@dataclass(frozen=True)
class DestinationView:
    """What may be shown of a destination: never the key, only a hint of its last characters."""

    id: int
    name: str
    kind: str
    endpoint: str
    key_hint: str
    paused_reason: str | None
    paused_until: datetime | None
    pending: int
    delivered: int
    dead: int
    settings: DestinationSettings = field(default_factory=DestinationSettings)


@dataclass(frozen=True)
class BrazeConnection:
    """What it takes to call Braze for one destination. Holds the key in clear: never print it."""

    id: int
    name: str
    endpoint: str
    api_key: str = field(repr=False)
    key_hint: str
    paused_reason: str | None
    settings: DestinationSettings


@dataclass(frozen=True)
class Removed:
    """What removing a destination deleted with it."""

    outbox_rows: int
    waiting: int  # of them, rows not yet delivered (pending or in flight)
    attempts: int


@dataclass(frozen=True)
class StoredDefinition:
    """An experience's latest version as stored."""

    slug: str
    version: int
    definition: dict[str, Any]  # as `Experience.model_dump(mode="json", by_alias=True)` wrote it
    state: str = "published"  # published | unpublished | closed


class BrazeAnswer(Protocol):
    """Braze's answer to one request, as the workflows read it (the Braze client's `SendResult`)."""

    @property
    def status(self) -> int: ...

    @property
    def body(self) -> Any: ...


class Connections(Protocol):
    def connection(self, name: str) -> BrazeConnection:
        """How to call Braze for destination `name`; NotFound (an InvalidInput, naming `name`) when
        there is none by that name."""
        ...


def no_destination(name: str) -> NotFound:
    return NotFound(FieldError("name", f"no destination named '{name}'"))


def still_waiting(name: str, waiting: int) -> InvalidInput:
    """Why a destination is not removed while rows still wait (without `--force`)."""
    return InvalidInput(
        FieldError(
            "NAME",
            f"'{name}' still has {waiting} outbox row(s) waiting to be delivered (pending or in "
            "flight); let them be delivered first, or pass --force to drop them with the destination",
        )
    )
