"""zeroparty's tables (SQLAlchemy Core). Migrations live in `migrations/versions/`. The Braze sandbox
is not part of this schema: it has its own MetaData and migrations (`zeroparty.sandbox`)."""

from __future__ import annotations

import sqlalchemy as sa

from zeroparty.adapters.db.metadata import UTCDateTime, metadata

experiences = sa.Table(
    "experiences",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

experience_versions = sa.Table(
    "experience_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("experience_id", sa.Integer, sa.ForeignKey("experiences.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("experience_id", "version", name="uq_experience_versions_experience_version"),
)

responses = sa.Table(
    "responses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("experience_version_id", sa.Integer, sa.ForeignKey("experience_versions.id"), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("outcome_id", sa.String(100), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=True),
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("response_id", sa.String(36), sa.ForeignKey("responses.id"), primary_key=True),
    sa.Column("element_id", sa.String(100), primary_key=True),
    sa.Column("screen_id", sa.String(100), nullable=False),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("answered_at", UTCDateTime, nullable=False),
)

destinations = sa.Table(
    "destinations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("endpoint", sa.String(500), nullable=False),
    sa.Column("api_key_encrypted", sa.Text, nullable=False),
    sa.Column("api_key_hint", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # A paused destination gets no requests until paused_until (if set) or until resumed by hand.
    sa.Column("paused_reason", sa.Text, nullable=True),
    sa.Column("paused_until", UTCDateTime, nullable=True),
)

# One row per profile change to send to one destination. `seq` gives the per-user order;
# `id` is the stable identifier carried through retries.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("destination_id", sa.Integer, sa.ForeignKey("destinations.id"), nullable=False),
    sa.Column("response_id", sa.String(36), sa.ForeignKey("responses.id"), nullable=False),
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
    sa.Index("ix_outbox_claim", "destination_id", "state", "available_at"),
    sa.Index("ix_outbox_user_order", "destination_id", "user_key", "seq"),
    sa.Index("ix_outbox_response", "response_id"),
)

# Append-only log of every delivery attempt's outcome, per outbox row.
delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("outbox_id", sa.String(36), nullable=False, index=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
)

# Operator API tokens. Only a SHA-256 digest of each token is kept (tokens are 256-bit random, so a
# fast hash is enough); `hint` is what may be shown of it.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("hint", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)
