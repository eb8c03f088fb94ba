"""Per-destination settings (identity, limits, renames, consent groups, events), and the erasure log.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zeroparty.adapters.db.metadata import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing destinations get `{}`: every setting at its default, which is how they behaved before.
    op.add_column("destinations", sa.Column("settings", sa.JSON, nullable=False, server_default="{}"))
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("email_sha256", sa.String(64), nullable=False),
        sa.Column("responses", sa.Integer, nullable=False),
        sa.Column("destinations", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erasures"),
    )
    op.create_index("ix_erasures_email_sha256", "erasures", ["email_sha256"])


def downgrade() -> None:
    op.drop_index("ix_erasures_email_sha256", table_name="erasures")
    op.drop_table("erasures")
    # SQLite rebuilds the table to drop a column; batch mode does that, and is a plain ALTER elsewhere.
    with op.batch_alter_table("destinations") as batch:
        batch.drop_column("settings")
