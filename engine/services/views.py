"""Plain results that services return: no ORM objects leave a transaction."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.bpmn.catalog import Catalog
from engine.persistence.case_store import CaseRecord, TaskRecord
from engine.persistence.models import Case, CaseTask, Event, EventPayload


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
    tasks: list[TaskRef] = field(default_factory=list)
    applicant: str | None = None


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


def task_ref(catalog: Catalog, task_id: uuid.UUID, element: str, state: str = "ready") -> TaskRef:
    """Describe a task of a version by its element."""
    info = catalog.tasks[element]
    return TaskRef(id=task_id, element=element, title=info.title, lane=info.lane, state=state)


def in_diagram_order(catalog: Catalog, tasks: list[TaskRef]) -> list[TaskRef]:
    """Tasks sorted as the diagram lists them, so every path to a view agrees."""
    order = {element: i for i, element in enumerate(catalog.tasks)}
    return sorted(tasks, key=lambda t: (order.get(t.element, len(order)), str(t.id)))


def task_view(
    catalog: Catalog, task: CaseTask | TaskRecord, case_number: str, claimed_by: str | None = None
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
    )


def case_view(
    case: Case | CaseRecord, *, catalog: Catalog, version: int, tasks: list[TaskRef], applicant: str | None = None
) -> CaseView:
    """Describe a case row."""
    return CaseView(
        id=case.id,
        number=case.number,
        status=case.status,
        outcome=case.outcome,
        process_key=catalog.key,
        process_version=version,
        created_at=case.created_at,
        updated_at=case.updated_at,
        tasks=in_diagram_order(catalog, tasks),
        applicant=applicant,
    )


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
