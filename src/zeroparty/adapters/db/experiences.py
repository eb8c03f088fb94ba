"""Published experience versions. A version, once written, never changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import experience_versions, experiences
from zeroparty.domain.experience.model import Experience, canonical_text
from zeroparty.services.ports import Published


@lru_cache(maxsize=512)
def _parse(version_id: int, definition_json: str) -> Experience:
    # Versions are immutable, so parsing once per version is safe; keyed by id and content.
    return Experience.model_validate_json(definition_json)


def _published(version_id: int, version: int, definition: Any) -> Published:
    return Published(version_id, version, _parse(version_id, canonical_text(definition)))


def latest_published(conn: Connection, slug: str) -> Published | None:
    row = conn.execute(
        sa.select(experience_versions.c.id, experience_versions.c.version, experience_versions.c.definition)
        .join(experiences, experiences.c.id == experience_versions.c.experience_id)
        .where(experiences.c.slug == slug)
        .order_by(experience_versions.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else _published(row.id, row.version, row.definition)


def version_by_id(conn: Connection, version_id: int) -> Published:
    row = conn.execute(
        sa.select(experience_versions.c.id, experience_versions.c.version, experience_versions.c.definition).where(
            experience_versions.c.id == version_id
        )
    ).one()
    return _published(row.id, row.version, row.definition)


@dataclass(frozen=True)
class Publication:
    """The outcome of publishing: the current version, and whether this call created it."""

    published: Published
    created: bool


class SqlExperienceStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def publish(self, exp: Experience, now: datetime) -> Published:
        """The version holding `exp`: a new one, or the latest when it already holds the same definition."""
        return self.publish_if_changed(exp, now).published

    def publish_if_changed(self, exp: Experience, now: datetime) -> Publication:
        """Publish `exp` as a new version unless the latest version's definition is the same.

        The comparison runs inside the write transaction, so two imports of one file cannot both
        see "changed" on SQLite (BEGIN IMMEDIATE); on PostgreSQL the unique version number makes
        the second one fail rather than duplicate."""
        definition = exp.stored_form()
        with self._engine.begin() as conn:
            exp_id = conn.execute(sa.select(experiences.c.id).where(experiences.c.slug == exp.slug)).scalar()
            if exp_id is None:
                exp_id = conn.execute(
                    sa.insert(experiences).values(slug=exp.slug, created_at=now).returning(experiences.c.id)
                ).scalar_one()
            last = conn.execute(
                sa.select(experience_versions.c.id, experience_versions.c.version, experience_versions.c.definition)
                .where(experience_versions.c.experience_id == exp_id)
                .order_by(experience_versions.c.version.desc())
                .limit(1)
            ).first()
            if last is not None and canonical_text(last.definition) == canonical_text(definition):
                return Publication(Published(last.id, last.version, exp), created=False)
            version = (last.version if last is not None else 0) + 1
            version_id = conn.execute(
                sa.insert(experience_versions)
                .values(experience_id=exp_id, version=version, definition=definition, published_at=now)
                .returning(experience_versions.c.id)
            ).scalar_one()
        return Publication(Published(version_id, version, exp), created=True)

    def published(self, slug: str) -> Published | None:
        with reader(self._engine).connect() as conn:
            return latest_published(conn, slug)

    def list_published(self) -> Iterator[Published]:
        with reader(self._engine).connect() as conn:
            slugs = conn.execute(sa.select(experiences.c.slug).order_by(experiences.c.slug)).scalars().all()
            found = [latest_published(conn, s) for s in slugs]
        yield from (p for p in found if p is not None)
