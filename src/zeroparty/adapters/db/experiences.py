"""Published experience versions. A version, once written, never changes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import experience_versions, experiences
from zeroparty.domain.experience.model import Experience, canonical_text
from zeroparty.domain.experience.publishing import PUBLISH_STATES, PublishState, is_listed
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.errors import Conflict, FieldError, NotFound
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
    return Published(row.id, row.version, experience, _state(row.state), row.closed_message, row.workspace_id)


_VERSION_WITH_STATE = sa.select(
    experience_versions.c.id,
    experience_versions.c.version,
    experience_versions.c.definition,
    experiences.c.state,
    experiences.c.closed_message,
    experiences.c.workspace_id,
).join(experiences, experiences.c.id == experience_versions.c.experience_id)


class VersionCache:
    """Published versions by id, each read and parsed once: a version never changes once written
    (its experience's publishing state does, and is read each time, not kept here). One per store
    (version ids are per database); bounded, the least recently used going first."""

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


_STATE = sa.select(experiences.c.state, experiences.c.closed_message).join(
    experience_versions, experiences.c.id == experience_versions.c.experience_id
)


def _with_state(kept: Published, row: Any) -> Published:
    return replace(kept, state=_state(row.state), closed_message=row.closed_message)


def _latest(with_definition: bool) -> sa.Select[Any]:
    v = experience_versions.c
    columns = [v.id, v.version, experiences.c.state, experiences.c.closed_message, experiences.c.workspace_id]
    return (
        sa.select(*columns, *([v.definition] if with_definition else []))
        .join(experiences, experiences.c.id == v.experience_id)
        .where(experiences.c.slug == sa.bindparam("slug"))
        .order_by(v.version.desc())
        .limit(1)
    )


# Built once: every submit reads the latest version, and building the statement again each time
# (and keying it for SQLAlchemy's compiled cache) cost more than running it.
_LATEST = _latest(with_definition=True)
_LATEST_STATE = _latest(with_definition=False)


def latest_published(conn: Connection, slug: str, cache: VersionCache | None = None) -> Published | None:
    """The latest version of `slug`, whatever its publishing state (the caller decides what it
    allows). With a `cache`, the definition is read only when the cache does not hold it."""
    row = conn.execute(_LATEST if cache is None else _LATEST_STATE, {"slug": slug}).first()
    if row is None:
        return None
    if cache is None:
        return _published(row)
    return _with_state(_kept_version(conn, row.id, cache), row)


def _kept_version(conn: Connection, version_id: int, cache: VersionCache) -> Published:
    found = cache.get(version_id)
    if found is None:
        row = conn.execute(_VERSION_WITH_STATE.where(experience_versions.c.id == version_id)).one()
        found = replace(_published(row), state="published", closed_message=None)  # the state is not kept
        cache.put(found)
    return found


def version_by_id(conn: Connection, version_id: int, cache: VersionCache | None = None) -> Published:
    if cache is None:
        return _published(conn.execute(_VERSION_WITH_STATE.where(experience_versions.c.id == version_id)).one())
    kept = _kept_version(conn, version_id, cache)
    return _with_state(kept, conn.execute(_STATE.where(experience_versions.c.id == version_id)).one())


@dataclass(frozen=True)
class Publication:
    """The outcome of publishing: the current version, and whether this call created it."""

    published: Published
    created: bool


def taken_elsewhere(slug: str) -> Conflict:
    return Conflict(FieldError("slug", f"'{slug}' is taken by another workspace; experience slugs are public URLs"))


def not_found(slug: str) -> NotFound:
    return NotFound(FieldError("slug", f"no experience '{slug}'; publish one with `experiences import`"))


class SqlExperienceStore:
    """One workspace's experiences. What the public pages read (`published`, `list_listed`) finds
    any workspace's: a slug is a public URL, unique on the instance. What operators change or list
    stays in `workspace_id`: another workspace's experience is not found."""

    def __init__(self, engine: Engine, *, workspace_id: int = DEFAULT_WORKSPACE_ID) -> None:
        self._engine = engine
        self.workspace_id = workspace_id

    def publish(self, exp: Experience, now: datetime) -> Published:
        """The version holding `exp`: a new one, or the latest when it already holds the same definition."""
        return self.publish_if_changed(exp, now).published

    def publish_if_changed(self, exp: Experience, now: datetime) -> Publication:
        """Publish `exp` as a new version unless the latest version's definition is the same.
        Conflict naming `slug` when another workspace holds the slug (nothing is stored).

        The comparison runs inside the write transaction, so two imports of one file cannot both
        see "changed" on SQLite (BEGIN IMMEDIATE); on PostgreSQL the unique version number makes
        the second one fail rather than duplicate."""
        definition = exp.stored_form()
        ws = self.workspace_id
        with self._engine.begin() as conn:
            found = conn.execute(
                sa.select(
                    experiences.c.id, experiences.c.state, experiences.c.closed_message, experiences.c.workspace_id
                ).where(experiences.c.slug == exp.slug)
            ).first()
            if found is not None and found.workspace_id != ws:
                raise taken_elsewhere(exp.slug)
            if found is None:
                exp_id = conn.execute(
                    sa.insert(experiences)
                    .values(slug=exp.slug, created_at=now, workspace_id=ws)
                    .returning(experiences.c.id)
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
                kept = Published(last.id, last.version, exp, state, closed_message, ws)
                return Publication(kept, created=False)
            version = (last.version if last is not None else 0) + 1
            version_id = conn.execute(
                sa.insert(experience_versions)
                .values(experience_id=exp_id, version=version, definition=definition, published_at=now)
                .returning(experience_versions.c.id)
            ).scalar_one()
        return Publication(Published(version_id, version, exp, state, closed_message, ws), created=True)

    def published(self, slug: str) -> Published | None:
        """The latest version of `slug`, whichever workspace holds it (the public pages' read)."""
        with reader(self._engine).connect() as conn:
            return latest_published(conn, slug)

    def own(self, slug: str) -> Published | None:
        """The latest version of `slug` when this workspace holds it."""
        found = self.published(slug)
        return found if found is not None and found.workspace_id == self.workspace_id else None

    def _published_of(self, workspace_id: int | None) -> list[Published]:
        query = sa.select(experiences.c.slug).where(experiences.c.state == "published").order_by(experiences.c.slug)
        if workspace_id is not None:
            query = query.where(experiences.c.workspace_id == workspace_id)
        with reader(self._engine).connect() as conn:
            found = [latest_published(conn, s) for s in conn.execute(query).scalars().all()]
        return [p for p in found if p is not None]

    def list_published(self) -> Iterator[Published]:
        """This workspace's published experiences (unpublished and closed ones left out), by slug."""
        yield from self._published_of(self.workspace_id)

    def published_in(self, workspace_id: int) -> list[Published]:
        """Workspace `workspace_id`'s published experiences, whichever this store acts in (the JSON
        API lists the calling token's)."""
        return list(self._published_of(workspace_id))

    def list_listed(self) -> list[Published]:
        """Every workspace's published experiences that opted in to the public index
        (`settings.listed`): the index is public, as their pages are."""
        return [p for p in self._published_of(None) if is_listed(p.experience.settings)]

    def set_state(self, slug: str, state: PublishState, closed_message: str | None = None) -> PublishState:
        """Publish, unpublish or close `slug` (its versions stay as they are); the state it was in.
        NotFound naming `slug` when this workspace never published anything under it."""
        mine = sa.and_(experiences.c.slug == slug, experiences.c.workspace_id == self.workspace_id)
        with self._engine.begin() as conn:
            before = conn.execute(sa.select(experiences.c.state).where(mine)).scalar()
            if before is None:
                raise not_found(slug)
            message = closed_message if state == "closed" else None
            conn.execute(sa.update(experiences).where(mine).values(state=state, closed_message=message))
        return _state(before)
