"""Published experience versions. A version, once written, never changes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import experience_versions, experiences
from zeroparty.domain.definition import Experience, canonical_text
from zeroparty.services.ports import Published


@lru_cache(maxsize=512)
def _parse(version_id: int, definition_json: str) -> Experience:
    # Versions are immutable, so parsing once per version is safe; keyed by id and content.
    return Experience.model_validate_json(definition_json)


def _published(version_id: int, version: int, definition: Any) -> Published:
    return Published(version_id, version, _parse(version_id, canonical_text(definition)))


class VersionCache:
    """Published versions by id, each read and parsed once: a version never changes once written.
    One per store (version ids are per database); bounded, the least recently used going first."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._kept: OrderedDict[int, Published] = OrderedDict()
        self._lock = threading.Lock()  # capture reads it from many threads

    def get(self, version_id: int) -> Published | None:
        with self._lock:
            found = self._kept.get(version_id)
            if found is not None:
                self._kept.move_to_end(version_id)
            return found

    def put(self, published: Published) -> None:
        with self._lock:
            self._kept[published.version_id] = published
            self._kept.move_to_end(published.version_id)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)


def latest_published(conn: Connection, slug: str, cache: VersionCache | None = None) -> Published | None:
    """`slug`'s latest version. With a `cache`, only its id is read when the cache holds it."""
    v = experience_versions.c
    columns = [v.id, v.version] if cache is not None else [v.id, v.version, v.definition]
    row = conn.execute(
        sa.select(*columns)
        .join(experiences, experiences.c.id == v.experience_id)
        .where(experiences.c.slug == slug)
        .order_by(v.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    if cache is None:
        return _published(row.id, row.version, row.definition)
    return version_by_id(conn, row.id, cache)


def version_by_id(conn: Connection, version_id: int, cache: VersionCache | None = None) -> Published:
    found = cache.get(version_id) if cache is not None else None
    if found is not None:
        return found
    row = conn.execute(
        sa.select(experience_versions.c.id, experience_versions.c.version, experience_versions.c.definition).where(
            experience_versions.c.id == version_id
        )
    ).one()
    published = _published(row.id, row.version, row.definition)
    if cache is not None:
        cache.put(published)
    return published


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
