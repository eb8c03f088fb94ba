"""The schema built by the migrations is exactly the declared one, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from zeroparty.adapters.db import migrate, schema  # noqa: F401  (declares the tables)
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.metadata import metadata
from zeroparty.sandbox import tables  # noqa: F401

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


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
    name = "zp_test_" + uuid.uuid4().hex[:10]
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgres_migrations_match_the_declared_schema(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        migrate.upgrade(engine)
        assert diff(engine) == []
    finally:
        engine.dispose()
