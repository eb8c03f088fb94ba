"""The Braze sandbox keeps its own schema and migration history now: drop the tables 0002 created.

Databases created before the move still hold them; the sandbox's own tables have other names
(`braze_sandbox_*`), so nothing of the sandbox's current schema is touched here.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Children before the profiles table their foreign keys point at.
LEGACY_TABLES = ("sandbox_email_states", "sandbox_purchases", "sandbox_events", "sandbox_aliases", "sandbox_profiles")


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for table in LEGACY_TABLES:
        if table in present:
            op.drop_table(table)  # its indexes go with it


def downgrade() -> None:
    # Back at 0003 the schema is 0002's again (empty tables), so 0002's own downgrade can run later.
    importlib.import_module("zeroparty.adapters.db.migrations.versions.0002_sandbox").upgrade()
