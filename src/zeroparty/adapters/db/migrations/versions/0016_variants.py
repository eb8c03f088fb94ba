"""A/B variants: the versions an experience is served as, by weight, and the variant each response
was served.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experience_variants",
        sa.Column("experience_id", sa.Integer, sa.ForeignKey("experiences.id"), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("experience_versions.id"), nullable=False),
        sa.Column("weight", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.add_column("responses", sa.Column("variant", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("variant")
    op.drop_table("experience_variants")
