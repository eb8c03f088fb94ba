"""Capture storage for the capture-store contract tests: on a real SQLite file or PostgreSQL database
(`SqlCaptureWorld`) or in memory (`MemoryCaptureWorld`), each with a way to publish, add
destinations and read back what a unit wrote, through one small typed interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.support.outbox_world import T0
from zeroparty.adapters.crypto import SecretBox, load_or_create_key
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.capture import SqlCaptureStore, SqlExperienceSecrets
from zeroparty.adapters.db.destinations import SqlDestinations
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.schema import answers, consent_records, outbox, responses
from zeroparty.adapters.db.workspaces import SqlWorkspaces
from zeroparty.adapters.memory import MemoryCaptureStore
from zeroparty.adapters.memory.capture import ConsentEntry, ResponseRecord
from zeroparty.adapters.memory.workspaces import MemoryWorkspaces
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.services.ports import CaptureStore, Published, ResponseWrite

QueuedRow = tuple[int, str, str | None, dict[str, Any]]  # (destination id, user, response id, payload)


class CaptureWorld(ABC):
    store: CaptureStore

    @abstractmethod
    def publish(self, exp: Experience, workspace_id: int = DEFAULT_WORKSPACE_ID) -> Published: ...

    @abstractmethod
    def add_destination(self, name: str, workspace_id: int = DEFAULT_WORKSPACE_ID) -> int: ...

    @abstractmethod
    def add_workspace(self, slug: str) -> int:
        """A new workspace's id."""

    @abstractmethod
    def make_secret(self, slug: str) -> str:
        """A new external id token secret for `slug`, in clear."""

    @abstractmethod
    def responses(self) -> list[ResponseRecord]: ...

    @abstractmethod
    def answers(self, response_id: str) -> dict[str, tuple[str, Any]]:
        """Element id → (screen id, value)."""

    @abstractmethod
    def consents(self) -> list[ConsentEntry]: ...

    @abstractmethod
    def queued(self) -> list[QueuedRow]:
        """The outbox rows, in the order they were queued."""


class SqlCaptureWorld(CaptureWorld):
    def __init__(self, url: str, tmp_path: Path) -> None:
        self.engine = create_engine(url)
        migrate.upgrade(self.engine)
        self._box = SecretBox(load_or_create_key(None, tmp_path / "k"))
        self.store = SqlCaptureStore(self.engine, self._box)

    def publish(self, exp: Experience, workspace_id: int = DEFAULT_WORKSPACE_ID) -> Published:
        return SqlExperienceStore(self.engine, workspace_id=workspace_id).publish(exp, T0)

    def add_destination(self, name: str, workspace_id: int = DEFAULT_WORKSPACE_ID) -> int:
        return SqlDestinations(self.engine, self._box, workspace_id=workspace_id).add_braze(
            name, "http://127.0.0.1:1", "key-123456789", T0
        )

    def add_workspace(self, slug: str) -> int:
        return SqlWorkspaces(self.engine).create(slug, slug, T0).id

    def make_secret(self, slug: str) -> str:
        return SqlExperienceSecrets(self.engine, self._box).create(slug, T0)

    def _all(self, query: sa.Select[Any]) -> list[sa.Row[Any]]:
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def responses(self) -> list[ResponseRecord]:
        r = responses.c
        return [
            ResponseRecord(
                row.id,
                row.experience_version_id,
                row.channel,
                row.email,
                row.outcome_id,
                row.created_at,
                row.updated_at,
                row.completed_at,
                row.external_id,
            )
            for row in self._all(sa.select(responses).order_by(r.created_at, r.id))
        ]

    def answers(self, response_id: str) -> dict[str, tuple[str, Any]]:
        a = answers.c
        rows = self._all(sa.select(a.element_id, a.screen_id, a.value).where(a.response_id == response_id))
        return {row.element_id: (row.screen_id, row.value) for row in rows}

    def consents(self) -> list[ConsentEntry]:
        c = consent_records.c
        return [
            ConsentEntry(
                row.response_id, row.element_id, row.purpose, row.consent_key, row.given, row.text, row.recorded_at
            )
            for row in self._all(sa.select(consent_records).order_by(c.id))
        ]

    def queued(self) -> list[QueuedRow]:
        o = outbox.c
        rows = self._all(sa.select(o.destination_id, o.user_key, o.response_id, o.payload).order_by(o.seq))
        return [(row.destination_id, row.user_key, row.response_id, dict(row.payload)) for row in rows]


class MemoryCaptureWorld(CaptureWorld):
    def __init__(self) -> None:
        self.memory = MemoryCaptureStore()
        self.store = self.memory
        self.workspaces = MemoryWorkspaces()
        self._secrets = 0

    def publish(self, exp: Experience, workspace_id: int = DEFAULT_WORKSPACE_ID) -> Published:
        return self.memory.publish(exp, T0, workspace_id=workspace_id)

    def add_destination(self, name: str, workspace_id: int = DEFAULT_WORKSPACE_ID) -> int:
        made = self.memory.outbox.add_destination(name)
        self.memory.place_destination(made, workspace_id)
        return made

    def add_workspace(self, slug: str) -> int:
        return self.workspaces.create(slug, slug, T0).id

    def make_secret(self, slug: str) -> str:
        self._secrets += 1
        secret = f"zps_memory-secret-{self._secrets:04d}-of-at-least-thirty-two-characters"
        self.memory.set_secret(slug, secret)
        return secret

    def responses(self) -> list[ResponseRecord]:
        return self.memory.responses()

    def answers(self, response_id: str) -> dict[str, tuple[str, Any]]:
        return {k: (a.screen_id, a.value) for k, a in self.memory.answers(response_id).items()}

    def consents(self) -> list[ConsentEntry]:
        return self.memory.consents()

    def queued(self) -> list[QueuedRow]:
        return [(r.destination_id, r.user_key, r.response_id, dict(r.payload)) for r in self.memory.outbox.rows()]


def page_write(response_id: str, version_id: int, **extra: Any) -> ResponseWrite:
    """A hosted page's first screen of `response_id` (the sample's first answer), with `extra` fields."""
    fields: dict[str, Any] = {
        "response_id": response_id,
        "version_id": version_id,
        "channel": "page",
        "is_new": True,
        "answers": {"skin_type": ("skin", "dry")},
        "email": None,
        "outcome_id": None,
        "completed": False,
        "changes": {},
    }
    return ResponseWrite(**(fields | extra))
