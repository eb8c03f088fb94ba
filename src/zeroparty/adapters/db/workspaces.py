"""The workspaces table (schema.py): create, find, list."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import workspaces
from zeroparty.domain.workspaces import Workspace
from zeroparty.errors import Conflict, FieldError

INSERT = sa.insert(workspaces)
BY_SLUG = sa.select(workspaces).where(workspaces.c.slug == sa.bindparam("slug"))
BY_ID = sa.select(workspaces).where(workspaces.c.id == sa.bindparam("id"))
ALL = sa.select(workspaces).order_by(workspaces.c.id)


def _workspace(m: sa.RowMapping) -> Workspace:
    return Workspace(m["id"], m["slug"], m["name"], m["created_at"])


class SqlWorkspaces:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, slug: str, name: str, now: datetime) -> Workspace:
        """A new workspace; Conflict when the slug is taken. The caller has checked slug and name."""
        try:
            with self._engine.begin() as conn:
                new_id = conn.execute(INSERT, {"slug": slug, "name": name, "created_at": now}).inserted_primary_key
        except IntegrityError:
            raise Conflict(FieldError("slug", f"a workspace named {slug!r} exists already")) from None
        assert new_id is not None
        return Workspace(int(new_id[0]), slug, name, now)

    def by_slug(self, slug: str) -> Workspace | None:
        with reader(self._engine).connect() as conn:
            row = conn.execute(BY_SLUG, {"slug": slug}).mappings().first()
        return _workspace(row) if row is not None else None

    def by_id(self, workspace_id: int) -> Workspace | None:
        with reader(self._engine).connect() as conn:
            row = conn.execute(BY_ID, {"id": workspace_id}).mappings().first()
        return _workspace(row) if row is not None else None

    def all(self) -> list[Workspace]:
        with reader(self._engine).connect() as conn:
            return [_workspace(m) for m in conn.execute(ALL).mappings()]
