"""Capture storage in memory: the `CaptureStore` port with the semantics of `adapters/db/capture.py`,
feeding a `MemoryOutbox` as the SQL store feeds the outbox table. A unit is all-or-nothing: it
works on a copy of the tables and the rows it queues are held back, and both land only when the
`with store.unit()` block ends without an exception. `tests/integration/test_capture_store.py`
runs one contract suite against both."""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from zeroparty.adapters.memory.outbox import MemoryOutbox
from zeroparty.adapters.memory.records import with_copied_containers
from zeroparty.domain.experience.model import Experience, canonical_text
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.errors import Conflict, FieldError
from zeroparty.services.ports import Published, ResponseExists, ResponseWrite, StoredResponse, StoredVariant

T = TypeVar("T")


@dataclass(frozen=True)
class ResponseRecord:
    id: str
    version_id: int
    channel: str
    email: str | None
    outcome_id: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    external_id: str | None
    path: tuple[str, ...] = ()
    variables: Mapping[str, Any] = field(default_factory=dict)
    variant: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class AnswerRecord:
    element_id: str
    screen_id: str
    value: Any
    answered_at: datetime


@dataclass(frozen=True)
class ConsentEntry:
    """One consent given or withdrawn, as kept for audit (`consent_records`)."""

    response_id: str
    element_id: str
    purpose: str
    consent_key: str
    given: bool
    text: str
    recorded_at: datetime


@dataclass
class _Tables:
    versions: dict[int, Published] = field(default_factory=dict)
    latest: dict[str, int] = field(default_factory=dict)  # slug → its newest version id
    secrets: dict[str, str] = field(default_factory=dict)  # slug → external id token secret
    responses: dict[str, ResponseRecord] = field(default_factory=dict)
    answers: dict[str, Mapping[str, AnswerRecord]] = field(default_factory=dict)  # response id → element id → …
    consents: list[ConsentEntry] = field(default_factory=list)
    variants: dict[str, tuple[StoredVariant, ...]] = field(default_factory=dict)  # slug → its A/B variants

    def copy(self) -> _Tables:
        return with_copied_containers(self)


@dataclass(frozen=True)
class _Queued:
    user_key: str
    payload: dict[str, Any]
    now: datetime
    response_id: str
    destination_id: int


class MemoryCaptureReader:
    """A read-only view of the tables as they were when it began (they are replaced whole, never
    changed in place, so nothing a unit does later shows through)."""

    def __init__(self, tables: _Tables) -> None:
        self.tables = tables

    def published(self, slug: str) -> Published | None:
        version_id = self.tables.latest.get(slug)
        return None if version_id is None else self.tables.versions[version_id]

    def version(self, version_id: int) -> Published:
        return self.tables.versions[version_id]

    def experience_secret(self, slug: str) -> str | None:
        return self.tables.secrets.get(slug)

    def variants(self, slug: str) -> tuple[StoredVariant, ...]:
        return self.tables.variants.get(slug, ())

    def completed_responses(self, slug: str) -> int:
        ids = {v for v, p in self.tables.versions.items() if p.experience.slug == slug}
        return sum(1 for r in self.tables.responses.values() if r.version_id in ids and r.completed_at is not None)

    def response(self, response_id: str) -> StoredResponse | None:
        found = self.tables.responses.get(response_id)
        if found is None:
            return None
        answers = {k: copy.deepcopy(a.value) for k, a in self.tables.answers.get(response_id, {}).items()}
        return StoredResponse(
            found.id,
            found.version_id,
            answers,
            found.outcome_id,
            found.completed_at,
            found.external_id,
            found.path,
            dict(found.variables),
            found.variant,
            found.language,
        )


class MemoryCaptureUnit(MemoryCaptureReader):
    def __init__(self, tables: _Tables, outbox: MemoryOutbox, placed: Mapping[int, int] | None = None) -> None:
        super().__init__(tables)
        self.queued: list[_Queued] = []  # outbox rows to add when the unit completes
        self._outbox = outbox
        self._placed = placed or {}  # destination id → its workspace (unnamed: the first)

    def _destinations_of(self, workspace_id: int) -> list[int]:
        return [d for d in self._outbox.destination_ids() if self._placed.get(d, DEFAULT_WORKSPACE_ID) == workspace_id]

    def write(self, w: ResponseWrite, now: datetime) -> int:
        t = self.tables
        was = t.responses.get(w.response_id)
        if w.is_new:
            if was is not None:
                raise ResponseExists(w.response_id)
            was = ResponseRecord(
                w.response_id,
                w.version_id,
                w.channel,
                None,
                None,
                now,
                now,
                None,
                w.external_id,
                variant=w.variant,
                language=w.language,
            )
        elif was is None:
            raise KeyError(f"no response {w.response_id}")
        t.responses[w.response_id] = replace(
            was,
            updated_at=now,
            outcome_id=w.outcome_id,
            email=w.email if w.email is not None else was.email,
            completed_at=now if w.completed else was.completed_at,
            path=w.path,
            variables=dict(w.variables),
        )
        kept = {k: a for k, a in t.answers.get(w.response_id, {}).items() if k not in w.answers and k not in w.cleared}
        fresh = {k: AnswerRecord(k, s, copy.deepcopy(v), now) for k, (s, v) in w.answers.items()}
        t.answers[w.response_id] = {**kept, **fresh}
        t.consents += [
            ConsentEntry(w.response_id, c.element_id, c.purpose, c.consent_key, c.given, c.text, now)
            for c in w.consents
        ]
        change = w.profile_change()
        if change is None:
            return 0
        workspace = t.versions[w.version_id].workspace_id  # its own workspace's destinations only
        keys = {
            d: change.key_for(self._outbox.destination(d).settings.identity) for d in self._destinations_of(workspace)
        }
        for d, key in keys.items():
            self.queued.append(_Queued(key, change.payload(), now, w.response_id, d))
        return len(keys)


class MemoryCaptureStore:
    def __init__(self, outbox: MemoryOutbox | None = None) -> None:
        self.outbox = outbox or MemoryOutbox()
        self._lock = threading.RLock()
        self._tables = _Tables()  # replaced whole when a unit completes, never changed in place
        self._version_ids = itertools.count(1)
        self._placed: dict[int, int] = {}

    @contextmanager
    def reading(self) -> Iterator[MemoryCaptureReader]:
        yield MemoryCaptureReader(self._tables)

    @contextmanager
    def unit(self) -> Iterator[MemoryCaptureUnit]:
        with self._lock:
            unit = MemoryCaptureUnit(self._tables.copy(), self.outbox, dict(self._placed))
            yield unit
            for q in unit.queued:  # first: it is the step that can still fail
                self.outbox.enqueue(
                    q.user_key, q.payload, q.now, response_id=q.response_id, destination_ids=[q.destination_id]
                )
            self._tables = unit.tables

    def run(self, work: Callable[[MemoryCaptureUnit], T]) -> T:
        with self.unit() as unit:
            return work(unit)

    async def run_async(self, work: Callable[[MemoryCaptureUnit], T]) -> T:
        return self.run(work)  # in memory nothing waits: the loop is held for microseconds

    # -- putting things in -------------------------------------------------------------------------

    def place_destination(self, destination_id: int, workspace_id: int) -> None:
        """Put an outbox destination in `workspace_id` (those never placed are in the first)."""
        with self._lock:
            self._placed[destination_id] = workspace_id

    def publish(self, exp: Experience, now: datetime, *, workspace_id: int = DEFAULT_WORKSPACE_ID) -> Published:
        """The version holding `exp`: a new one, or the latest when it holds the same definition.
        Conflict naming `slug` when another workspace holds the slug."""
        with self.unit() as unit:
            latest = unit.published(exp.slug)
            if latest is not None and latest.workspace_id != workspace_id:
                raise Conflict(FieldError("slug", f"'{exp.slug}' is taken by another workspace"))
            stored = canonical_text(exp.stored_form())
            if latest is not None and canonical_text(latest.experience.stored_form()) == stored:
                return latest
            number = (latest.version if latest else 0) + 1
            published = Published(next(self._version_ids), number, exp, workspace_id=workspace_id)
            unit.tables.versions[published.version_id] = published
            unit.tables.latest[exp.slug] = published.version_id
        return published

    def set_variants(self, slug: str, variants: tuple[StoredVariant, ...]) -> None:
        """Serve `slug` as these A/B variants (unchecked: tests give what they mean)."""
        with self.unit() as unit:
            unit.tables.variants[slug] = variants

    def set_secret(self, slug: str, secret: str) -> None:
        """The secret `slug`'s external id tokens are signed with."""
        with self.unit() as unit:
            unit.tables.secrets[slug] = secret

    # -- reading back ------------------------------------------------------------------------------

    def responses(self) -> list[ResponseRecord]:
        return list(self._tables.responses.values())

    def answers(self, response_id: str) -> dict[str, AnswerRecord]:
        return dict(self._tables.answers.get(response_id, {}))

    def consents(self) -> list[ConsentEntry]:
        return list(self._tables.consents)
