"""The workspaces in memory: the twin of adapters/db/workspaces.py (`services.workspaces.WorkspaceStore`)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from zeroparty.domain.workspaces import DEFAULT_SLUG, DEFAULT_WORKSPACE_ID, Workspace
from zeroparty.errors import Conflict, FieldError


class MemoryWorkspaces:
    """Starts as a migrated database does: with the `default` workspace, id 1."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        first = Workspace(DEFAULT_WORKSPACE_ID, DEFAULT_SLUG, "Default", datetime(2026, 1, 1, tzinfo=UTC))
        self._by_id: dict[int, Workspace] = {first.id: first}

    def create(self, slug: str, name: str, now: datetime) -> Workspace:
        with self._lock:
            if self.by_slug(slug) is not None:
                raise Conflict(FieldError("slug", f"a workspace named {slug!r} exists already"))
            made = Workspace(max(self._by_id) + 1, slug, name, now)
            self._by_id[made.id] = made
        return made

    def by_slug(self, slug: str) -> Workspace | None:
        return next((w for w in self._by_id.values() if w.slug == slug), None)

    def by_id(self, workspace_id: int) -> Workspace | None:
        return self._by_id.get(workspace_id)

    def all(self) -> list[Workspace]:
        return sorted(self._by_id.values(), key=lambda w: w.id)
