"""Workspaces and accounts: what a brand owns belongs to one workspace; people sign in to the console
as users with a role in each workspace they belong to; password resets and the audit log.

Everything that existed before moves into a first workspace (id 1, `default`). Existing API tokens
keep the power they had: they become owners of that workspace.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from zeroparty.adapters.db.metadata import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ACTIVE = sa.text("revoked_at IS NULL")
# Tables a workspace owns directly; the rest (versions, responses, answers, outbox…) belong to one
# through these.
_OWNED = ("experiences", "destinations", "api_tokens", "erasures")


def upgrade() -> None:
    workspaces = op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("slug", name="uq_workspaces_slug"),
    )
    op.bulk_insert(workspaces, [{"id": 1, "slug": "default", "name": "Default", "created_at": datetime.now(UTC)}])
    if op.get_bind().dialect.name == "postgresql":  # an id given explicitly leaves the sequence behind
        op.execute("SELECT setval(pg_get_serial_sequence('workspaces', 'id'), 1)")
    for table in _OWNED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("workspace_id", sa.Integer, nullable=False, server_default="1"))
            batch.create_foreign_key(f"fk_{table}_workspace_id_workspaces", "workspaces", ["workspace_id"], ["id"])
        # The default only moved the existing rows: a new row must say whose it is.
        with op.batch_alter_table(table) as batch:
            batch.alter_column("workspace_id", server_default=None)
        op.create_index(f"ix_{table}_workspace_id", table, ["workspace_id"])
    # A destination's name is unique within its workspace, as a token's is among the active ones.
    with op.batch_alter_table("destinations") as batch:
        batch.drop_constraint("uq_destinations_name", type_="unique")
        batch.create_unique_constraint("uq_destinations_workspace_id", ["workspace_id", "name"])
    op.drop_index("uq_api_tokens_active_name", table_name="api_tokens")
    op.create_index(
        "uq_api_tokens_active_name",
        "api_tokens",
        ["workspace_id", "name"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("role", sa.String(10), nullable=False, server_default="owner"))
    # Assets are stored once by content; which workspaces added one is kept beside it.
    op.create_table(
        "workspace_assets",
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("added_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "sha256", name="pk_workspace_assets"),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_workspace_assets_workspace_id_workspaces"
        ),
        sa.ForeignKeyConstraint(["sha256"], ["assets.sha256"], name="fk_workspace_assets_sha256_assets"),
    )
    op.execute("INSERT INTO workspace_assets (workspace_id, sha256, added_at) SELECT 1, sha256, created_at FROM assets")
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("password_changed_at", UTCDateTime, nullable=False),
        sa.Column("disabled_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "memberships",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("workspace_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "workspace_id", name="pk_memberships"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_memberships_user_id_users"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name="fk_memberships_workspace_id_workspaces"),
    )
    op.create_table(
        "password_resets",
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
        sa.PrimaryKeyConstraint("token_sha256", name="pk_password_resets"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_password_resets_user_id_users"),
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("workspace_id", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], name="fk_audit_log_workspace_id_workspaces"),
    )
    op.create_index("ix_audit_log_workspace_id", "audit_log", ["workspace_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_workspace_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_password_resets_user_id", table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_table("memberships")
    op.drop_table("users")
    op.drop_table("workspace_assets")
    # Back to one namespace: possible only while the first workspace is the only one.
    if op.get_bind().execute(sa.text("SELECT COUNT(*) FROM workspaces WHERE id <> 1")).scalar_one():
        raise RuntimeError("cannot go below 0019 while more than one workspace exists")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("role")
    op.drop_index("uq_api_tokens_active_name", table_name="api_tokens")
    op.create_index(
        "uq_api_tokens_active_name", "api_tokens", ["name"], unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE
    )
    with op.batch_alter_table("destinations") as batch:
        batch.drop_constraint("uq_destinations_workspace_id", type_="unique")
        batch.create_unique_constraint("uq_destinations_name", ["name"])
    for table in reversed(_OWNED):
        op.drop_index(f"ix_{table}_workspace_id", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_workspace_id_workspaces", type_="foreignkey")
            batch.drop_column("workspace_id")
    op.drop_table("workspaces")
