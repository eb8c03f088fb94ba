"""What a response's rules computed: the screens it visited in order and its variables.

Revision ID: 0015
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
# The numbers between are kept for work landing beside this; whichever lands later re-points this.
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("responses", sa.Column("path", sa.JSON, nullable=True))
    op.add_column("responses", sa.Column("variables", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("variables")
        batch.drop_column("path")
