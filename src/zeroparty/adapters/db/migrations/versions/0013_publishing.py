"""Publishing is a choice: an experience is published, unpublished or closed (with a message).

Revision ID: 0013
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("experiences") as batch:
        # Existing experiences stay served, as before.
        batch.add_column(sa.Column("state", sa.String(12), nullable=False, server_default="published"))
        batch.add_column(sa.Column("closed_message", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("experiences") as batch:
        batch.drop_column("closed_message")
        batch.drop_column("state")
