"""letter jobs and the document store: letters rendered after the step's commit, files outside the rows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:00:00

A step that issues a letter reserves its number and writes a letter job in its own transaction; a
worker renders the PDF afterwards (engine.letters.outbox). A document's bytes live in the
content-addressed store (engine.documents), so `document.content` is empty for new rows; rows
written before keep their bytes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# As in 0001: epoch microseconds on SQLite, timestamptz on PostgreSQL.
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
UUID = sa.LargeBinary(16).with_variant(postgresql.UUID(as_uuid=True), "postgresql")
PENDING = sa.text("done_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "letter_job",
        sa.Column("id", UUID, nullable=False),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("task_id", UUID, nullable=False),
        sa.Column("element", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_until", MOMENT, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("document_id", UUID, nullable=True),
        sa.Column("done_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_letter_job_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_job")),
    )
    op.create_index(op.f("ix_letter_job_case_id"), "letter_job", ["case_id"])
    op.create_index(
        "ix_letter_job_pending",
        "letter_job",
        ["created_at", "position"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    with op.batch_alter_table("document") as batch:
        batch.alter_column("content", existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.alter_column("content", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_index("ix_letter_job_pending", table_name="letter_job")
    op.drop_index(op.f("ix_letter_job_case_id"), table_name="letter_job")
    op.drop_table("letter_job")
