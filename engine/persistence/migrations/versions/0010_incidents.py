"""incidents: scripts and timers whose step failed, and timer retries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 00:30:00

A timer row gains its failed attempts and the moment it may be tried again; its due index then
covers only timers never tried, and a second index the ones waiting out a back-off.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# As in 0001: epoch microseconds on SQLite, timestamptz on PostgreSQL.
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
UUID = sa.LargeBinary(16).with_variant(postgresql.UUID(as_uuid=True), "postgresql")
NEVER_TRIED = sa.text("retry_at IS NULL")
WAITING_TO_RETRY = sa.text("retry_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("timer") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry_at", MOMENT, nullable=True))
    op.drop_index("ix_timer_due_at", table_name="timer")
    _partial_index("ix_timer_due_at", "due_at", NEVER_TRIED)
    _partial_index("ix_timer_retry_at", "retry_at", WAITING_TO_RETRY)
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("element", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("first_at", MOMENT, nullable=False),
        sa.Column("last_at", MOMENT, nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("resolved_at", MOMENT, nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_incident_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    op.create_index(op.f("ix_incident_case_id"), "incident", ["case_id"])
    op.create_index(
        "uq_incident_open",
        "incident",
        ["case_id", "element"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_incident_open", table_name="incident")
    op.drop_index(op.f("ix_incident_case_id"), table_name="incident")
    op.drop_table("incident")
    op.drop_index("ix_timer_retry_at", table_name="timer")
    op.drop_index("ix_timer_due_at", table_name="timer")
    with op.batch_alter_table("timer") as batch:
        batch.drop_column("retry_at")
        batch.drop_column("attempts")
    op.create_index(op.f("ix_timer_due_at"), "timer", ["due_at"])


def _partial_index(name: str, column: str, where: sa.TextClause) -> None:
    op.create_index(name, "timer", [column], sqlite_where=where, postgresql_where=where)
