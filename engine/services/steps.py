"""Writing one step of a case: new state, inbox rows and events, in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import runtime
from engine.definitions import LoadedDefinition
from engine.errors import NotFound, ProcessFailed
from engine.events import append_case_event
from engine.persistence.models import Case, CaseTask, User
from engine.policy import pad_roles

OPEN, COMPLETED = "open", "completed"
READY, DONE, CANCELLED = "ready", "completed", "cancelled"


def ready_ids(workflow: BpmnWorkflow) -> set[uuid.UUID]:
    """Ids of the user tasks that wait for a person."""
    return {task.id for task in runtime.ready_user_tasks(workflow)}


def record_step(
    session: Session,
    case: Case,
    definition: LoadedDefinition,
    workflow: BpmnWorkflow,
    *,
    before: set[uuid.UUID],
    actor: str,
    now: datetime,
    done: uuid.UUID | None = None,
) -> None:
    """Save the workflow into `case`, open inbox rows for new tasks, cancel vanished ones."""
    ready = runtime.ready_user_tasks(workflow)
    for task in ready:
        if task.id not in before:
            session.add(_inbox_row(case, definition, task.id, task.task_spec.name, now))
    vanished = before - {t.id for t in ready} - ({done} if done else set())
    if vanished:
        session.execute(
            update(CaseTask)
            .where(CaseTask.id.in_(vanished), CaseTask.state == READY)
            .values(state=CANCELLED, completed_at=now)
        )
    case.state = runtime.dump_state(workflow)
    case.updated_at = now
    if workflow.completed:
        case.status = COMPLETED
        case.outcome = runtime.finished_outcome(workflow, definition.catalog.outcomes)
        case.closed_at = now
        append_case_event(session, case, type="case_completed", actor=actor, at=now, payload={"outcome": case.outcome})


def _inbox_row(case: Case, definition: LoadedDefinition, task_id: uuid.UUID, element: str, now: datetime) -> CaseTask:
    info = definition.catalog.tasks.get(element)
    if info is None:
        raise ProcessFailed(f"Tugas {element!r} tidak ada dalam katalog versi {definition.version}.")
    return CaseTask(
        id=task_id,
        case_id=case.id,
        element=element,
        title=info.title,
        lane=info.lane,
        candidate_roles=pad_roles(info.roles),
        for_applicant=info.for_applicant,
        state=READY,
        created_at=now,
    )


def find_case(session: Session, ref: str | uuid.UUID, *, for_update: bool = False) -> Case:
    """A case by its id or its number (MED-2026-0001)."""
    query = select(Case)
    try:
        query = query.where(Case.id == (ref if isinstance(ref, uuid.UUID) else uuid.UUID(str(ref))))
    except ValueError:
        query = query.where(Case.number == str(ref).strip().upper())
    case = session.scalar(query.with_for_update() if for_update else query)
    if case is None:
        raise NotFound(f"Kasus {ref} tidak ditemukan.")
    return case


def usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    """User names by id, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())
