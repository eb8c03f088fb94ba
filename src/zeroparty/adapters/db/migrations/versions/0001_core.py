"""zeroparty core tables: experiences, responses, answers, destinations, outbox.

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


def upgrade() -> None:
    op.create_table(
        "experiences",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experiences"),
        sa.UniqueConstraint("slug", name="uq_experiences_slug"),
    )
    op.create_table(
        "experience_versions",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("experience_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experience_versions"),
        sa.ForeignKeyConstraint(
            ["experience_id"], ["experiences.id"], name="fk_experience_versions_experience_id_experiences"
        ),
        sa.UniqueConstraint("experience_id", "version", name="uq_experience_versions_experience_version"),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.String(36)),
        sa.Column("experience_version_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("outcome_id", sa.String(100), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("completed_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_responses"),
        sa.ForeignKeyConstraint(
            ["experience_version_id"],
            ["experience_versions.id"],
            name="fk_responses_experience_version_id_experience_versions",
        ),
    )
    op.create_table(
        "answers",
        sa.Column("response_id", sa.String(36)),
        sa.Column("element_id", sa.String(100)),
        sa.Column("screen_id", sa.String(100), nullable=False),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("answered_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("response_id", "element_id", name="pk_answers"),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], name="fk_answers_response_id_responses"),
    )
    op.create_table(
        "destinations",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("endpoint", sa.String(500), nullable=False),
        sa.Column("api_key_encrypted", sa.Text, nullable=False),
        sa.Column("api_key_hint", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("paused_reason", sa.Text, nullable=True),
        sa.Column("paused_until", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_destinations"),
        sa.UniqueConstraint("name", name="uq_destinations_name"),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("destination_id", sa.Integer, nullable=False),
        sa.Column("response_id", sa.String(36), nullable=False),
        sa.Column("user_key", sa.String(320), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("available_at", UTCDateTime, nullable=False),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("id", name="uq_outbox_id"),
        sa.ForeignKeyConstraint(["destination_id"], ["destinations.id"], name="fk_outbox_destination_id_destinations"),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], name="fk_outbox_response_id_responses"),
    )
    op.create_index("ix_outbox_claim", "outbox", ["destination_id", "state", "available_at"])
    op.create_index("ix_outbox_user_order", "outbox", ["destination_id", "user_key", "seq"])
    op.create_index("ix_outbox_response", "outbox", ["response_id"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("outbox_id", sa.String(36), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_attempts"),
    )
    op.create_index("ix_delivery_attempts_outbox_id", "delivery_attempts", ["outbox_id"])


def downgrade() -> None:
    for index, table in (
        ("ix_delivery_attempts_outbox_id", "delivery_attempts"),
        ("ix_outbox_response", "outbox"),
        ("ix_outbox_user_order", "outbox"),
        ("ix_outbox_claim", "outbox"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("delivery_attempts", "outbox", "destinations", "answers", "responses"):
        op.drop_table(table)
    op.drop_table("experience_versions")
    op.drop_table("experiences")
