"""The erasure log keys addresses with an HMAC-SHA256 under the secret key, not a plain SHA-256.

A plain SHA-256 of an address is matched by hashing a list of addresses; the HMAC needs the key.
Rows logged before keep their SHA-256 (no address is kept, so they cannot be converted here); a
later `people erase` of the same address finds them by it and re-keys them with the HMAC.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("erasures", sa.Column("email_hmac", sa.String(64), nullable=True))
    op.create_index("ix_erasures_email_hmac", "erasures", ["email_hmac"])
    # SQLite rebuilds the table to change a column; batch mode does that, and is a plain ALTER elsewhere.
    with op.batch_alter_table("erasures") as batch:
        batch.alter_column("email_sha256", existing_type=sa.String(64), nullable=True)


def downgrade() -> None:
    # The older release needs a digest in every row: rows logged since hold their HMAC there, which
    # that release never matches (their unfinished calls are no longer retried by it).
    op.execute("UPDATE erasures SET email_sha256 = email_hmac WHERE email_sha256 IS NULL")
    op.drop_index("ix_erasures_email_hmac", table_name="erasures")
    with op.batch_alter_table("erasures") as batch:
        batch.alter_column("email_sha256", existing_type=sa.String(64), nullable=False)
        batch.drop_column("email_hmac")
