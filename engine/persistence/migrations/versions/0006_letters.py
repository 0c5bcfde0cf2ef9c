"""letters: signatories, numbering sequences, and what a generated letter records

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 20:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The dialect-aware types of engine.persistence.models, spelled out as in 0001.
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
DOCUMENT_COLUMNS = (
    ("addressee", sa.String(length=300)),
    ("template_version", sa.String(length=100)),
    ("for_applicant", sa.Boolean()),
    ("signatory_id", sa.Integer()),
)


def upgrade() -> None:
    op.create_table(
        "signatory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("nip", sa.String(length=30), nullable=False),
        sa.Column("rank", sa.String(length=100), nullable=False),
        sa.Column("position", sa.String(length=300), nullable=False),
        sa.Column("acting", sa.String(length=10), nullable=False),
        sa.Column("principal", sa.String(length=300), nullable=False),
        sa.Column("kinds", sa.String(length=500), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatory")),
    )
    op.create_table(
        "letter_numbering",
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("pattern", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_letter_numbering")),
    )
    op.create_table(
        "letter_sequence",
        sa.Column("series", sa.String(length=50), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_letter_sequence")),
    )
    for name, type_ in DOCUMENT_COLUMNS:
        op.add_column("document", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        for name, _ in reversed(DOCUMENT_COLUMNS):
            batch.drop_column(name)
    op.drop_table("letter_sequence")
    op.drop_table("letter_numbering")
    op.drop_table("signatory")
