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


def current_definitions(engine: Engine) -> list[StoredDefinition]:
    """Each experience's latest version, by slug."""
    v = experience_versions.c
    latest = sa.select(v.experience_id, sa.func.max(v.version).label("version")).group_by(v.experience_id).subquery()
    query = (
        sa.select(experiences.c.slug, v.version, v.definition, experiences.c.state)
        .join(experience_versions, v.experience_id == experiences.c.id)
        .join(latest, sa.and_(latest.c.experience_id == v.experience_id, latest.c.version == v.version))
        .order_by(experiences.c.slug)
    )
    with reader(engine).connect() as conn:
        return [StoredDefinition(r.slug, r.version, r.definition, r.state) for r in conn.execute(query)]


class SqlPublishedDefinitions:
    """Every published version as stored, old ones too: a response keeps the version it started on,
    so what an old version shows (its images) is still in use."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def definitions(self) -> Iterator[DefinitionVersion]:
        v = experience_versions.c
        query = (
            sa.select(experiences.c.slug, v.version, v.definition)
            .join(experience_versions, v.experience_id == experiences.c.id)
            .order_by(experiences.c.slug, v.version)
        )
        with reader(self._engine).connect() as conn:
            rows = [DefinitionVersion(r.slug, r.version, r.definition) for r in conn.execute(query)]
        yield from rows
