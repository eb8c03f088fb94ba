"""Sandbox tables: profiles, aliases, events, purchases, email subscription states.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zeroparty.adapters.db.metadata import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PROFILES = "braze_sandbox_profiles"
OWNED = ("braze_sandbox_aliases", "braze_sandbox_events", "braze_sandbox_purchases")  # rows per profile


def _owner_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["braze_id"], [f"{PROFILES}.braze_id"], name=f"fk_{table}_braze_id_{PROFILES}")


def upgrade() -> None:
    op.create_table(
        PROFILES,
        sa.Column("braze_id", sa.String(24)),
        sa.Column("external_id", sa.String(987), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("phone", sa.String(40), nullable=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("custom", sa.JSON, nullable=False),
        sa.Column("data_points", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("braze_id", name=f"pk_{PROFILES}"),
        sa.UniqueConstraint("external_id", name=f"uq_{PROFILES}_external_id"),
    )
    op.create_index(f"ix_{PROFILES}_email", PROFILES, ["email"])
    op.create_index(f"ix_{PROFILES}_phone", PROFILES, ["phone"])
    op.create_table(
        "braze_sandbox_aliases",
        sa.Column("alias_name", sa.String(255)),
        sa.Column("alias_label", sa.String(255)),
        sa.Column("braze_id", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("alias_name", "alias_label", name="pk_braze_sandbox_aliases"),
        _owner_fk("braze_sandbox_aliases"),
    )
    op.create_table(
        "braze_sandbox_events",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("braze_id", sa.String(24), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("time", UTCDateTime, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_braze_sandbox_events"),
        _owner_fk("braze_sandbox_events"),
    )
    op.create_table(
        "braze_sandbox_purchases",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("braze_id", sa.String(24), nullable=False),
        sa.Column("product_id", sa.String(255), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("price", sa.Float, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("time", UTCDateTime, nullable=False),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_braze_sandbox_purchases"),
        _owner_fk("braze_sandbox_purchases"),
    )
    for table in OWNED:
        op.create_index(f"ix_{table}_braze_id", table, ["braze_id"])
    op.create_table(
        "braze_sandbox_email_states",
        sa.Column("email", sa.String(320)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("email", name="pk_braze_sandbox_email_states"),
    )


def downgrade() -> None:
    op.drop_table("braze_sandbox_email_states")
    for table in OWNED:
        op.drop_index(f"ix_{table}_braze_id", table_name=table)
        op.drop_table(table)
    op.drop_index(f"ix_{PROFILES}_phone", table_name=PROFILES)
    op.drop_index(f"ix_{PROFILES}_email", table_name=PROFILES)
    op.drop_table(PROFILES)
