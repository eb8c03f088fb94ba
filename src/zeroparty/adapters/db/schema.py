"""zeroparty's tables (SQLAlchemy Core). Migrations live in `migrations/versions/`. The Braze sandbox
is not part of this schema: it has its own MetaData and migrations (`zeroparty.sandbox`)."""

from __future__ import annotations

import sqlalchemy as sa

from zeroparty.adapters.db.assets import assets, workspace_assets
from zeroparty.adapters.db.metadata import UTCDateTime, metadata
from zeroparty.adapters.db.sessions import sessions

# Declared with their stores, part of this schema: browser sessions (sessions.py), image assets and
# which workspaces added each (assets.py).
__all__ = ["assets", "sessions", "workspace_assets"]

# A workspace is one brand's: its experiences, destinations, tokens, assets and erasures name it;
# responses, deliveries and analytics belong to it through them. Slugs are unique on the instance,
# as experiences' are (public URLs); everything else is named within its workspace.
workspaces = sa.Table(
    "workspaces",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("slug", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)


def _owner() -> sa.Column[int]:
    return sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=False, index=True)


experiences = sa.Table(
    "experiences",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("slug", sa.String(100), nullable=False, unique=True),
    _owner(),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # published | unpublished | closed (domain/experience/publishing.py); a new version keeps the state.
    sa.Column("state", sa.String(12), nullable=False, server_default="published"),
    sa.Column("closed_message", sa.Text, nullable=True),
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
    # The Braze external_id a signed token named when the response started (domain/experience/external_ids.py).
    sa.Column("external_id", sa.String(987), nullable=True),
    # What the rules computed (domain/experience/logic.py): screen ids in visiting order, and the
    # variables after them; NULL for responses stored before rules existed.
    sa.Column("path", sa.JSON, nullable=True),
    sa.Column("variables", sa.JSON, nullable=True),
    # The A/B variant it was served (experience_variants' name at the time); NULL without variants.
    sa.Column("variant", sa.String(100), nullable=True),
    # The language its pages were shown in (a BCP 47 tag); NULL from the JSON API and before languages.
    sa.Column("language", sa.String(35), nullable=True),
    # A response limit counts an experience's completed responses whenever one starts.
    sa.Index("ix_responses_version_completed", "experience_version_id", "completed_at"),
)

# A/B variants (domain/experience/variants.py): while an experience has rows here, new respondents
# get one of these versions by weight instead of the latest (adapters/db/variants.py).
experience_variants = sa.Table(
    "experience_variants",
    metadata,
    sa.Column("experience_id", sa.Integer, sa.ForeignKey("experiences.id"), primary_key=True),
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("experience_versions.id"), nullable=False),
    sa.Column("weight", sa.Integer, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # the order the operator gave them in
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
    _owner(),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("endpoint", sa.String(500), nullable=False),
    sa.Column("api_key_encrypted", sa.Text, nullable=False),
    sa.Column("api_key_hint", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # A paused destination gets no requests until paused_until (if set) or until resumed by hand.
    sa.Column("paused_reason", sa.Text, nullable=True),
    sa.Column("paused_until", UTCDateTime, nullable=True),
    # DestinationSettings as JSON; `{}` is every default (domain/destination_settings.py).
    sa.Column("settings", sa.JSON, nullable=False, server_default="{}"),
    sa.UniqueConstraint("workspace_id", "name"),
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
    # A user's rows in a state, in order: what claiming and settling look up (never a scan of the
    # destination's backlog; docs/delivery.md, "Claiming").
    sa.Index("ix_outbox_user_state", "destination_id", "user_key", "state", "seq"),
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

# One row per (destination, user) with work queued: the unit a worker leases. While a worker holds it
# no other can claim that user, whatever the order numbers of the user's rows (docs/delivery.md,
# "Claiming"). `version` grows with every enqueue, so settling never drops a row queued meanwhile.
delivery_queue = sa.Table(
    "delivery_queue",
    metadata,
    sa.Column("destination_id", sa.Integer, sa.ForeignKey("destinations.id"), primary_key=True),
    sa.Column("user_key", sa.String(320), primary_key=True),
    sa.Column("state", sa.String(10), nullable=False),  # ready | leased
    sa.Column("available_at", UTCDateTime, nullable=False),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_expires_at", UTCDateTime, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("full_resend", sa.Boolean, nullable=False),  # a worker died mid-request: send everything the rows carry
    sa.Index("ix_delivery_queue_ready", "destination_id", "state", "available_at"),
)

# What each destination last accepted for each user, under the names it received: a value equal to
# the one recorded here is not sent again (it would cost a data point and change nothing).
delivery_state = sa.Table(
    "delivery_state",
    metadata,
    sa.Column("destination_id", sa.Integer, sa.ForeignKey("destinations.id"), primary_key=True),
    sa.Column("user_key", sa.String(320), primary_key=True),
    sa.Column("values", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# Running totals per destination, for `zeroparty deliveries` and /metrics.
delivery_counters = sa.Table(
    "delivery_counters",
    metadata,
    sa.Column("destination_id", sa.Integer, sa.ForeignKey("destinations.id"), primary_key=True),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("points_sent", sa.Integer, nullable=False),
    sa.Column("points_saved", sa.Integer, nullable=False),
)

# Data points sent per destination and calendar month (UTC, `2026-12`), for the monthly budget
# (domain/budget.py).
delivery_months = sa.Table(
    "delivery_months",
    metadata,
    sa.Column("destination_id", sa.Integer, sa.ForeignKey("destinations.id"), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("points_sent", sa.Integer, nullable=False),
)

# Operator API tokens. Only a SHA-256 digest of each token is kept (tokens are 256-bit random, so a
# fast hash is enough); `hint` is what may be shown of it. A name belongs to one active token at a
# time; revoked tokens keep their row (and name), so their holders can be told when they were revoked.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _owner(),
    sa.Column("role", sa.String(10), nullable=False, server_default="owner"),  # domain/roles.py
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("hint", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime, nullable=True),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)
ACTIVE_TOKEN = sa.text("revoked_at IS NULL")
sa.Index(
    "uq_api_tokens_active_name",
    api_tokens.c.workspace_id,
    api_tokens.c.name,
    unique=True,
    sqlite_where=ACTIVE_TOKEN,
    postgresql_where=ACTIVE_TOKEN,
)

# Every consent given or withdrawn, with the exact text shown, written with the response it belongs
# to (domain/experience/consent.py). `consent_key` is `email_marketing`, a subscription group's key or the
# attribute of a custom consent; `given` is false for a withdrawal.
consent_records = sa.Table(
    "consent_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("response_id", sa.String(36), sa.ForeignKey("responses.id"), nullable=False, index=True),
    sa.Column("element_id", sa.String(100), nullable=False),
    sa.Column("purpose", sa.String(30), nullable=False),
    sa.Column("consent_key", sa.String(255), nullable=False),
    sa.Column("given", sa.Boolean, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

# One row per `zeroparty people erase` run. The address is kept only as an HMAC-SHA256 of its
# normalised form under a key derived from the secret key, so the log proves an erasure to whoever
# knows the address and the key without holding either. `email_sha256` is the plain SHA-256 older
# rows were logged with (NULL since 0010; a later erasure of the address re-keys them).
# `destinations` lists each destination called: [{"destination", "outcome", "done"}]; a later run
# retries those not done.
erasures = sa.Table(
    "erasures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _owner(),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("email_hmac", sa.String(64), nullable=True, index=True),
    sa.Column("email_sha256", sa.String(64), nullable=True, index=True),
    sa.Column("responses", sa.Integer, nullable=False),
    sa.Column("destinations", sa.JSON, nullable=False),
)

# The secret each experience's external id tokens are signed with, sealed with the SecretBox (the
# brand's server holds the clear text; it is shown once, by `zeroparty experiences secret`).
experience_secrets = sa.Table(
    "experience_secrets",
    metadata,
    sa.Column("slug", sa.String(100), primary_key=True),
    sa.Column("secret_sealed", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# The analytics event log (domain/experience/funnel.py): append-only, written in batches outside any response's
# transaction (services/event_buffer.py). No IP address or user agent is kept. `variant` is the A/B
# variant the respondent was served, when there is one.
analytics_events = sa.Table(
    "analytics_events",
    metadata,
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
    sa.Index("ix_analytics_events_slug_at", "experience_slug", "at"),
    sa.Index("ix_analytics_events_response", "response_id"),
)


# People who sign in to the console. `email` is stored normalised (domain/accounts.py); only an
# Argon2id hash of the password is kept. A disabled user keeps their row for the audit log.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("password_changed_at", UTCDateTime, nullable=False),
    sa.Column("disabled_at", UTCDateTime, nullable=True),
)

# A user's role in each workspace they belong to: owner, editor or viewer (domain/roles.py).
memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), primary_key=True),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# One-time password reset links (`zeroparty users reset-link EMAIL`): only a SHA-256 digest of the
# random token is kept; a link works once, before `expires_at`.
password_resets = sa.Table(
    "password_resets",
    metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime, nullable=True),
)

# Who changed what: destinations, keys, publishes, replays, erasures, users. `actor` is a user's
# email, `api-token:NAME` or `cli`; `detail` never holds a secret. Rows about the instance (a user
# created) have no workspace.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id"), nullable=True),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("target", sa.String(300), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Index("ix_audit_log_workspace_id", "workspace_id", "id"),
)
