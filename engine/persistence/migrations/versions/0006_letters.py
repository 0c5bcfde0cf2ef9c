"""letters: signatories, numbering sequences, and what a generated letter records

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 20:35:00
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the letters' tables come with the letters (issue 6)


def downgrade() -> None:
    pass
