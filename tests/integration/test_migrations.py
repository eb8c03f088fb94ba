"""The schema built by the migrations is exactly the declared one, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from tests.support.databases import fresh_postgres
from zeroparty.adapters.db import migrate, schema  # noqa: F401  (declares the tables)
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.metadata import metadata
from zeroparty.sandbox import tables  # noqa: F401


def diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def test_sqlite_migrations_match_the_declared_schema(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # idempotent: a second start changes nothing
    assert diff(engine) == []


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url


def test_postgres_migrations_match_the_declared_schema(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        migrate.upgrade(engine)
        assert diff(engine) == []
    finally:
        engine.dispose()
