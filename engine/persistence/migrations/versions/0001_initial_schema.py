"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 17:32:41.072586
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The dialect-aware types of engine.persistence.models, spelled out so that this migration never
# changes when the models do: a UUID is native on PostgreSQL and 16 bytes elsewhere; a moment is
# timestamptz on PostgreSQL and microseconds since 1970 (UTC) elsewhere.
UUID = sa.LargeBinary(length=16).with_variant(postgresql.UUID(as_uuid=True), "postgresql")
MOMENT = sa.BigInteger().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def upgrade() -> None:
    op.create_table(
        "case_counter",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name=op.f("pk_case_counter")),
    )
    op.create_table(
        "chain_head",
        sa.Column("chain", sa.String(length=20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_chain_head")),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", UUID, nullable=True),
        sa.Column("chain", sa.String(length=20), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("task_id", UUID, nullable=True),
        sa.Column("element", sa.String(length=100), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("payload_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_event_case_id")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(
            "uq_event_chain_seq",
            ["chain", "seq"],
            unique=True,
            sqlite_where=sa.text("chain IS NOT NULL"),
            postgresql_where=sa.text("chain IS NOT NULL"),
        )

    op.create_table(
        "process_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "forms", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "lane_roles", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "catalog", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("deployed_by", sa.String(length=100), nullable=False),
        sa.Column("deployed_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_definition")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_process_definition_key")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("revoked_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_api_token_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", UUID, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("applicant_user_id", sa.Integer(), nullable=True),
        sa.Column("filed_by_id", sa.Integer(), nullable=False),
        sa.Column("acting_user_id", sa.Integer(), nullable=False),
        sa.Column("walkin_name", sa.String(length=200), nullable=True),
        sa.Column("walkin_phone", sa.String(length=50), nullable=True),
        sa.Column("walkin_address", sa.String(length=500), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("event_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("closed_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["acting_user_id"], ["user_account.id"], name=op.f("fk_cases_acting_user_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["applicant_user_id"], ["user_account.id"], name=op.f("fk_cases_applicant_user_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"], ["process_definition.id"], name=op.f("fk_cases_definition_id_process_definition")
        ),
        sa.ForeignKeyConstraint(["filed_by_id"], ["user_account.id"], name=op.f("fk_cases_filed_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_acting_user_id"), ["acting_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_definition_id"), ["definition_id"], unique=False)

    op.create_table(
        "event_payload",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_event_payload_event_id_event")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_payload")),
    )
    op.create_table(
        "role_membership",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_role_membership_user_id_user_account")),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_role_membership")),
    )
    op.create_table(
        "task_draft",
        sa.Column("task_id", UUID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("saved_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_task_draft_user_id_user_account")),
        sa.PrimaryKeyConstraint("task_id", "user_id", name=op.f("pk_task_draft")),
    )
    op.create_table(
        "case_final_record",
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_final_record_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_final_record")),
    )
    op.create_table(
        "case_state",
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("serializer_version", sa.String(length=40), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_state_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_state")),
    )
    op.create_table(
        "case_task",
        sa.Column("id", UUID, nullable=False),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("element", sa.String(length=100), nullable=False),
        sa.Column("candidate_roles", sa.String(length=300), nullable=False),
        sa.Column("for_applicant", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("due_at", MOMENT, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("completed_at", MOMENT, nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_task_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"], ["user_account.id"], name=op.f("fk_case_task_claimed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"], ["user_account.id"], name=op.f("fk_case_task_completed_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_task")),
    )
    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_task_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_case_task_inbox",
            ["due_at", "created_at"],
            unique=False,
            sqlite_where=sa.text("state = 'ready'"),
            postgresql_where=sa.text("state = 'ready'"),
        )

    op.create_table(
        "document",
        sa.Column("id", UUID, nullable=False),
        sa.Column("case_id", UUID, nullable=False),
        sa.Column("task_id", UUID, nullable=True),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_document_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_case_id"))

    op.drop_table("document")
    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_case_task_inbox", sqlite_where=sa.text("state = 'ready'"), postgresql_where=sa.text("state = 'ready'")
        )
        batch_op.drop_index(batch_op.f("ix_case_task_case_id"))

    op.drop_table("case_task")
    op.drop_table("case_state")
    op.drop_table("case_final_record")
    op.drop_table("task_draft")
    op.drop_table("role_membership")
    op.drop_table("event_payload")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_definition_id"))
        batch_op.drop_index(batch_op.f("ix_cases_acting_user_id"))

    op.drop_table("cases")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_user_id"))

    op.drop_table("api_token")
    op.drop_table("user_account")
    op.drop_table("process_definition")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_event_chain_seq",
            sqlite_where=sa.text("chain IS NOT NULL"),
            postgresql_where=sa.text("chain IS NOT NULL"),
        )

    op.drop_table("event")
    op.drop_table("chain_head")
    op.drop_table("case_counter")
