"""Alembic environment of the sandbox: runs on the Engine handed over in config.attributes, records
its revision in its own version table and looks only at its own tables, so it can share a database
with zeroparty (or anything else) without either history seeing the other's tables."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Engine

from zeroparty.sandbox.tables import metadata

VERSION_TABLE = "sandbox_alembic_version"


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    # Autogenerate compares only the tables the sandbox declares; others in the database are not ours.
    return type_ != "table" or name in metadata.tables


engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
