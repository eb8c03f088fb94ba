"""One workspace's experiences as the console shows them: each with its latest version and response
counts, every version of one, and a version's definition (services/publishing.py's port)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.experiences import SqlExperienceStore, _state
from zeroparty.adapters.db.schema import experience_versions, experiences, responses
from zeroparty.domain.experience.publishing import PublishState
from zeroparty.services.publishing import ExperienceSummary, VersionInfo


class SqlExperienceHistory(SqlExperienceStore):
    def _mine(self, slug: str) -> sa.ColumnElement[bool]:
        return sa.and_(experiences.c.slug == slug, experiences.c.workspace_id == self.workspace_id)

    def summaries(self) -> list[ExperienceSummary]:
        v, r = experience_versions.c, responses.c
        latest = (
            sa.select(v.experience_id, sa.func.max(v.version).label("version")).group_by(v.experience_id).subquery()
        )
        counts = (
            sa.select(
                v.experience_id,
                sa.func.count(r.id).label("responses"),
                sa.func.count(r.completed_at).label("completed"),
            )
            .join(responses, r.experience_version_id == v.id)
            .group_by(v.experience_id)
            .subquery()
        )
        query = (
            sa.select(
                experiences.c.slug,
                experiences.c.state,
                v.version,
                v.definition,
                v.published_at,
                sa.func.coalesce(counts.c.responses, 0).label("responses"),
                sa.func.coalesce(counts.c.completed, 0).label("completed"),
            )
            .join(experience_versions, v.experience_id == experiences.c.id)
            .join(latest, sa.and_(latest.c.experience_id == v.experience_id, latest.c.version == v.version))
            .outerjoin(counts, counts.c.experience_id == experiences.c.id)
            .where(experiences.c.workspace_id == self.workspace_id)
            .order_by(experiences.c.slug)
        )
        with reader(self._engine).connect() as conn:
            return [
                ExperienceSummary(
                    row.slug,
                    str(row.definition.get("title", "")),
                    row.state,
                    row.version,
                    row.published_at,
                    row.responses,
                    row.completed,
                )
                for row in conn.execute(query)
            ]

    def versions(self, slug: str) -> list[VersionInfo]:
        v = experience_versions.c
        query = (
            sa.select(v.version, v.published_at)
            .join(experiences, experiences.c.id == v.experience_id)
            .where(self._mine(slug))
            .order_by(v.version.desc())
        )
        with reader(self._engine).connect() as conn:
            return [VersionInfo(row.version, row.published_at) for row in conn.execute(query)]

    def definition(self, slug: str, version: int) -> dict[str, Any] | None:
        v = experience_versions.c
        query = (
            sa.select(v.definition)
            .join(experiences, experiences.c.id == v.experience_id)
            .where(self._mine(slug), v.version == version)
        )
        with reader(self._engine).connect() as conn:
            found = conn.execute(query).scalar()
        return dict(found) if isinstance(found, dict) else None

    def state(self, slug: str) -> tuple[PublishState, str | None] | None:
        query = sa.select(experiences.c.state, experiences.c.closed_message).where(self._mine(slug))
        with reader(self._engine).connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (_state(row.state), row.closed_message)
