"""daily work: victim initials and duplicate key on cases, suspension, substitutes, form receipts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:30:00

- `cases.victim_initials`: the initials an inbox card shows to tell two cases apart, without
  restoring a workflow; `cases.duplicate_key`: a keyed digest of the victim's name and phone, so a
  likely duplicate filing is found by an indexed lookup and never by reading names.
- `cases.suspended_at` / `cases.suspension_reason`: a case waiting on a third party.
- `user_account.substitute_id` / `away_until`: who works a person's tasks while they are away.
- `form_receipt`: a form's one-time token once used, and the case it filed, so a second POST of
  the same form is answered with that case instead of a second one.
- `letter_asset`: images the admin sets for letters (the city's coat of arms, "logo"); the bytes
  live in the content-addressed document store, the row names them by SHA-256.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# As in 0001: epoch microseconds on SQLite, timestamptz on PostgreSQL.
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
UUID = sa.LargeBinary(16).with_variant(postgresql.UUID(as_uuid=True), "postgresql")

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("victim_initials", sa.String(16), nullable=True))
        batch.add_column(sa.Column("duplicate_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("suspended_at", MOMENT, nullable=True))
        batch.add_column(sa.Column("suspension_reason", sa.String(500), nullable=True))
    op.create_index("ix_cases_duplicate_key", "cases", ["duplicate_key", "created_at"])
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("substitute_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("away_until", MOMENT, nullable=True))
        batch.create_foreign_key(
            "fk_user_account_substitute_id_user_account", "user_account", ["substitute_id"], ["id"]
        )
    op.create_table(
        "form_receipt",
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", UUID, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_form_receipt")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_form_receipt_user_id_user_account")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_form_receipt_case_id_cases")),
    )
    op.create_table(
        "letter_asset",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_letter_asset")),
    )


def downgrade() -> None:
    op.drop_table("letter_asset")
    op.drop_table("form_receipt")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint("fk_user_account_substitute_id_user_account", type_="foreignkey")
        batch.drop_column("away_until")
        batch.drop_column("substitute_id")
    op.drop_index("ix_cases_duplicate_key", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("suspension_reason")
        batch.drop_column("suspended_at")
        batch.drop_column("duplicate_key")
        batch.drop_column("victim_initials")
