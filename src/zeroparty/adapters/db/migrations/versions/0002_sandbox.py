"""Braze sandbox tables: profiles, aliases, events, purchases, email subscription states.

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


def upgrade() -> None:
    op.create_table(
        "sandbox_profiles",
        sa.Column("braze_id", sa.String(24)),
        sa.Column("external_id", sa.String(987), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("custom", sa.JSON, nullable=False),
        sa.Column("data_points", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("braze_id", name="pk_sandbox_profiles"),
        sa.UniqueConstraint("external_id", name="uq_sandbox_profiles_external_id"),
    )
    op.create_index("ix_sandbox_profiles_email", "sandbox_profiles", ["email"])
    op.create_index("ix_sandbox_profiles_phone", "sandbox_profiles", ["phone"])
    op.create_table(
        "sandbox_aliases",
        sa.Column("alias_name", sa.String(255)),
        sa.Column("alias_label", sa.String(255)),
        sa.Column("braze_id", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("alias_name", "alias_label", name="pk_sandbox_aliases"),
        sa.ForeignKeyConstraint(
            ["braze_id"], ["sandbox_profiles.braze_id"], name="fk_sandbox_aliases_braze_id_sandbox_profiles"
        ),
    )
    op.create_index("ix_sandbox_aliases_braze_id", "sandbox_aliases", ["braze_id"])
    op.create_table(
        "sandbox_events",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("braze_id", sa.String(24), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("time", UTCDateTime, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_events"),
        sa.ForeignKeyConstraint(
            ["braze_id"], ["sandbox_profiles.braze_id"], name="fk_sandbox_events_braze_id_sandbox_profiles"
        ),
    )
    op.create_index("ix_sandbox_events_braze_id", "sandbox_events", ["braze_id"])
    op.create_table(
        "sandbox_purchases",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("braze_id", sa.String(24), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("price", sa.Float, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("time", UTCDateTime, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_purchases"),
        sa.ForeignKeyConstraint(
            ["braze_id"], ["sandbox_profiles.braze_id"], name="fk_sandbox_purchases_braze_id_sandbox_profiles"
        ),
    )
    op.create_index("ix_sandbox_purchases_braze_id", "sandbox_purchases", ["braze_id"])
    op.create_table(
        "sandbox_email_states",
        sa.Column("email", sa.String(320)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("email", name="pk_sandbox_email_states"),
    )


def downgrade() -> None:
    op.drop_table("sandbox_email_states")
    for table in ("sandbox_purchases", "sandbox_events", "sandbox_aliases"):
        op.drop_index(f"ix_{table}_braze_id", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_sandbox_profiles_phone", table_name="sandbox_profiles")
    op.drop_index("ix_sandbox_profiles_email", table_name="sandbox_profiles")
    op.drop_table("sandbox_profiles")
