"""Plain results that services return: no ORM objects leave a transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.bpmn.catalog import Catalog
from engine.calendar import WorkingCalendar
from engine.persistence.case_store import CaseRecord, TaskRecord
from engine.persistence.models import Case, CaseTask, Event, EventPayload
from engine.sla import CLOCK_TITLES, SlaState, clock_due, paused, running, sla_state
from engine.status import TaskStatus


@dataclass(frozen=True)
class TaskRef:
    """A task as a case lists it."""

    id: uuid.UUID
    element: str
    title: str
    lane: str
    state: str


@dataclass(frozen=True)
class TaskView:
    """A user task as an inbox shows it."""

    id: uuid.UUID
    case_id: uuid.UUID
    case_number: str
    element: str
    title: str
    lane: str
    state: str
    created_at: datetime
    due_at: datetime | None = None
    claimed_by: str | None = None
    completed_at: datetime | None = None
    sla_state: SlaState | None = None  # judged when the task was read; None without a due moment
    # What tells two cases apart on an inbox card (filled by the inbox, for those who may work the task):
    victim_initials: str | None = None
    applicant: str | None = None  # the account's full name, or the walk-in applicant's name
    claimed_by_name: str | None = None  # the full name of `claimed_by`


@dataclass(frozen=True)
class ClockView:
    """A service-level clock of a case (engine.sla), as the case page lists it."""

    name: str
    title: str
    days: int
    started: datetime
    due: datetime
    paused: datetime | None = None
    reason: str | None = None  # why it waits on the applicant, while paused
    paused_days: int = 0  # working days its due moment moved out for earlier pauses
    stopped: datetime | None = None
    met: bool | None = None  # once stopped: whether it stopped by its due moment
    state: SlaState | None = None  # while it runs; a paused clock as it stood when it paused


@dataclass(frozen=True)
class CaseSla:
    """Where a case stands against its due moment: its nearest staff task's, else its earliest clock's."""

    due_at: datetime | None = None
    state: SlaState | None = None
    paused: bool = False  # the clocks wait on the applicant; the state is as it stood when they paused


@dataclass(frozen=True)
class CaseView:
    """A case with its ready tasks, in the diagram's order."""

    id: uuid.UUID
    number: str
    status: str
    outcome: str | None
    process_key: str
    process_version: int
    created_at: datetime
    updated_at: datetime
    process_name: str = ""
    tasks: list[TaskRef] = field(default_factory=list)
    applicant: str | None = None
    sla: CaseSla = field(default_factory=CaseSla)
    clocks: list[ClockView] = field(default_factory=list)  # filled for a single case, not for lists
    suspended_at: datetime | None = None  # waiting on a third party since then (engine.services.suspension)
    suspension_reason: str | None = None


@dataclass(frozen=True)
class EventView:
    """One entry of a case's history."""

    seq: int
    type: str
    element: str | None
    task_id: uuid.UUID | None
    actor: str
    at: datetime
    data: Any
    title: str | None = None  # the task's title, for events about a task


def task_ref(catalog: Catalog, task_id: uuid.UUID, element: str, state: str = TaskStatus.READY) -> TaskRef:
    """Describe a task of a version by its element."""
    info = catalog.tasks[element]
    return TaskRef(id=task_id, element=element, title=info.title, lane=info.lane, state=state)


def in_diagram_order(catalog: Catalog, tasks: list[TaskRef]) -> list[TaskRef]:
    """Tasks sorted as the diagram lists them, so every path to a view agrees."""
    order = {element: i for i, element in enumerate(catalog.tasks)}
    return sorted(tasks, key=lambda t: (order.get(t.element, len(order)), str(t.id)))


def task_view(
    catalog: Catalog,
    task: CaseTask | TaskRecord,
    case_number: str,
    claimed_by: str | None = None,
    sla_state: SlaState | None = None,
    *,
    victim_initials: str | None = None,
    applicant: str | None = None,
    claimed_by_name: str | None = None,
) -> TaskView:
    """Describe a task row."""
    info = catalog.tasks[task.element]
    return TaskView(
        id=task.id,
        case_id=task.case_id,
        case_number=case_number,
        element=task.element,
        title=info.title,
        lane=info.lane,
        state=task.state,
        created_at=task.created_at,
        due_at=task.due_at,
        claimed_by=claimed_by,
        completed_at=task.completed_at,
        sla_state=sla_state,
        victim_initials=victim_initials,
        applicant=applicant,
        claimed_by_name=claimed_by_name,
    )


def case_view(
    case: Case | CaseRecord,
    *,
    catalog: Catalog,
    version: int,
    tasks: list[TaskRef],
    applicant: str | None = None,
    sla: CaseSla | None = None,
    clocks: list[ClockView] | None = None,
) -> CaseView:
    """Describe a case row."""
    return CaseView(
        id=case.id,
        number=case.number,
        status=case.status,
        outcome=case.outcome,
        process_key=catalog.key,
        process_name=catalog.name,
        process_version=version,
        created_at=case.created_at,
        updated_at=case.updated_at,
        tasks=in_diagram_order(catalog, tasks),
        applicant=applicant,
        sla=sla or CaseSla(),
        clocks=clocks or [],
        suspended_at=case.suspended_at,
        suspension_reason=case.suspension_reason,
    )


class SlaJudge:
    """Judges due moments at one moment, for one request: one calendar, built only if a due moment needs it."""

    def __init__(self, now: datetime, calendar: Callable[[], WorkingCalendar]) -> None:
        self.now = now
        self._load = calendar
        self._calendar: WorkingCalendar | None = None

    def state(self, due_at: datetime | None, at: datetime | None = None) -> SlaState | None:
        """The state of `due_at` as seen now (or at `at`); None without a due moment."""
        if due_at is None:
            return None
        if self._calendar is None:
            self._calendar = self._load()
        return sla_state(due_at, at or self.now, self._calendar)

    def case(
        self, clocks: Mapping[str, Mapping[str, Any]] | None, task_due: datetime | None, held: datetime | None = None
    ) -> CaseSla:
        """An open case's due moment and state: its nearest staff task's, else its earliest running clock's.

        While the clocks wait on the applicant they do not count down: their state is the one they had
        when they paused, which is also where they stand again once they resume. A suspended case
        (`held`: since when) stands as it stood when it was suspended, its tasks' due moments too.
        """
        if held is not None:
            due = task_due if task_due is not None else clock_due(clocks or {})
            return CaseSla(due, self.state(due, held), paused=due is not None)
        if task_due is not None:
            return CaseSla(task_due, self.state(task_due))
        clocks = clocks or {}
        due = clock_due(clocks)
        if due is not None and paused(clocks):
            return CaseSla(due, self.state(due, _paused_since(clocks)), paused=True)
        return CaseSla(due, self.state(due))

    def clocks(self, clocks: Mapping[str, Mapping[str, Any]] | None) -> list[ClockView]:
        """Every clock of a case, running or stopped, in the order they started (the nearest due first)."""
        views = [self._clock(name, clock) for name, clock in (clocks or {}).items()]
        return sorted(views, key=lambda v: (v.started, v.due, v.name))

    def _clock(self, name: str, clock: Mapping[str, Any]) -> ClockView:
        due = datetime.fromisoformat(clock["due"])
        paused_at, stopped = _moment(clock.get("paused")), _moment(clock.get("stopped"))
        return ClockView(
            name=name,
            title=CLOCK_TITLES.get(name, name.replace("_", " ").capitalize()),
            days=int(clock["days"]),
            started=datetime.fromisoformat(clock["started"]),
            due=due,
            paused=paused_at,
            reason=clock.get("reason"),
            paused_days=int(clock.get("paused_days") or 0),
            stopped=stopped,
            met=clock.get("met") if stopped else None,
            state=None if stopped else self.state(due, paused_at),
        )


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _paused_since(clocks: Mapping[str, Mapping[str, Any]]) -> datetime | None:
    moments = [_moment(clocks[n].get("paused")) for n in running(clocks)]
    return min((m for m in moments if m is not None), default=None)


def event_view(event: Event, payload: EventPayload | None, catalog: Catalog | None = None) -> EventView:
    """Describe an event with its payload (None once erased)."""
    info = catalog.tasks.get(event.element) if catalog is not None and event.element else None
    return EventView(
        title=info.title if info is not None else None,
        seq=event.seq,
        type=event.type,
        element=event.element,
        task_id=event.task_id,
        actor=event.actor,
        at=event.at,
        data=json.loads(payload.data) if payload is not None else None,
    )
