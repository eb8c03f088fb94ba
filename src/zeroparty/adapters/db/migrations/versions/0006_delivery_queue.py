"""Delivery queue per user, last accepted values per destination and user, delivery counters.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zeroparty.adapters.db.metadata import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_queue",
        sa.Column("destination_id", sa.Integer, nullable=False),
        sa.Column("user_key", sa.String(320), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("available_at", UTCDateTime, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("full_resend", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("destination_id", "user_key", name="pk_delivery_queue"),
        sa.ForeignKeyConstraint(
            ["destination_id"], ["destinations.id"], name="fk_delivery_queue_destination_id_destinations"
        ),
    )
    op.create_index("ix_delivery_queue_ready", "delivery_queue", ["destination_id", "state", "available_at"])
    op.create_table(
        "delivery_state",
        sa.Column("destination_id", sa.Integer, nullable=False),
        sa.Column("user_key", sa.String(320), nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("destination_id", "user_key", name="pk_delivery_state"),
        sa.ForeignKeyConstraint(
            ["destination_id"], ["destinations.id"], name="fk_delivery_state_destination_id_destinations"
        ),
    )
    op.create_table(
        "delivery_counters",
        sa.Column("destination_id", sa.Integer, nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
        sa.Column("points_sent", sa.Integer, nullable=False),
        sa.Column("points_saved", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("destination_id", name="pk_delivery_counters"),
        sa.ForeignKeyConstraint(
            ["destination_id"], ["destinations.id"], name="fk_delivery_counters_destination_id_destinations"
        ),
    )
    # Claiming now goes by user: the old claim index would make every per-user lookup scan the backlog.
    op.drop_index("ix_outbox_claim", table_name="outbox")
    op.drop_index("ix_outbox_user_order", table_name="outbox")
    op.create_index("ix_outbox_user_state", "outbox", ["destination_id", "user_key", "state", "seq"])
    # Rows queued before this migration get their users' queue rows, so nothing waiting is stranded.
    op.execute(
        "INSERT INTO delivery_queue (destination_id, user_key, state, available_at, version, full_resend) "
        "SELECT destination_id, user_key, 'ready', MIN(available_at), 1, false FROM outbox "
        "WHERE state IN ('pending', 'in_flight') GROUP BY destination_id, user_key"
    )
    op.execute(
        "UPDATE outbox SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL WHERE state = 'in_flight'"
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_user_state", table_name="outbox")
    op.create_index("ix_outbox_user_order", "outbox", ["destination_id", "user_key", "seq"])
    op.create_index("ix_outbox_claim", "outbox", ["destination_id", "state", "available_at"])
    op.drop_table("delivery_counters")
    op.drop_table("delivery_state")
    op.drop_index("ix_delivery_queue_ready", table_name="delivery_queue")
    op.drop_table("delivery_queue")
