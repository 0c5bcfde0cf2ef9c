"""Plain results that services return: no ORM objects leave a transaction."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.persistence.models import Case, CaseTask, Event, EventPayload


@dataclass(frozen=True)
class TaskView:
    """A user task as an inbox or a case page shows it."""

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
    """A case with its current tasks."""

    id: uuid.UUID
    number: str
    status: str
    outcome: str | None
    process_key: str
    process_version: int
    applicant: str
    created_at: datetime
    updated_at: datetime
    tasks: list[TaskView] = field(default_factory=list)


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


def task_view(task: CaseTask, case_number: str, claimed_by: str | None = None) -> TaskView:
    """Describe a task row."""
    return TaskView(
        id=task.id,
        case_id=task.case_id,
        case_number=case_number,
        element=task.element,
        title=task.title,
        lane=task.lane,
        state=task.state,
        created_at=task.created_at,
        due_at=task.due_at,
        claimed_by=claimed_by,
        completed_at=task.completed_at,
    )


def case_view(case: Case, *, key: str, version: int, applicant: str, tasks: list[TaskView]) -> CaseView:
    """Describe a case row."""
    return CaseView(
        id=case.id,
        number=case.number,
        status=case.status,
        outcome=case.outcome,
        process_key=key,
        process_version=version,
        applicant=applicant,
        created_at=case.created_at,
        updated_at=case.updated_at,
        tasks=tasks,
    )


def event_view(event: Event, payload: EventPayload | None) -> EventView:
    """Describe an event with its payload (None once erased)."""
    return EventView(
        seq=event.seq,
        type=event.type,
        element=event.element,
        task_id=event.task_id,
        actor=event.actor,
        at=event.at,
        data=json.loads(payload.data) if payload is not None else None,
    )
