"""Bring a database up to the sandbox's schema with its own Alembic history.

The sandbox records its revision in `sandbox_alembic_version` and creates only `braze_sandbox_*`
tables, so the database may be its own or shared with zeroparty, migrated in either order.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from zeroparty.adapters.db import migrate as product_migrate

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    return product_migrate.alembic_config(engine, MIGRATIONS)


def upgrade(engine: Engine) -> None:
    """Apply every sandbox migration the database lacks (nothing when it is current)."""
    command.upgrade(alembic_config(engine), "head")
