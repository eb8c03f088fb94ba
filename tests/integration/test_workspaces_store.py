"""Workspaces as operators manage them (`services.workspaces.WorkspaceStore` behind
`WorkspaceService`), on a real SQLite file, a real PostgreSQL database and the in-memory twin: the
first workspace is `default`, slugs are unique, a bad slug or name is refused naming it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.databases import STORES, store_for
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.workspaces import SqlWorkspaces
from zeroparty.adapters.memory.workspaces import MemoryWorkspaces
from zeroparty.errors import Conflict, InvalidInput
from zeroparty.services.workspaces import WorkspaceService

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class SqlWorld:
    engine: sa.Engine
    service: WorkspaceService


@dataclass
class MemoryWorld:
    service: WorkspaceService


def _sql(url: str, _tmp: Path) -> SqlWorld:
    engine = create_engine(url)
    migrate.upgrade(engine)
    return SqlWorld(engine, WorkspaceService(SqlWorkspaces(engine), clock=lambda: T0))


@pytest.fixture(params=STORES)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlWorld | MemoryWorld]:
    with store_for(request.param, tmp_path, _sql, lambda: MemoryWorld(WorkspaceService(MemoryWorkspaces()))) as w:
        yield w


def test_a_new_store_has_the_default_workspace_only(world: SqlWorld | MemoryWorld) -> None:
    [only] = world.service.list()
    assert (only.id, only.slug) == (1, "default")


def test_a_workspace_is_created_and_listed_after_the_first(world: SqlWorld | MemoryWorld) -> None:
    made = world.service.create("acme", "Acme Beauty")
    assert (made.slug, made.name) == ("acme", "Acme Beauty")
    assert made.id != 1
    assert [(w.slug, w.name) for w in world.service.list()] == [("default", "Default"), ("acme", "Acme Beauty")]
    assert world.service.by_slug("acme") == made
    assert world.service.by_slug("nowhere") is None


def test_without_a_name_the_slug_names_it(world: SqlWorld | MemoryWorld) -> None:
    assert world.service.create("brand-b").name == "brand-b"


def test_a_taken_slug_is_a_conflict_naming_slug(world: SqlWorld | MemoryWorld) -> None:
    world.service.create("acme", "Acme")
    with pytest.raises(Conflict) as caught:
        world.service.create("acme", "Another")
    assert [e.field for e in caught.value.errors] == ["slug"]
    assert len(world.service.list()) == 2


@pytest.mark.parametrize(
    ("slug", "name", "field"),
    [("Acme", "Acme", "slug"), ("-acme", "Acme", "slug"), ("acme", "  ", "name"), ("acme", "x" * 101, "name")],
)
def test_a_bad_slug_or_name_is_refused_naming_it(
    world: SqlWorld | MemoryWorld, slug: str, name: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        world.service.create(slug, name)
    assert [e.field for e in caught.value.errors] == [field]
    assert len(world.service.list()) == 1
