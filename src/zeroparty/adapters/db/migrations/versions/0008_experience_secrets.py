"""Signed external ids: each experience's token secret, and the external id on a response.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zeroparty.adapters.db.metadata import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experience_secrets",
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("secret_sealed", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("slug", name="pk_experience_secrets"),
    )
    op.add_column("responses", sa.Column("external_id", sa.String(987), nullable=True))


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column; batch mode does that, and is a plain ALTER elsewhere.
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("external_id")
    op.drop_table("experience_secrets")
