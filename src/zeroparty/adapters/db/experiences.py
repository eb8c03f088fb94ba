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
from zeroparty.domain.experience.publishing import PUBLISH_STATES, PublishState, is_listed
from zeroparty.errors import FieldError, NotFound
from zeroparty.services.ports import Published


@lru_cache(maxsize=512)
def _parse(version_id: int, definition_json: str) -> Experience:
    # Versions are immutable, so parsing once per version is safe; keyed by id and content.
    return Experience.model_validate_json(definition_json)


def _state(stored: str) -> PublishState:
    found = next((s for s in PUBLISH_STATES if s == stored), None)
    if found is None:
        raise ValueError(f"unknown publishing state {stored!r} in the store")
    return found


def _published(row: Any) -> Published:
    experience = _parse(row.id, canonical_text(row.definition))
    return Published(row.id, row.version, experience, _state(row.state), row.closed_message)


_VERSION_WITH_STATE = sa.select(
    experience_versions.c.id,
    experience_versions.c.version,
    experience_versions.c.definition,
    experiences.c.state,
    experiences.c.closed_message,
).join(experiences, experiences.c.id == experience_versions.c.experience_id)


def latest_published(conn: Connection, slug: str) -> Published | None:
    """The latest version of `slug`, whatever its publishing state (the caller decides what it allows)."""
    row = conn.execute(
        _VERSION_WITH_STATE.where(experiences.c.slug == slug).order_by(experience_versions.c.version.desc()).limit(1)
    ).first()
    return None if row is None else _published(row)


def version_by_id(conn: Connection, version_id: int) -> Published:
    return _published(conn.execute(_VERSION_WITH_STATE.where(experience_versions.c.id == version_id)).one())


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
            found = conn.execute(
                sa.select(experiences.c.id, experiences.c.state, experiences.c.closed_message).where(
                    experiences.c.slug == exp.slug
                )
            ).first()
            if found is None:
                exp_id = conn.execute(
                    sa.insert(experiences).values(slug=exp.slug, created_at=now).returning(experiences.c.id)
                ).scalar_one()
                state: PublishState = "published"
                closed_message = None
            else:  # a new version keeps the experience's publishing state
                exp_id, state, closed_message = found.id, _state(found.state), found.closed_message
            last = conn.execute(
                sa.select(experience_versions.c.id, experience_versions.c.version, experience_versions.c.definition)
                .where(experience_versions.c.experience_id == exp_id)
                .order_by(experience_versions.c.version.desc())
                .limit(1)
            ).first()
            if last is not None and canonical_text(last.definition) == canonical_text(definition):
                return Publication(Published(last.id, last.version, exp, state, closed_message), created=False)
            version = (last.version if last is not None else 0) + 1
            version_id = conn.execute(
                sa.insert(experience_versions)
                .values(experience_id=exp_id, version=version, definition=definition, published_at=now)
                .returning(experience_versions.c.id)
            ).scalar_one()
        return Publication(Published(version_id, version, exp, state, closed_message), created=True)

    def published(self, slug: str) -> Published | None:
        with reader(self._engine).connect() as conn:
            return latest_published(conn, slug)

    def list_published(self) -> Iterator[Published]:
        """Every published experience (unpublished and closed ones left out), by slug."""
        with reader(self._engine).connect() as conn:
            slugs = (
                conn.execute(
                    sa.select(experiences.c.slug).where(experiences.c.state == "published").order_by(experiences.c.slug)
                )
                .scalars()
                .all()
            )
            found = [latest_published(conn, s) for s in slugs]
        yield from (p for p in found if p is not None)

    def list_listed(self) -> list[Published]:
        """The published experiences that opted in to the public index (`settings.listed`)."""
        return [p for p in self.list_published() if is_listed(p.experience.settings)]

    def set_state(self, slug: str, state: PublishState, closed_message: str | None = None) -> PublishState:
        """Publish, unpublish or close `slug` (its versions stay as they are); the state it was in.
        NotFound naming `slug` when nothing was ever published under it."""
        with self._engine.begin() as conn:
            before = conn.execute(sa.select(experiences.c.state).where(experiences.c.slug == slug)).scalar()
            if before is None:
                raise NotFound(FieldError("slug", f"no experience '{slug}'; publish one with `experiences import`"))
            message = closed_message if state == "closed" else None
            conn.execute(
                sa.update(experiences).where(experiences.c.slug == slug).values(state=state, closed_message=message)
            )
        return _state(before)
