"""What the HTTP adapter reads through, besides capture's own port (`ports.py`): the operators'
tokens and sessions, the published experiences it lists, a response's status, what the store holds
for the metrics, and whether it can take writes. The composition root hands it the SQL stores; the
adapter never imports them (an import contract says so)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from zeroparty.domain.operator_tokens import Session, TokenView
from zeroparty.services.ports import Published


class OperatorTokens(Protocol):
    def look_up(self, token: str, now: datetime) -> TokenView | None:
        """The token presented, revoked or not; None when it is unknown."""
        ...

    def active_by_id(self, token_id: int, now: datetime) -> TokenView | None: ...


class OperatorSessions(Protocol):
    def start(self, principal: str, now: datetime) -> str:
        """A new session for `principal`; returns its id (the only time it is seen in clear)."""
        ...

    def find(self, session_id: str, now: datetime) -> Session | None: ...

    def end(self, session_id: str) -> None: ...

    def end_all(self, principal: str) -> int:
        """End every session of `principal` (its password changed, it was disabled); how many ended."""
        ...


class PublishedListing(Protocol):
    def published_in(self, workspace_id: int) -> list[Published]:
        """A workspace's published experiences (unpublished and closed ones left out), by slug."""
        ...

    def list_listed(self) -> list[Published]:
        """The published experiences that opted in to the public index (`settings.listed`)."""
        ...


class DeliveryItem(BaseModel):
    destination: str
    state: str
    attempts: int
    attributes: dict[str, Any]
    delivered_at: datetime | None
    last_error: str | None


class ResponseStatus(BaseModel):
    """A response as the API shows it (`GET /api/v1/responses/{id}`)."""

    id: str
    channel: str
    email: str | None
    external_id: str | None  # from a signed token, when the response carried one
    outcome: str | None
    created_at: datetime
    completed_at: datetime | None
    answers: dict[str, Any]
    path: list[str]  # the screens its rules routed it through, in order
    variables: dict[str, Any]  # its variables after them
    delivered: bool
    deliveries: list[DeliveryItem]


class ResponseReads(Protocol):
    def status(self, response_id: str, workspace_id: int | None = None) -> ResponseStatus | None:
        """Where the response stands; None when there is none (to the workspace's experiences, if given)."""
        ...


@dataclass(frozen=True)
class OutboxCount:
    destination: str
    state: str
    items: int


@dataclass(frozen=True)
class StoreCounts:
    """What the metrics endpoint reports of the store, read at scrape time."""

    outbox: list[OutboxCount]
    responses: int


Status = Literal["ok", "locked", "read-only", "full", "unreachable"]


@dataclass(frozen=True)
class Readiness:
    status: Status
    detail: str = ""  # for the operator; never a path, URL or driver message (the probe is public)

    @property
    def ready(self) -> bool:
        return self.status == "ok"


READY = Readiness("ok")
