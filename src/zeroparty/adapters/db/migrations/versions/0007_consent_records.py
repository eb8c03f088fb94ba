"""Consent records kept for audit.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zeroparty.adapters.db.metadata import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("response_id", sa.String(36), nullable=False),
        sa.Column("element_id", sa.String(100), nullable=False),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("consent_key", sa.String(255), nullable=False),
        sa.Column("given", sa.Boolean, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_records"),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], name="fk_consent_records_response_id_responses"),
    )
    op.create_index("ix_consent_records_response_id", "consent_records", ["response_id"])


def downgrade() -> None:
    op.drop_index("ix_consent_records_response_id", table_name="consent_records")
    op.drop_table("consent_records")
