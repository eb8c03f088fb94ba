"""Alembic environment: runs on the Engine handed over in config.attributes.

Only zeroparty's own tables are compared by autogenerate: the database may also hold tables that
are not ours (the Braze sandbox keeps its own schema and history there when it shares the file).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db import schema  # noqa: F401  (declares zeroparty's tables)
from zeroparty.adapters.db.metadata import metadata


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    return type_ != "table" or name in metadata.tables


engine: Engine = context.config.attributes["engine"]


def _sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    # Outside any transaction (SQLite ignores the pragma inside one), on the driver's connection.
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")  # type: ignore[union-attr]


with engine.connect() as connection:
    # SQLite adds a foreign key by rebuilding the table (batch mode): the old one is dropped while rows
    # of other tables still point at it, which its own checks would refuse. So they are off while the
    # migrations run (SQLite's documented way to alter a table), and every reference is checked again
    # before the migrations commit.
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(connection, on=False)
    try:
        context.configure(
            connection=connection, target_metadata=metadata, include_name=include_name, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                raise RuntimeError(f"the migrations left rows pointing nowhere: {broken[:5]}")
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, on=True)
