"""What the capture and publishing services need from storage."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from zeroparty.domain.experience.consent import ConsentRecord
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.publishing import PublishState
from zeroparty.domain.profile_change import ProfileChange

T = TypeVar("T")


@dataclass(frozen=True)
class Published:
    version_id: int
    version: int
    experience: Experience
    state: PublishState = "published"  # the experience's, whichever version this is
    closed_message: str | None = None
    workspace_id: int = 1  # the experience's: its responses go to this workspace's destinations only


@dataclass(frozen=True)
class StoredResponse:
    id: str
    version_id: int
    answers: dict[str, Any]
    outcome_id: str | None
    completed_at: datetime | None
    external_id: str | None = None  # verified from a signed token when the response started
    path: tuple[str, ...] = ()  # the screens its rules routed it through so far (`logic.route`)
    variables: dict[str, Any] = field(default_factory=dict)  # its variables after them
    variant: str | None = None  # the A/B variant it was served
    language: str | None = None  # the language its pages were shown in (hosted pages only)


@dataclass(frozen=True)
class StoredVariant:
    """One A/B variant of an experience: the version it serves, and its weight."""

    name: str
    version_id: int
    version: int
    weight: int


@dataclass(frozen=True)
class ResponseWrite:
    """Everything one submit changes, written in one transaction."""

    response_id: str
    version_id: int
    channel: str
    is_new: bool
    answers: dict[str, tuple[str, Any]]  # element id -> (screen id, value); upserted
    email: str | None
    outcome_id: str | None
    completed: bool
    changes: dict[str, Any]  # Braze attributes to send for `email`
    cleared: frozenset[str] = frozenset()  # answers withdrawn on a revisited screen
    subscription_groups: dict[str, str] = field(default_factory=dict)  # consent key -> subscribed | unsubscribed
    completion: dict[str, Any] | None = None  # set when this submit completes the response
    consents: tuple[ConsentRecord, ...] = ()  # consents given or withdrawn by this submit, for audit
    external_id: str | None = None  # the response's verified external id (stored when `is_new`)
    path: tuple[str, ...] = ()  # screens visited so far, in order
    variables: dict[str, Any] = field(default_factory=dict)  # the variables after them
    variant: str | None = None  # the A/B variant served (stored when `is_new`)
    language: str | None = None  # the language the pages were shown in (stored when `is_new`)

    def profile_change(self) -> ProfileChange | None:
        """What each destination's outbox row carries, under zeroparty's own names (attribute IDs,
        consent keys); None when there is nothing to send or no email to send it for."""
        if self.email is None or not (self.changes or self.subscription_groups or self.completion):
            return None
        return ProfileChange(self.email, self.changes, self.subscription_groups, self.completion, self.external_id)


class ResponseExists(Exception):
    """A new response's id is taken: another server stored the same first screen's form (its id
    came with the form) meanwhile. Nothing of the write was kept."""


class CaptureReader(Protocol):
    """One read-only storage transaction: a consistent view that never waits for a writer."""

    def published(self, slug: str) -> Published | None: ...

    def response(self, response_id: str) -> StoredResponse | None: ...

    def version(self, version_id: int) -> Published: ...

    def variants(self, slug: str) -> tuple[StoredVariant, ...]:
        """The experience's A/B variants in the operator's order; empty when it has none."""
        ...

    def experience_secret(self, slug: str) -> str | None:
        """The secret external id tokens for `slug` are signed with; None when it has none."""
        ...

    def completed_responses(self, slug: str) -> int:
        """How many responses to any version of `slug` are complete. In a unit that writes, the
        count holds until the unit ends: another unit counting for `slug` waits for it."""
        ...


class CaptureUnit(CaptureReader, Protocol):
    """One storage transaction that writes; what it reads cannot change under it until it ends."""

    def write(self, w: ResponseWrite, now: datetime) -> int:
        """Store the response, its answers, its consent records and one outbox row per destination
        (`w.profile_change()`, keyed per destination); return rows queued. ResponseExists when
        `w.is_new` and its id is taken."""
        ...


class CaptureStore(Protocol):
    def reading(self) -> AbstractContextManager[CaptureReader]:
        """For page views: on SQLite it does not take the write lock, so a writer cannot hold it up."""
        ...

    def unit(self) -> AbstractContextManager[CaptureUnit]: ...

    def run(self, work: Callable[[CaptureUnit], T]) -> T:
        """`work` in a write transaction that submits arriving meanwhile may share (one commit for
        all); its result once that transaction has committed. When `work` raises, only its own
        writes are undone, and the exception is raised here."""
        ...

    async def run_async(self, work: Callable[[CaptureUnit], T]) -> T:
        """`run`, awaited: the caller's event loop goes on meanwhile."""
        ...
