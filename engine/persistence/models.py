"""SQLAlchemy 2.0 models. Append-only where history lives (event, event_payload, document)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without an offset (SQLite has none) and always returns an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


JsonValue = JSON().with_variant(JSONB(), "postgresql")

int_pk = Annotated[int, mapped_column(Integer, primary_key=True)]
uuid_pk = Annotated[uuid.UUID, mapped_column(Uuid, primary_key=True)]
moment = Annotated[datetime, mapped_column(UTCDateTime)]
hash_hex = Annotated[str, mapped_column(String(64))]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    """A person who signs in: staff, an applicant, an auditor. Deactivated, never deleted."""

    __tablename__ = "user_account"

    id: Mapped[int_pk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[moment]
    roles: Mapped[list[RoleMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(m.role for m in self.roles)


class RoleMembership(Base):
    """One role held by one user."""

    __tablename__ = "role_membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int_pk]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[hash_hex] = mapped_column(unique=True)
    created_at: Mapped[moment]
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ProcessDefinition(Base):
    """One deployed version of a BPMN process, with its forms and lane mapping."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int_pk]
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[hash_hex]
    content_hash: Mapped[hash_hex]
    forms: Mapped[dict[str, Any]] = mapped_column(JsonValue)
    lane_roles: Mapped[dict[str, Any]] = mapped_column(JsonValue)
    catalog: Mapped[dict[str, Any]] = mapped_column(JsonValue)
    deployed_by: Mapped[str] = mapped_column(String(100))
    deployed_at: Mapped[moment]


class CaseCounter(Base):
    """The last case number given per prefix and year."""

    __tablename__ = "case_counter"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int]


class Case(Base):
    """A running or finished process instance: its saved state and its event-chain head."""

    __tablename__ = "cases"

    id: Mapped[uuid_pk]
    number: Mapped[str] = mapped_column(String(32), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    outcome: Mapped[str | None] = mapped_column(String(32))
    applicant_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    acting_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    walkin_name: Mapped[str | None] = mapped_column(String(200))
    walkin_phone: Mapped[str | None] = mapped_column(String(50))
    walkin_address: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    event_seq: Mapped[int] = mapped_column(Integer)
    event_hash: Mapped[hash_hex]
    created_at: Mapped[moment]
    updated_at: Mapped[moment]
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it once


class CaseTask(Base):
    """The inbox projection of a user task; the inbox never loads a workflow."""

    __tablename__ = "case_task"
    __table_args__ = (Index("ix_case_task_inbox", "state", "due_at", "created_at"),)

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    element: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str] = mapped_column(String(100))
    # Space-padded role names (" tim_teknis sekretaris "), so `LIKE '% role %'` matches whole names.
    candidate_roles: Mapped[str] = mapped_column(String(300))
    for_applicant: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[moment]
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class Event(Base):
    """An append-only, hash-chained record of something that happened."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[uuid_pk]
    chain: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    element: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[moment]
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[hash_hex]
    hash: Mapped[hash_hex]


class EventPayload(Base):
    """An event's data, kept apart so it can be erased at the end of retention."""

    __tablename__ = "event_payload"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"), primary_key=True)
    data: Mapped[str] = mapped_column(Text)


class ChainHead(Base):
    """The newest event of a chain that is not a case's (system, access)."""

    __tablename__ = "chain_head"

    chain: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[hash_hex]


class Document(Base):
    """An uploaded file or issued letter. Immutable."""

    __tablename__ = "document"

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(50))
    number: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[hash_hex]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[moment]
