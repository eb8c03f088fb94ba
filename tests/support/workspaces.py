"""A second workspace on a test store, for the isolation tests."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.schema import workspaces


def another_workspace(engine: Engine, slug: str, now: datetime) -> int:
    """The id of workspace `slug`, made if need be (a PostgreSQL database may be a reused one). Its id
    is given explicitly: migration 0019 inserts workspace 1 by id, which leaves PostgreSQL's id
    sequence behind it."""
    with engine.begin() as conn:
        found = conn.execute(sa.select(workspaces.c.id).where(workspaces.c.slug == slug)).scalar()
        if found is not None:
            return int(found)
        new_id = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(workspaces.c.id), 0) + 1)).scalar_one())
        conn.execute(sa.insert(workspaces).values(id=new_id, slug=slug, name=slug.title(), created_at=now))
    return new_id
