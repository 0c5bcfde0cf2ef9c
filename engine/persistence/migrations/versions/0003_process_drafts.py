"""process drafts: process owners' working copies of a version, edited in the browser

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The dialect-aware types of engine.persistence.models, spelled out as in 0001.
UUID = sa.LargeBinary(length=16).with_variant(postgresql.UUID(as_uuid=True), "postgresql")
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "process_draft",
        sa.Column("id", UUID, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("lane_roles", JSON, nullable=False),
        sa.Column("forms", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.Column("submitted_at", MOMENT, nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("deployed_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_draft")),
    )


def downgrade() -> None:
    op.drop_table("process_draft")
