"""Alembic environment: runs on the Engine handed over in config.attributes.

Only zeroparty's own tables are compared by autogenerate: the database may also hold tables that
are not ours (the Braze sandbox keeps its own schema and history there when it shares the file).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Engine

from zeroparty.adapters.db import schema  # noqa: F401  (declares zeroparty's tables)
from zeroparty.adapters.db.metadata import metadata


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    return type_ != "table" or name in metadata.tables


engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, include_name=include_name, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
