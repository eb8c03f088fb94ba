"""Alembic environment: runs on the Engine handed over in config.attributes."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Engine

from zeroparty.adapters.db import schema  # noqa: F401  (declares zeroparty's tables)
from zeroparty.adapters.db.metadata import metadata
from zeroparty.sandbox import tables  # noqa: F401  (declares the sandbox's tables)

engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
