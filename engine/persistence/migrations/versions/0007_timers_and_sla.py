"""timers and service-level clocks: the timer table and each case's clocks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# A moment is timestamptz on PostgreSQL and microseconds since 1970 (UTC) elsewhere (see 0001).
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
UUID = sa.LargeBinary(16).with_variant(postgresql.UUID(as_uuid=True), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("sla", JSON, nullable=True))
    op.create_table(
        "timer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("task_id", UUID, nullable=False),
        sa.Column("element", sa.String(length=100), nullable=False),
        sa.Column("due_at", MOMENT, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_timer_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timer")),
        sa.UniqueConstraint("task_id", name=op.f("uq_timer_task_id")),
    )
    op.create_index(op.f("ix_timer_case_id"), "timer", ["case_id"])
    op.create_index(op.f("ix_timer_due_at"), "timer", ["due_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_timer_due_at"), table_name="timer")
    op.drop_index(op.f("ix_timer_case_id"), table_name="timer")
    op.drop_table("timer")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("sla")
