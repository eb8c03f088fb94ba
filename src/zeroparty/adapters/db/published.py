"""The current version of each published experience as stored (JSON), for the listings and the
consent checks: reading it builds no experience models, so those commands start quickly."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import experience_versions, experiences
from zeroparty.domain.assets import DefinitionVersion
from zeroparty.services.destination_types import StoredDefinition


def current_definitions(engine: Engine, workspace_id: int | None = None) -> list[StoredDefinition]:
    """Each experience's latest version, by slug: workspace `workspace_id`'s, or (None) every one's."""
    v = experience_versions.c
    latest = sa.select(v.experience_id, sa.func.max(v.version).label("version")).group_by(v.experience_id).subquery()
    query = (
        sa.select(experiences.c.slug, v.version, v.definition, experiences.c.state)
        .join(experience_versions, v.experience_id == experiences.c.id)
        .join(latest, sa.and_(latest.c.experience_id == v.experience_id, latest.c.version == v.version))
        .order_by(experiences.c.slug)
    )
    if workspace_id is not None:
        query = query.where(experiences.c.workspace_id == workspace_id)
    with reader(engine).connect() as conn:
        return [StoredDefinition(r.slug, r.version, r.definition, r.state) for r in conn.execute(query)]


class SqlPublishedDefinitions:
    """Every published version as stored, old ones too: a response keeps the version it started on,
    so what an old version shows (its images) is still in use."""

    def __init__(self, engine: Engine, *, workspace_id: int | None = None) -> None:
        self._engine = engine
        self._workspace_id = workspace_id  # None: every workspace's

    def definitions(self) -> Iterator[DefinitionVersion]:
        v = experience_versions.c
        query = (
            sa.select(experiences.c.slug, v.version, v.definition)
            .join(experience_versions, v.experience_id == experiences.c.id)
            .order_by(experiences.c.slug, v.version)
        )
        if self._workspace_id is not None:
            query = query.where(experiences.c.workspace_id == self._workspace_id)
        with reader(self._engine).connect() as conn:
            rows = [DefinitionVersion(r.slug, r.version, r.definition) for r in conn.execute(query)]
        yield from rows
