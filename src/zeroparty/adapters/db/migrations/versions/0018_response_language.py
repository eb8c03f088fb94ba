"""The language a response's pages were shown in (domain/experience/i18n.py).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
# 0016 is kept for work landing beside this; whichever lands later re-points this.
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("responses", sa.Column("language", sa.String(35), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("language")
