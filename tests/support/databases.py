"""Real databases for tests: a SQLite file, or a fresh PostgreSQL database dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

import psycopg
import sqlalchemy as sa

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def fresh_postgres() -> Iterator[str]:
    name = "zp_test_" + uuid.uuid4().hex[:10]
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'zeroparty.db'}"
    else:
        with fresh_postgres() as url:
            yield url


STORES = ["sqlite", "postgresql", "memory"]  # a contract suite's parameters: both databases and the twin


class OnEngine(Protocol):
    @property
    def engine(self) -> sa.Engine: ...


W = TypeVar("W")
S = TypeVar("S", bound=OnEngine)


@contextmanager
def store_for(kind: str, tmp_path: Path, sql: Callable[[str, Path], S], memory: Callable[[], W]) -> Iterator[S | W]:
    """What a contract test runs on: `memory()` for "memory", else `sql(url, tmp_path)` on a fresh
    database of that kind, its engine disposed of afterwards."""
    if kind == "memory":
        yield memory()
        return
    with database_url(kind, tmp_path) as url:
        world = sql(url, tmp_path)
        try:
            yield world
        finally:
            world.engine.dispose()
