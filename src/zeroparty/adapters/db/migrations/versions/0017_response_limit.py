"""Completed responses counted per version by an index: an experience with a response limit counts
them each time a response starts.

Revision ID: 0017
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0017"
# 0016 is kept for work landing beside this; whichever lands later re-points this.
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_responses_version_completed", "responses", ["experience_version_id", "completed_at"])


def downgrade() -> None:
    op.drop_index("ix_responses_version_completed", table_name="responses")
