"""Reading and writing one step of a case with plain SQL (SQLAlchemy Core).

Completing a task is the hot path: one query reads the task, its case and the saved workflow;
`save_step` writes everything the step changed, and refuses with ConcurrentUpdate when the
case's version counter moved since it was read. No ORM unit of work is involved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from engine.errors import ConcurrentUpdate, NotFound
from engine.persistence.models import (
    Base,
    CalendarOverride,
    Case,
    CaseFinalRecord,
    CaseState,
    CaseTask,
    Event,
    EventPayload,
    Incident,
    RoleMembership,
    Timer,
    User,
)
from engine.status import TaskStatus

_TABLES = Base.metadata.tables
CASES, TASKS, STATES = _TABLES[Case.__tablename__], _TABLES[CaseTask.__tablename__], _TABLES[CaseState.__tablename__]
EVENTS, PAYLOADS = _TABLES[Event.__tablename__], _TABLES[EventPayload.__tablename__]
FINALS = _TABLES[CaseFinalRecord.__tablename__]
TIMERS, OVERRIDES = _TABLES[Timer.__tablename__], _TABLES[CalendarOverride.__tablename__]
INCIDENTS = _TABLES[Incident.__tablename__]


@dataclass
class CaseRecord:
    """The case row as a step reads and changes it."""

    id: uuid.UUID
    number: str
    definition_id: int
    status: str
    outcome: str | None
    acting_user_id: int
    version: int
    event_seq: int
    event_hash: bytes
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    sla: dict[str, Any] | None = None  # the service-level clocks (engine.sla)
    screening: dict[str, Any] | None = None  # the legal screening record (engine.legal.screening)
    suspended_at: datetime | None = None  # a case waiting on a third party (engine.services.suspension)
    suspension_reason: str | None = None


@dataclass
class TaskRecord:
    """A case_task row."""

    id: uuid.UUID
    case_id: uuid.UUID
    element: str
    candidate_roles: str
    for_applicant: bool
    state: str
    claimed_by_id: int | None
    created_at: datetime
    due_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by_id: int | None = None
    opened_seq: int | None = None
    # Not a column: a user name the task starts claimed by (camunda:assignee), when that account is
    # active and holds one of the task's roles; otherwise the task is open to its lane.
    assignee: str | None = None


@dataclass
class NewEvent:
    """An event about to be appended, already hashed."""

    seq: int
    type: str
    actor: str
    at: datetime
    case_id: uuid.UUID | None = None
    chain: str | None = None
    task_id: uuid.UUID | None = None
    element: str | None = None
    payload: str | None = None
    payload_hash: bytes | None = None
    subject_id: uuid.UUID | None = None
    prev_hash: bytes = b""
    hash: bytes = b""


@dataclass
class StepWrites:
    """Everything one step changes, written by `save_step` in one go."""

    case: CaseRecord
    read_version: int | None  # None: the case is new
    state: bytes | None = None
    state_format: str = ""
    final_record: bytes | None = None
    completed: tuple[uuid.UUID, datetime, int | None] | None = None  # task id, when, by whom
    also_completed: list[tuple[uuid.UUID, datetime, int | None]] = field(default_factory=list)  # engine tasks
    task_states: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # rows held, or ready again
    claim: tuple[uuid.UUID, int | None] | None = None  # task id, new claimant
    new_tasks: list[TaskRecord] = field(default_factory=list)
    cancelled: list[uuid.UUID] = field(default_factory=list)
    cancelled_at: datetime | None = None
    events: list[NewEvent] = field(default_factory=list)
    retargeted: list[tuple[uuid.UUID, str, bool]] = field(default_factory=list)  # id, roles, for applicant
    new_timers: list[tuple[uuid.UUID, str, datetime]] = field(default_factory=list)  # task id, element, due
    ended_timers: list[uuid.UUID] = field(default_factory=list)  # timers no longer waited on
    fired_timers: list[uuid.UUID] = field(default_factory=list)  # timers this step fired (set by the scheduler)
    # Open incidents this step settles, each set of elements with who settled it: those the step
    # succeeded at (a retried task or timer), those the case no longer waits on (a timer that stopped
    # waiting, a task that was cancelled), or, with ALL_ELEMENTS, every open incident of a case that ended.
    settled: list[tuple[frozenset[str], str]] = field(default_factory=list)
    # What the step calls for beside its own rows, written by engine.casework.record.save in the same
    # transaction: letter jobs (engine.letters.outbox) and notices (engine.services.notifications).
    letters: list[Any] = field(default_factory=list)
    notices: list[Any] = field(default_factory=list)
    follow_up: date | None = None  # R12: the case ended with an agreement, followed up on this date


_CASE_FIELDS = [c.name for c in CASES.columns if c.name in CaseRecord.__dataclass_fields__]
_TASK_FIELDS = [c.name for c in TASKS.columns]
USERS, MEMBERSHIPS = _TABLES[User.__tablename__], _TABLES[RoleMembership.__tablename__]


def _case(row: Any) -> CaseRecord:
    return CaseRecord(**{name: row._mapping[CASES.c[name]] for name in _CASE_FIELDS})


def _task(row: Any) -> TaskRecord:
    return TaskRecord(**{name: row._mapping[TASKS.c[name]] for name in _TASK_FIELDS})


# The override table's (rows, removed rows) ride along with a step's read (and a list's), so that the
# engine's cached working-day calendar is known to be current without a statement of its own
# (EngineContext.calendar).
CALENDAR_STAMP = (
    select(func.count()).select_from(OVERRIDES).scalar_subquery().label("calendar_rows"),
    select(func.count(OVERRIDES.c.removed_at)).scalar_subquery().label("calendar_removed"),
)
CalendarStamp = tuple[int, int]


def calendar_stamp(row: Any) -> CalendarStamp:
    """The stamp a row read with CALENDAR_STAMP carries."""
    return int(row.calendar_rows), int(row.calendar_removed)


_LOAD_TASK_STEP = (
    select(*TASKS.c, *(CASES.c[n] for n in _CASE_FIELDS), STATES.c.state, *CALENDAR_STAMP)
    .join(CASES, CASES.c.id == TASKS.c.case_id)
    .outerjoin(STATES, STATES.c.case_id == CASES.c.id)
    .where(TASKS.c.id == bindparam("task_id"))
)


@dataclass
class TaskStep:
    """What a completion reads in its one query."""

    task: TaskRecord
    case: CaseRecord
    state: bytes | None  # None once the case has finished
    calendar_stamp: CalendarStamp


def load_task_step(session: Session, task_id: uuid.UUID) -> TaskStep:
    """A task, its case, the case's saved workflow and the calendar stamp, in one query."""
    row = session.execute(_LOAD_TASK_STEP, {"task_id": task_id}).one_or_none()
    if row is None:
        raise NotFound("Tugas tidak ditemukan.")
    return TaskStep(_task(row), _case(row), row._mapping[STATES.c.state], calendar_stamp(row))


_LOAD_CASE_STEP = (
    select(*(CASES.c[n] for n in _CASE_FIELDS), STATES.c.state, *CALENDAR_STAMP)
    .outerjoin(STATES, STATES.c.case_id == CASES.c.id)
    .where(CASES.c.id == bindparam("case_id"))
)


def load_case_step(session: Session, case_id: uuid.UUID) -> tuple[CaseRecord, bytes | None, CalendarStamp]:
    """A case, its saved workflow (None once finished) and the calendar stamp, in one query."""
    row = session.execute(_LOAD_CASE_STEP, {"case_id": case_id}).one_or_none()
    if row is None:
        raise NotFound("Kasus tidak ditemukan.")
    return _case(row), row._mapping[STATES.c.state], calendar_stamp(row)


def load_case_for_update(session: Session, case_id: uuid.UUID) -> CaseRecord:
    """A case row, locked for the rest of the write transaction (SQLite's write lock already is)."""
    row = session.execute(
        select(*(CASES.c[n] for n in _CASE_FIELDS)).where(CASES.c.id == case_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound("Kasus tidak ditemukan.")
    return CaseRecord(**{name: row._mapping[CASES.c[name]] for name in _CASE_FIELDS})


def append_case_events(session: Session, case: CaseRecord, read_version: int, events: list[NewEvent]) -> None:
    """Add events sealed on `case`'s chain outside a step of its workflow (a letter rendered later).

    The case's version moves on, so a step computed before these events were added is refused as stale.
    """
    _update_case(session, case, read_version)
    insert_events(session, events)


def save_step(session: Session, writes: StepWrites, *, new_case: dict[str, Any] | None = None) -> None:
    """Write one step; raise ConcurrentUpdate if the case changed since it was read.

    The step's events are sealed once, in their final order, before this is called; letters and
    notices the step calls for are written beside it by the service layer (engine.casework.record.save).
    """
    case = writes.case
    if new_case is not None:
        case.version = 1
        session.execute(insert(CASES).values(**new_case, **_case_values(case)))
    else:
        _update_case(session, case, writes.read_version)
    _write_state(session, case.id, writes, new=new_case is not None)
    _write_tasks(session, writes)
    _write_timers(session, writes)
    _settle_incidents(session, writes)
    insert_events(session, writes.events)


_CASE_CHANGES = (
    "status",
    "outcome",
    "version",
    "event_seq",
    "event_hash",
    "updated_at",
    "closed_at",
    "sla",
    "screening",
    "suspended_at",
    "suspension_reason",
)
# Statements of the hot path, built once: constructing SQL per call costs more than running it.
# A migration moves a case to another version, so the step writes its definition too (same statement).
_UPDATE_CASE = (
    update(CASES)
    .where(CASES.c.id == bindparam("w_id"), CASES.c.version == bindparam("w_version"))
    .values({name: bindparam(name) for name in (*_CASE_CHANGES, "definition_id")})
)
_UPDATE_STATE = update(STATES).where(STATES.c.case_id == bindparam("w_id")).values(state=bindparam("state"))
_COMPLETE_TASK = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("w_id"))
    .values(state=bindparam("state"), completed_at=bindparam("completed_at"), completed_by_id=bindparam("by"))
)
_RETARGET_TASK = (
    update(TASKS)
    .where(TASKS.c.id == bindparam("w_id"), TASKS.c.state == TaskStatus.READY)
    .values(candidate_roles=bindparam("roles"), for_applicant=bindparam("applicant"))
)
_INSERT_TASKS = insert(TASKS)
_INSERT_EVENTS = insert(EVENTS).returning(EVENTS.c.id, sort_by_parameter_order=True)
_INSERT_PAYLOADS = insert(PAYLOADS)


def _case_values(case: CaseRecord) -> dict[str, Any]:
    return {name: getattr(case, name) for name in _CASE_CHANGES}


def _update_case(session: Session, case: CaseRecord, read_version: int | None) -> None:
    case.version = (read_version or 0) + 1
    values = {"w_id": case.id, "w_version": read_version, "definition_id": case.definition_id, **_case_values(case)}
    result = session.execute(_UPDATE_CASE, values)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentUpdate("Kasus ini baru saja diubah oleh orang lain; muat ulang lalu coba lagi.")


def _write_state(session: Session, case_id: uuid.UUID, writes: StepWrites, *, new: bool) -> None:
    if writes.final_record is not None:
        session.execute(delete(STATES).where(STATES.c.case_id == case_id))
        session.execute(insert(FINALS).values(case_id=case_id, record=writes.final_record))
    elif writes.state is not None and new:
        session.execute(
            insert(STATES).values(case_id=case_id, serializer_version=writes.state_format, state=writes.state)
        )
    elif writes.state is not None:
        session.execute(_UPDATE_STATE, {"w_id": case_id, "state": writes.state})


def _write_tasks(session: Session, writes: StepWrites) -> None:
    done = ([writes.completed] if writes.completed is not None else []) + writes.also_completed
    if done:
        rows = [
            {"w_id": task_id, "state": TaskStatus.COMPLETED, "completed_at": at, "by": by} for task_id, at, by in done
        ]
        session.execute(_COMPLETE_TASK, rows)
    for task_id, state in writes.task_states:
        session.execute(update(TASKS).where(TASKS.c.id == task_id).values(state=state))
    if writes.claim is not None:
        task_id, claimant = writes.claim
        session.execute(update(TASKS).where(TASKS.c.id == task_id).values(claimed_by_id=claimant))
    if writes.cancelled:
        session.execute(
            update(TASKS)
            .where(TASKS.c.id.in_(writes.cancelled), TASKS.c.state.in_((TaskStatus.READY, TaskStatus.HELD)))
            .values(state=TaskStatus.CANCELLED, completed_at=writes.cancelled_at)
        )
    if writes.retargeted:
        session.execute(_RETARGET_TASK, [{"w_id": i, "roles": r, "applicant": a} for i, r, a in writes.retargeted])
    if writes.new_tasks:
        rows = [{k: v for k, v in vars(t).items() if k != "assignee"} for t in writes.new_tasks]
        for row, task in zip(rows, writes.new_tasks, strict=True):
            if task.assignee:
                row["claimed_by_id"] = session.execute(_assignee_id(task)).scalar_one_or_none()
        session.execute(_INSERT_TASKS, rows)


def _write_timers(session: Session, writes: StepWrites) -> None:
    """Timers the step started, fired or stopped waiting on: nothing to write for a step that touched none."""
    gone = writes.fired_timers + writes.ended_timers
    if gone:
        session.execute(delete(TIMERS).where(TIMERS.c.task_id.in_(gone)))
    if writes.new_timers:
        at = writes.case.updated_at
        rows = [
            {"case_id": writes.case.id, "task_id": i, "element": e, "due_at": d, "created_at": at}
            for i, e, d in writes.new_timers
        ]
        session.execute(insert(TIMERS), rows)


ALL_ELEMENTS = frozenset({"*"})


def _settle_incidents(session: Session, writes: StepWrites) -> None:
    """Resolve the open incidents the step settles (none: no statement)."""
    for elements, by in writes.settled:
        query = update(INCIDENTS).where(INCIDENTS.c.case_id == writes.case.id, INCIDENTS.c.resolved_at.is_(None))
        if elements != ALL_ELEMENTS:
            query = query.where(INCIDENTS.c.element.in_(sorted(elements)))
        session.execute(query.values(resolved_at=writes.case.updated_at, resolved_by=by))


def _assignee_id(task: TaskRecord) -> Any:
    """The id of the task's assignee if that account is active and holds one of the task's roles."""
    return (
        select(USERS.c.id)
        .join(MEMBERSHIPS, MEMBERSHIPS.c.user_id == USERS.c.id)
        .where(
            USERS.c.username == task.assignee,
            USERS.c.active.is_(True),
            MEMBERSHIPS.c.role.in_(task.candidate_roles.split()),
        )
        .limit(1)
    )


def insert_events(session: Session, events: list[NewEvent]) -> None:
    """Append events and their payloads (two statements however many events)."""
    if not events:
        return
    rows = [{k: v for k, v in vars(e).items() if k != "payload"} for e in events]
    ids: list[int] = list(session.execute(_INSERT_EVENTS, rows).scalars())
    payloads = [{"event_id": i, "data": e.payload} for i, e in zip(ids, events, strict=True) if e.payload is not None]
    if payloads:
        session.execute(_INSERT_PAYLOADS, payloads)
