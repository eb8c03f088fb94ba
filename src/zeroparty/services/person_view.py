"""What one workspace holds about one person, read in one go for the console's person page and its
CSV export: each response with its answers, each consent with the exact text the person was shown,
and per destination what was queued and sent for them and what that destination last accepted.
Reads only: erasing is services/erasure.py's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Answer:
    element_id: str
    screen_id: str
    value: Any  # the answer as stored (JSON: text, number, list of choices…)
    answered_at: datetime


@dataclass(frozen=True)
class PersonResponse:
    id: str
    experience: str  # the experience's slug
    version: int
    channel: str
    started_at: datetime
    completed_at: datetime | None
    outcome: str | None
    answers: tuple[Answer, ...]

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


@dataclass(frozen=True)
class Consent:
    response_id: str
    experience: str
    element_id: str
    purpose: str
    consent_key: str
    given: bool  # False: withdrawn (or refused)
    text: str  # exactly what the person was shown
    recorded_at: datetime


@dataclass(frozen=True)
class SentItem:
    """One outbox row: a change of the person's profile queued for a destination."""

    response_id: str
    user_key: str
    state: str  # pending | in_flight | delivered | dead
    attributes: dict[str, Any]
    attempts: int
    queued_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class Received:
    """What one destination was sent for the person, and what it last accepted (per user key)."""

    destination: str
    items: tuple[SentItem, ...]
    accepted: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Person:
    email: str  # normalised
    responses: tuple[PersonResponse, ...]
    consents: tuple[Consent, ...]
    destinations: tuple[Received, ...]


class PersonReads(Protocol):
    def person(self, email: str) -> Person | None:
        """The person who answered with `email` (normalised) in this workspace, or None when this
        workspace holds nothing about them (another workspace's responses never count)."""
        ...


CSV_HEADER = ("kind", "experience", "response_id", "at", "completed_at", "outcome", "element", "value", "detail")


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def export_rows(person: Person) -> list[tuple[Any, ...]]:
    """The person's data as rows under CSV_HEADER, values as stored (the writer guards the cells):
    each response, then its answers; then each consent with the text shown and given or withdrawn."""
    rows: list[tuple[Any, ...]] = []
    for r in person.responses:
        rows.append(
            ("response", r.experience, r.id, _iso(r.started_at), _iso(r.completed_at), r.outcome, None, None, r.channel)
        )
        for a in r.answers:
            rows.append(
                ("answer", r.experience, r.id, _iso(a.answered_at), None, None, a.element_id, a.value, a.screen_id)
            )
    for c in person.consents:
        said = "given" if c.given else "withdrawn"
        rows.append(
            ("consent", c.experience, c.response_id, _iso(c.recorded_at), None, None, c.element_id, said, c.text)
        )
    return rows
