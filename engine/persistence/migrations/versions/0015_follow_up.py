"""follow-up monitoring after an agreement (R12)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:00:00

- `follow_up`: one row per case that ended with an issued agreement, written in the step that
  ended it: the date the monitoring is due, and once the engine has started it, the follow-up
  case (unique, so it is started at most once whatever crashes or races between).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# As in 0001: epoch microseconds on SQLite, timestamptz on PostgreSQL.
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
UUID = sa.LargeBinary(16).with_variant(postgresql.UUID(as_uuid=True), "postgresql")

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up",
        sa.Column("source_case_id", UUID, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("scheduled_at", MOMENT, nullable=False),
        sa.Column("case_id", UUID, nullable=True),
        sa.Column("started_at", MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("source_case_id", name=op.f("pk_follow_up")),
        sa.ForeignKeyConstraint(["source_case_id"], ["cases.id"], name=op.f("fk_follow_up_source_case_id_cases")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_follow_up_case_id_cases")),
        sa.UniqueConstraint("case_id", name=op.f("uq_follow_up_case_id")),
    )


def downgrade() -> None:
    op.drop_table("follow_up")
