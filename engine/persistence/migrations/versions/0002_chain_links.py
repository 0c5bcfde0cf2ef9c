"""chain links: each event keeps its predecessor's hash; access events name their case; tasks their
step; event payloads are stored packed (DEFLATE when smaller)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:30:00
"""

from __future__ import annotations

import zlib

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = sa.LargeBinary(length=16).with_variant(postgresql.UUID(as_uuid=True), "postgresql")
GENESIS = bytes(32)

# An event's predecessor is the row one sequence number before it in the same chain.
_BACKFILL_PREV_HASH = sa.text(
    """
    UPDATE event SET prev_hash = COALESCE(
        (SELECT p.hash FROM event p
         WHERE p.seq = event.seq - 1
           AND ((event.case_id IS NOT NULL AND p.case_id = event.case_id)
                OR (event.chain IS NOT NULL AND p.chain = event.chain))),
        :genesis)
    """
)

# A task became ready in the step of the latest case event recorded at the moment it was created.
_BACKFILL_OPENED_SEQ = sa.text(
    """
    UPDATE case_task SET opened_seq = (
        SELECT MAX(e.seq) FROM event e
        WHERE e.case_id = case_task.case_id AND e.at = case_task.created_at
          AND e.type IN ('case_started', 'task_completed', 'case_withdrawn', 'case_stopped'))
    """
)


def _pack(text: str) -> bytes:
    # The same encoding as engine.persistence.models.PackedText, frozen here with this migration.
    raw = text.encode()
    packed = zlib.compress(raw, 9, wbits=-15)
    return b"\x01" + packed if len(packed) < len(raw) else b"\x00" + raw


def _unpack(data: bytes) -> str:
    if data[:1] == b"\x01":
        return zlib.decompress(data[1:], wbits=-15).decode()
    return data[1:].decode()


def _convert_payloads(source_type: sa.types.TypeEngine, target_type: sa.types.TypeEngine, convert: object) -> None:
    """Rewrite event_payload.data through `convert`, via a new column that takes its place."""
    with op.batch_alter_table("event_payload", schema=None) as batch_op:
        batch_op.add_column(sa.Column("converted", target_type, nullable=True))
    connection = op.get_bind()
    table = sa.table("event_payload", sa.column("event_id"), sa.column("data", source_type))
    target = sa.table("event_payload", sa.column("event_id"), sa.column("converted", target_type))
    rows = connection.execute(sa.select(table.c.event_id, table.c.data)).all()
    update = target.update().where(target.c.event_id == sa.bindparam("id")).values(converted=sa.bindparam("value"))
    for start in range(0, len(rows), 1000):
        batch = [{"id": i, "value": convert(d)} for i, d in rows[start : start + 1000]]  # type: ignore[operator]
        connection.execute(update, batch)
    with op.batch_alter_table("event_payload", schema=None) as batch_op:
        batch_op.drop_column("data")
    with op.batch_alter_table("event_payload", schema=None) as batch_op:
        batch_op.alter_column("converted", new_column_name="data", existing_type=target_type, nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_id", UUID, nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=True))
    op.execute(_BACKFILL_PREV_HASH.bindparams(sa.bindparam("genesis", GENESIS, type_=sa.LargeBinary)))
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch_op.create_index(
            "ix_event_subject",
            ["subject_id"],
            unique=False,
            sqlite_where=sa.text("subject_id IS NOT NULL"),
            postgresql_where=sa.text("subject_id IS NOT NULL"),
        )
    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_seq", sa.Integer(), nullable=True))
    op.execute(_BACKFILL_OPENED_SEQ)
    _convert_payloads(sa.Text(), sa.LargeBinary(), _pack)


def downgrade() -> None:
    _convert_payloads(sa.LargeBinary(), sa.Text(), lambda data: _unpack(bytes(data)))
    with op.batch_alter_table("case_task", schema=None) as batch_op:
        batch_op.drop_column("opened_seq")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_subject", sqlite_where=sa.text("subject_id IS NOT NULL"))
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("subject_id")
