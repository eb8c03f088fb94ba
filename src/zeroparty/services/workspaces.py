"""Workspaces as operators manage them: create one, list them. `zeroparty workspaces` is one face of
it. The store answers through `WorkspaceStore`; what a workspace is lives in domain/workspaces.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from zeroparty.domain.workspaces import Workspace, name_problem, slug_problem
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.audit import AuditService
from zeroparty.services.clock import utcnow


class WorkspaceStore(Protocol):
    def create(self, slug: str, name: str, now: datetime) -> Workspace:
        """A new workspace; Conflict naming `slug` when the slug is taken."""
        ...

    def by_slug(self, slug: str) -> Workspace | None: ...

    def by_id(self, workspace_id: int) -> Workspace | None: ...

    def all(self) -> list[Workspace]:
        """Every workspace, oldest first."""
        ...


class WorkspaceService:
    def __init__(
        self, store: WorkspaceStore, clock: Callable[[], datetime] = utcnow, *, audit: AuditService | None = None
    ) -> None:
        self._store = store
        self._clock = clock
        self._audit = audit

    def create(self, slug: str, name: str | None = None, *, actor: str | None = None) -> Workspace:
        """A new workspace named `name` (its slug when none is given); InvalidInput naming `slug` or
        `name` when either cannot be used, Conflict naming `slug` when it is taken."""
        name = slug if name is None else name
        problems = [FieldError(f, p) for f, p in (("slug", slug_problem(slug)), ("name", name_problem(name))) if p]
        if problems:
            raise InvalidInput(problems)
        made = self._store.create(slug, name, self._clock())
        if actor is not None and self._audit is not None:
            self._audit.record(made.id, actor, "workspace.create", made.slug, {"name": made.name})
        return made

    def list(self) -> list[Workspace]:
        return self._store.all()

    def by_slug(self, slug: str) -> Workspace | None:
        return self._store.by_slug(slug)
