"""sessions: per-account session version and the sign-in limiter

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# As in 0001: epoch microseconds on SQLite, timestamptz on PostgreSQL.
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "signin_attempt",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("address", sa.String(64), nullable=False, index=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", MOMENT, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("signin_attempt")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("session_version")
