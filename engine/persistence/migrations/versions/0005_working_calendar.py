"""working-day calendar: overrides of the national holiday list

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 20:35:00
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the calendar's tables come with the calendar (issue 6)


def downgrade() -> None:
    pass
