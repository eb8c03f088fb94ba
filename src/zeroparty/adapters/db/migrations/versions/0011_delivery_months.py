"""Data points sent per destination and calendar month, for the monthly data-point budget.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_months",
        sa.Column("destination_id", sa.Integer, sa.ForeignKey("destinations.id"), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("points_sent", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("delivery_months")
