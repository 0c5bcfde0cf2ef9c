"""screening record: each case's cumulative legal screening (engine.legal.screening)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00

Cases that exist before this revision get no record here: the engine builds it from their chain
of events the first time a step needs it, so their history decides, not today's data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("screening", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("screening")
