"""working-day calendar: overrides of the national holiday list

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 20:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A moment is timestamptz on PostgreSQL and microseconds since 1970 (UTC) elsewhere (see 0001).
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
ACTIVE = "removed_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "calendar_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("removed_by", sa.String(length=100), nullable=True),
        sa.Column("removed_at", MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_override")),
    )
    # One override in force per date; removed ones stay as the record of what was decided.
    op.create_index(
        "uq_calendar_override_day",
        "calendar_override",
        ["day"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_calendar_override_day",
        table_name="calendar_override",
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.drop_table("calendar_override")
