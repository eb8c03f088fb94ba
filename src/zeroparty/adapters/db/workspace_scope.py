"""What belongs to one workspace among the rows that do not name it: a response belongs to the
workspace of its experience (the schema's comment on `workspaces`)."""

from __future__ import annotations

import sqlalchemy as sa

from zeroparty.adapters.db.schema import experience_versions, experiences, responses


def of_workspace(workspace_id: int) -> sa.ColumnElement[bool]:
    """Responses to the workspace's experiences: another workspace's respondents are not its own."""
    versions = (
        sa.select(experience_versions.c.id)
        .join(experiences, experiences.c.id == experience_versions.c.experience_id)
        .where(experiences.c.workspace_id == workspace_id)
    )
    return responses.c.experience_version_id.in_(versions)
