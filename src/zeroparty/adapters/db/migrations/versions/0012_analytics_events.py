"""The analytics event log: load, start, screen view and submit, complete, outcome shown and
call-to-action click, per experience, version and variant.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zeroparty.adapters.db.metadata import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("experience_slug", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("response_id", sa.String(36), nullable=True),
        sa.Column("screen_id", sa.String(100), nullable=True),
        sa.Column("outcome_id", sa.String(100), nullable=True),
        sa.Column("variant", sa.String(100), nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=True),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_analytics_events_slug_at", "analytics_events", ["experience_slug", "at"])
    op.create_index("ix_analytics_events_response", "analytics_events", ["response_id"])


def downgrade() -> None:
    op.drop_index("ix_analytics_events_response", "analytics_events")
    op.drop_index("ix_analytics_events_slug_at", "analytics_events")
    op.drop_table("analytics_events")
