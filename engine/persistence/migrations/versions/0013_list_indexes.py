"""list indexes: the case lists read a page newest first along an index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:00:00

Staff's case list sorted every case in scope by `created_at` to show twenty; with these indexes a
page is read in order and the query stops after it (engine.services.queries.list_cases). The inbox
already has its index on ready tasks (`ix_case_task_inbox`).
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_cases_newest": ["created_at", "number"],
    "ix_cases_status_newest": ["status", "created_at", "number"],
    "ix_cases_applicant_newest": ["applicant_user_id", "created_at", "number"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "cases", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="cases")
