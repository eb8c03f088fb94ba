"""The profile browser's sessions, kept on the server so that signing out ends one for good.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zeroparty.adapters.db.metadata import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLE = "braze_sandbox_sessions"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id_sha256", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id_sha256", name=f"pk_{TABLE}"),
    )
    op.create_index(f"ix_{TABLE}_principal", TABLE, ["principal"])
    op.create_index(f"ix_{TABLE}_expires_at", TABLE, ["expires_at"])


def downgrade() -> None:
    op.drop_index(f"ix_{TABLE}_expires_at", table_name=TABLE)
    op.drop_index(f"ix_{TABLE}_principal", table_name=TABLE)
    op.drop_table(TABLE)
