"""The sandbox's storage: Braze-like user profiles with their aliases, events and purchases, the
email subscription states Braze keeps per address (/email/status works for addresses no user has yet),
and the profile browser's sessions.

The sandbox has its own MetaData and its own migration history (migrations/, version table
`sandbox_alembic_version`), so it can share a database with zeroparty or have one of its own. Its
tables are named `braze_sandbox_*`: zeroparty's own history once created (and now drops) tables
called `sandbox_*`, and the two must never collide whichever side is migrated first.
"""

from __future__ import annotations

import sqlalchemy as sa

from zeroparty.adapters.db.metadata import NAMING_CONVENTION, UTCDateTime
from zeroparty.adapters.db.sessions import session_table

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)  # its own MetaData: its own schema

sandbox_profiles = sa.Table(
    "braze_sandbox_profiles",
    metadata,
    sa.Column("braze_id", sa.String(24), primary_key=True),
    sa.Column("external_id", sa.String(987), nullable=True, unique=True),
    sa.Column("email", sa.String(320), nullable=True, index=True),
    sa.Column("phone", sa.String(40), nullable=True, index=True),
    sa.Column("fields", sa.JSON, nullable=False),  # Braze's own profile fields (first_name, …)
    sa.Column("custom", sa.JSON, nullable=False),  # custom attributes
    sa.Column("data_points", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

sandbox_aliases = sa.Table(
    "braze_sandbox_aliases",
    metadata,
    sa.Column("alias_name", sa.String(255), primary_key=True),
    sa.Column("alias_label", sa.String(255), primary_key=True),
    sa.Column("braze_id", sa.String(24), sa.ForeignKey("braze_sandbox_profiles.braze_id"), nullable=False, index=True),
)

sandbox_events = sa.Table(
    "braze_sandbox_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("braze_id", sa.String(24), sa.ForeignKey("braze_sandbox_profiles.braze_id"), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("time", UTCDateTime, nullable=False),
    sa.Column("properties", sa.JSON, nullable=False),
)

sandbox_purchases = sa.Table(
    "braze_sandbox_purchases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("braze_id", sa.String(24), sa.ForeignKey("braze_sandbox_profiles.braze_id"), nullable=False, index=True),
    sa.Column("product_id", sa.String(255), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("price", sa.Float, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("time", UTCDateTime, nullable=False),
    sa.Column("properties", sa.JSON, nullable=False),
)

sandbox_email_states = sa.Table(
    "braze_sandbox_email_states",
    metadata,
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Profile browser sessions (auth.py): the product's session store, over a table of the sandbox's own.
sandbox_sessions = session_table("braze_sandbox_sessions", metadata)
