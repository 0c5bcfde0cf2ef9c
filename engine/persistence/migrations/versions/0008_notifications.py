"""notifications: stored escalations, the email cursor, users' email addresses

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# A moment is timestamptz on PostgreSQL and microseconds since 1970 (UTC) elsewhere (see 0001).
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
UUID = sa.LargeBinary(16).with_variant(postgresql.UUID(as_uuid=True), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("notifications_seen_at", MOMENT, nullable=True))
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("case_id", UUID, nullable=True),
        sa.Column("task_id", UUID, nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_notification_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index(op.f("ix_notification_created_at"), "notification", ["created_at"])
    op.create_index(op.f("ix_notification_user_id"), "notification", ["user_id"])
    op.create_table(
        "mail_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("position", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_mail_cursor")),
    )


def downgrade() -> None:
    op.drop_table("mail_cursor")
    op.drop_index(op.f("ix_notification_user_id"), table_name="notification")
    op.drop_index(op.f("ix_notification_created_at"), table_name="notification")
    op.drop_table("notification")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("notifications_seen_at")
        batch.drop_column("email")
