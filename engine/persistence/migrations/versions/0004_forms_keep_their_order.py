"""forms keep their field order: process_definition.forms is json, not jsonb, on PostgreSQL

jsonb stores objects with their keys reordered, and a form's properties are listed in the order
they are shown. Versions stored before this migration keep the order jsonb gave them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite stores JSON as text already
        op.alter_column(
            "process_definition",
            "forms",
            type_=sa.JSON(),
            existing_type=postgresql.JSONB(astext_type=sa.Text()),
            postgresql_using="forms::text::json",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "process_definition",
            "forms",
            type_=postgresql.JSONB(astext_type=sa.Text()),
            existing_type=sa.JSON(),
            postgresql_using="forms::jsonb",
        )
