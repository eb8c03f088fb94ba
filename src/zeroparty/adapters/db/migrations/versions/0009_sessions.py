"""Server-side browser sessions; a token name belongs to one active token (revoked ones keep theirs).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zeroparty.adapters.db.metadata import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ACTIVE = sa.text("revoked_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id_sha256", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id_sha256", name="pk_sessions"),
    )
    op.create_index("ix_sessions_principal", "sessions", ["principal"])
    op.create_index("ix_sessions_expires_at", "sessions", ["expires_at"])
    # SQLite rebuilds the table to drop a constraint; batch mode does that, and is a plain ALTER elsewhere.
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint("uq_api_tokens_name", type_="unique")
    op.create_index(
        "uq_api_tokens_active_name", "api_tokens", ["name"], unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE
    )


def downgrade() -> None:
    # Names must be unique again: a revoked token sharing its name with another is renamed NAME~ID
    # ('~' is never in a token name, so the new names collide with none).
    op.execute(
        "UPDATE api_tokens SET name = SUBSTR(name, 1, 80) || '~' || CAST(id AS VARCHAR(12)) "
        "WHERE revoked_at IS NOT NULL AND name IN (SELECT name FROM api_tokens GROUP BY name HAVING COUNT(*) > 1)"
    )
    op.drop_index("uq_api_tokens_active_name", table_name="api_tokens")
    with op.batch_alter_table("api_tokens") as batch:
        batch.create_unique_constraint("uq_api_tokens_name", ["name"])
    op.drop_index("ix_sessions_expires_at", table_name="sessions")
    op.drop_index("ix_sessions_principal", table_name="sessions")
    op.drop_table("sessions")
