"""SQLAlchemy 2.0 models. Append-only where history lives (event, event_payload, document)."""

from __future__ import annotations

import uuid
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment: `timestamptz` on PostgreSQL; elsewhere (SQLite has no date type) an integer of
    microseconds since 1970-01-01 UTC, compact and in order. Always returns an aware UTC datetime."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(BigInteger())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        if dialect.name == "postgresql":
            return value.astimezone(UTC)
        return (value - _EPOCH) // _MICROSECOND

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return _EPOCH + int(value) * _MICROSECOND


class CompactUuid(TypeDecorator[uuid.UUID]):
    """A UUID as PostgreSQL's native type, or as 16 bytes elsewhere (not 32 hex characters)."""

    impl = LargeBinary(16)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PG_UUID(as_uuid=True))
        return dialect.type_descriptor(LargeBinary(16))

    def process_bind_param(self, value: uuid.UUID | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return value.bytes

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(bytes=bytes(value))


class PackedText(TypeDecorator[str]):
    """Text stored as bytes: a tag byte, then raw DEFLATE when that is smaller, else the UTF-8.

    Event payloads are mostly small JSON documents that neither database compresses (PostgreSQL
    only compresses values over about 2 KB). What the application reads back is always the exact
    text it wrote; a value that cannot be unpacked (written behind the application's back) is read
    as a marker that can never hash to a recorded payload hash.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return pack_text(value) if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return unpack_text(bytes(value))


def pack_text(text: str) -> bytes:
    """Encode `text` for a PackedText column."""
    raw = text.encode()
    packed = zlib.compress(raw, 9, wbits=-15)
    return b"\x01" + packed if len(packed) < len(raw) else b"\x00" + raw


def unpack_text(data: bytes) -> str:
    """Decode a PackedText value; an undecodable one becomes a marker that matches no hash."""
    try:
        if data[:1] == b"\x01":
            return zlib.decompress(data[1:], wbits=-15).decode()
        if data[:1] == b"\x00":
            return data[1:].decode()
    except (zlib.error, UnicodeDecodeError):
        pass
    return "\ufffd" + data.hex()


JsonValue = JSON().with_variant(JSONB(), "postgresql")

int_pk = Annotated[int, mapped_column(Integer, primary_key=True)]
uuid_pk = Annotated[uuid.UUID, mapped_column(CompactUuid, primary_key=True)]
moment = Annotated[datetime, mapped_column(UTCDateTime)]
hash_hex = Annotated[str, mapped_column(String(64))]
digest = Annotated[bytes, mapped_column(LargeBinary(32))]

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
    email: Mapped[str | None] = mapped_column(String(254))
    # Notifications created after this moment count as unread (engine.services.notifications).
    notifications_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sessions carry this number; bumping it (sign-out, password reset, deactivation) ends them all.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # While away: who works this person's claimed tasks, and until when (None: until cleared).
    substitute_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
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


class SigninAttempt(Base):
    """Recent failed sign-ins of one (address, account name), or registrations of one address.

    Keyed by a hash so the table holds no user names; pruned by engine.services.signin_limits.
    """

    __tablename__ = "signin_attempt"

    key: Mapped[hash_hex] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    failures: Mapped[int]
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


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
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)  # json, not jsonb: a form's field order is its layout
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
    # The case lists, newest first, read a page along these (all, by status, an applicant's own).
    __table_args__ = (
        Index("ix_cases_newest", "created_at", "number"),
        Index("ix_cases_status_newest", "status", "created_at", "number"),
        Index("ix_cases_applicant_newest", "applicant_user_id", "created_at", "number"),
        Index("ix_cases_duplicate_key", "duplicate_key", "created_at"),
    )

    id: Mapped[uuid_pk]
    number: Mapped[str] = mapped_column(String(32), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    applicant_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    acting_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    walkin_name: Mapped[str | None] = mapped_column(String(200))
    walkin_phone: Mapped[str | None] = mapped_column(String(50))
    walkin_address: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer)
    event_seq: Mapped[int] = mapped_column(Integer)
    event_hash: Mapped[digest]
    created_at: Mapped[moment]
    updated_at: Mapped[moment]
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The service-level clocks (engine.sla): started, due, paused with a reason, stopped.
    sla: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    # The legal screening record (engine.legal.screening), cumulative over every submission; None
    # for a case filed before it existed, until its next step rebuilds it from the case's events.
    screening: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    # The victim's initials, for inbox cards that tell two cases apart without reading a workflow.
    victim_initials: Mapped[str | None] = mapped_column(String(16))
    # A keyed digest of the victim's name and phone: a likely duplicate filing is found by lookup.
    duplicate_key: Mapped[str | None] = mapped_column(String(64))
    # A case waiting on a third party: since when and why (its clocks are paused meanwhile).
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_reason: Mapped[str | None] = mapped_column(String(500))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it once


class CaseState(Base):
    """The saved workflow of a running case: SpiffWorkflow's state without the diagram, compressed.

    Deleted when the case finishes, so that the space of finished cases' states is reused.
    """

    __tablename__ = "case_state"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    serializer_version: Mapped[str] = mapped_column(String(40))
    state: Mapped[bytes] = mapped_column(LargeBinary)


class CaseFinalRecord(Base):
    """What a finished case ended with (engine.runtime.dump_final), written once when it finishes."""

    __tablename__ = "case_final_record"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    record: Mapped[bytes] = mapped_column(LargeBinary)


class CaseTask(Base):
    """The inbox projection of a user task; the inbox never loads a workflow.

    Title and lane come from the version's catalog (by `element`); only ready rows are in the
    inbox index.
    """

    __tablename__ = "case_task"
    __table_args__ = (
        Index(
            "ix_case_task_inbox",
            "due_at",
            "created_at",
            sqlite_where=text("state = 'ready'"),
            postgresql_where=text("state = 'ready'"),
        ),
    )

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    element: Mapped[str] = mapped_column(String(100))
    # Space-padded role names (" tim_teknis sekretaris "), so `LIKE '% role %'` matches whole names.
    candidate_roles: Mapped[str] = mapped_column(String(300))
    for_applicant: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[moment]
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The sequence number of the case event whose step made this task ready: replay compares,
    # step by step, the tasks it sees become ready with these rows.
    opened_seq: Mapped[int | None]


class Event(Base):
    """An append-only, hash-chained record of something that happened.

    A case's events form its chain, keyed by (case_id, seq); shared chains ("system", "access")
    are keyed by (chain, seq). Each row holds its predecessor's hash, so a deleted, inserted or
    reordered row is named on its own, and its own hash over that. An access event names the case
    it read in `subject_id` (indexed: who read this case?), which its hash covers.
    """

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        Index(
            "uq_event_chain_seq",
            "chain",
            "seq",
            unique=True,
            sqlite_where=text("chain IS NOT NULL"),
            postgresql_where=text("chain IS NOT NULL"),
        ),
        Index(
            "ix_event_subject",
            "subject_id",
            sqlite_where=text("subject_id IS NOT NULL"),
            postgresql_where=text("subject_id IS NOT NULL"),
        ),
    )

    id: Mapped[int_pk]
    case_id: Mapped[uuid.UUID | None] = mapped_column(CompactUuid)
    chain: Mapped[str | None] = mapped_column(String(20))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[uuid.UUID | None] = mapped_column(CompactUuid)
    element: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[moment]
    payload_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(CompactUuid)
    prev_hash: Mapped[digest]
    hash: Mapped[digest]


class EventPayload(Base):
    """An event's data, kept apart so it can be erased at the end of retention."""

    __tablename__ = "event_payload"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), primary_key=True)
    data: Mapped[str] = mapped_column(PackedText)


class ChainHead(Base):
    """The newest event of a chain that is not a case's (system, access)."""

    __tablename__ = "chain_head"

    chain: Mapped[str] = mapped_column(String(20), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[digest]


class TaskDraft(Base):
    """Form data a person saved without completing the task ("Simpan draf"); not yet history."""

    __tablename__ = "task_draft"

    task_id: Mapped[uuid.UUID] = mapped_column(CompactUuid, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[moment]


class FormReceipt(Base):
    """A form's one-time token, once used: a second POST of the same form finds the case it filed."""

    __tablename__ = "form_receipt"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 (hex) of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    case_id: Mapped[uuid.UUID | None] = mapped_column(CompactUuid, ForeignKey("cases.id"))
    created_at: Mapped[moment]


class FollowUp(Base):
    """R12: the follow-up monitoring a case that ended with an issued agreement is owed, and once
    started, the follow-up case that does it (at most one per source case, by the unique key)."""

    __tablename__ = "follow_up"

    source_case_id: Mapped[uuid.UUID] = mapped_column(CompactUuid, ForeignKey("cases.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)  # the office's date the monitoring is held on
    scheduled_at: Mapped[moment]
    case_id: Mapped[uuid.UUID | None] = mapped_column(CompactUuid, ForeignKey("cases.id"), unique=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Document(Base):
    """An uploaded file or issued letter. Immutable."""

    __tablename__ = "document"

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[uuid.UUID | None] = mapped_column(CompactUuid)
    kind: Mapped[str] = mapped_column(String(50))
    number: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[hash_hex]
    # The bytes live in the content-addressed store (engine.documents), named by sha256; rows
    # written before the store keep them here.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[moment]
    # Issued letters only (engine.letters): to whom, from which template, shown to the applicant or
    # not (letters to third parties are not, R14), and who signed.
    addressee: Mapped[str | None] = mapped_column(String(300))
    template_version: Mapped[str | None] = mapped_column(String(100))
    for_applicant: Mapped[bool | None] = mapped_column(Boolean)
    signatory_id: Mapped[int | None] = mapped_column(Integer)


class ProcessDraft(Base):
    """A process owner's working copy of a version (diagram, lane map, forms) until it is deployed.

    `status` is "draft", "submitted" (waiting for a second process owner under the two-person
    rule) or "deployed"; `revision` grows with every save, so nobody overwrites or approves content
    they have not seen.
    """

    __tablename__ = "process_draft"

    id: Mapped[uuid_pk]
    key: Mapped[str] = mapped_column(String(100))
    base_version: Mapped[int]
    bpmn_xml: Mapped[str] = mapped_column(Text)
    lane_roles: Mapped[dict[str, Any]] = mapped_column(JsonValue)
    forms: Mapped[dict[str, Any]] = mapped_column(JsonValue)
    status: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[moment]
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[moment]
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    deployed_version: Mapped[int | None]


class CalendarOverride(Base):
    """An admin's decision that one date is a working day or a holiday, against the national list.

    A removed override keeps its row (`removed_at`, `removed_by`), so that the table only grows and
    the count of rows and of removed rows tells every server when to rebuild its calendar.
    """

    __tablename__ = "calendar_override"
    __table_args__ = (
        Index(
            "uq_calendar_override_day",
            "day",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
    )

    id: Mapped[int_pk]
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean)
    reference: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[moment]
    removed_by: Mapped[str | None] = mapped_column(String(100))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Signatory(Base):
    """Who signs letters from when to when: a dated row, ended rather than changed or deleted.

    `acting` is "", "Plt.", "Plh." or "a.n."; `principal` is the position signed for when acting.
    `kinds` narrows the row to some letter kinds (space-separated); empty: every kind.
    """

    __tablename__ = "signatory"

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(String(200))
    nip: Mapped[str] = mapped_column(String(30))
    rank: Mapped[str] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(300))
    acting: Mapped[str] = mapped_column(String(10))
    principal: Mapped[str] = mapped_column(String(300))
    kinds: Mapped[str] = mapped_column(String(500))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[moment]


class LetterAsset(Base):
    """An image the admin set for letters ("logo": the city's coat of arms); its bytes are in the document store."""

    __tablename__ = "letter_asset"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[moment]


class LetterNumbering(Base):
    """The numbering pattern of a letter kind; kind "*" is the default, and its presence turns letters on."""

    __tablename__ = "letter_numbering"

    kind: Mapped[str] = mapped_column(String(50), primary_key=True)
    pattern: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str] = mapped_column(String(50))
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[moment]


class LetterSequence(Base):
    """The last letter number given per series (a numbering row's kind) and year."""

    __tablename__ = "letter_sequence"

    series: Mapped[str] = mapped_column(String(50), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int]


class Timer(Base):
    """A timer event a case waits on, kept beside the saved workflow so that due timers are found
    without loading any workflow, and so that they survive a restart.

    Only pending timers have a row: the step that starts a timer inserts it, and the step that fires
    it or ends the wait another way deletes it, in that step's transaction. The history of a firing
    is its `timer_fired` event. On PostgreSQL due rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED.
    """

    __tablename__ = "timer"
    __table_args__ = (
        # Due rows are found in two index ranges: timers never tried (by due_at) and timers whose
        # step failed (by retry_at), so a failing timer waiting out its back-off is never scanned.
        Index(
            "ix_timer_due_at",
            "due_at",
            sqlite_where=text("retry_at IS NULL"),
            postgresql_where=text("retry_at IS NULL"),
        ),
        Index(
            "ix_timer_retry_at",
            "retry_at",
            sqlite_where=text("retry_at IS NOT NULL"),
            postgresql_where=text("retry_at IS NOT NULL"),
        ),
    )

    id: Mapped[int_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[uuid.UUID] = mapped_column(CompactUuid, unique=True)  # the waiting timer event's task
    element: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[moment]
    created_at: Mapped[moment]
    # A timer whose step failed (engine.services.timers): how often, and when it may be tried again.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LetterJob(Base):
    """A letter a step called for, numbered in that step, rendered afterwards (engine.letters.outbox).

    `data` is the letter's data as the step saw it (JSON); `claimed_until` is a worker's lease;
    `done_at` and `document_id` are set in the transaction that stores the rendered document, so a
    job is rendered into a document exactly once however often it is claimed.
    """

    __tablename__ = "letter_job"
    __table_args__ = (
        Index(
            "ix_letter_job_pending",
            "created_at",
            "position",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
    )

    id: Mapped[uuid_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[uuid.UUID] = mapped_column(CompactUuid)
    element: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(50))
    number: Mapped[str] = mapped_column(String(100))
    definition_id: Mapped[int]
    data: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[moment]
    position: Mapped[int] = mapped_column(default=0, server_default="0")  # the letter's place in its step
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    document_id: Mapped[uuid.UUID | None] = mapped_column(CompactUuid)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Incident(Base):
    """A step the engine could not apply (a timer's, or a user task's), open until it succeeds.

    One open row per case and element: each further failure counts a retry and keeps the newest
    error. `error` is the engine's message (engine.errors.ProcessFailed), never form data.
    """

    __tablename__ = "incident"
    __table_args__ = (
        Index(
            "uq_incident_open",
            "case_id",
            "element",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int_pk]
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id"), index=True)
    element: Mapped[str] = mapped_column(String(100))  # the BPMN id of the timer or task
    kind: Mapped[str] = mapped_column(String(16))  # "timer" or "task"
    error: Mapped[str] = mapped_column(Text)
    first_at: Mapped[moment]
    last_at: Mapped[moment]
    retries: Mapped[int]
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))


class Notification(Base):
    """A stored notification (an escalation) addressed to one user or to every holder of a role.

    New tasks and issued letters are not stored here: they are read from `case_task` and
    `document`, so that completing a task writes nothing more (engine.services.notifications).
    """

    __tablename__ = "notification"

    id: Mapped[int_pk]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(32))
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(CompactUuid)
    kind: Mapped[str] = mapped_column(String(32))
    # The case number, a task or letter title and such; never names, violence type or form data.
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[moment] = mapped_column(index=True)


class MailCursor(Base):
    """How far email delivery has got: notifications created up to `position` have been mailed."""

    __tablename__ = "mail_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[moment]
