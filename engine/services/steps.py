"""Applying one step of a case: what changed in the workflow becomes rows and events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import runtime
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import Conflict, ProcessFailed
from engine.events import case_event
from engine.letters.issue import CalendarSource, LetterIssue, Passed, due_letters
from engine.persistence.case_store import CaseRecord, StepWrites, TaskRecord
from engine.persistence.models import Case, CaseFinalRecord, CaseState, User
from engine.policy import pad_roles
from engine.services.views import CaseView, case_view, task_ref

OPEN, COMPLETED, CASE_CANCELLED = "open", "completed", "cancelled"
READY, DONE, CANCELLED = "ready", "completed", "cancelled"


def ready_ids(workflow: BpmnWorkflow) -> set[uuid.UUID]:
    """Ids of the user tasks that wait for a person."""
    return {task.id for task in runtime.ready_user_tasks(workflow)}


def load_workflow(
    ctx: EngineContext, case: CaseRecord, definition: LoadedDefinition, state: bytes | None
) -> BpmnWorkflow:
    """The running case's workflow: this process's copy when it is current, else `state` from the database."""
    if case.status != OPEN or state is None:
        raise Conflict(f"Kasus {case.number} sudah selesai.")
    cached = ctx.workflows.take(case.id, case.version)
    return cached if cached is not None else runtime.load_state(definition.specs, state)


def keep_workflow(ctx: EngineContext, case: CaseRecord, workflow: BpmnWorkflow) -> None:
    """After a commit: remember a running case's workflow for its next step on this server."""
    if not workflow.completed:
        ctx.workflows.keep(case.id, case.version, workflow)


def case_variables(session: Session, definition: LoadedDefinition, case: Case | CaseRecord) -> dict[str, Any]:
    """A case's process variables: as its next step sees them, or as it ended."""
    if case.status != OPEN:
        record = session.scalar(select(CaseFinalRecord.record).where(CaseFinalRecord.case_id == case.id))
        return dict(runtime.load_final(record)["data"]) if record is not None else {}
    state = session.scalar(select(CaseState.state).where(CaseState.case_id == case.id))
    return runtime.current_data(runtime.load_state(definition.specs, state)) if state is not None else {}


def task_marks(session: Session, definition: LoadedDefinition, case: Case) -> list[tuple[str, str]]:
    """(element, state name) of every task of a case's workflow, running or finished."""
    if case.status != OPEN:
        record = session.scalar(select(CaseFinalRecord.record).where(CaseFinalRecord.case_id == case.id))
        return [(name, state) for name, state in runtime.load_final(record)["tasks"]] if record else []
    state = session.scalar(select(CaseState.state).where(CaseState.case_id == case.id))
    if state is None:
        return []
    return runtime.task_states(runtime.load_state(definition.specs, state))


def record_step(
    writes: StepWrites,
    definition: LoadedDefinition,
    workflow: BpmnWorkflow,
    *,
    before: set[uuid.UUID],
    actor: str,
    now: datetime,
    done: uuid.UUID | None = None,
    calendar: CalendarSource | None = None,
    cancelled: bool = False,
) -> CaseView:
    """Put the workflow's new state, new and vanished tasks and an end into `writes`.

    A completion (`done`) brings the office `calendar` too, which the letters it issues check against.
    Returns the case as it will be once the transaction commits, built without another query.
    """
    case = writes.case
    ready = runtime.ready_user_tasks(workflow)
    writes.new_tasks += [_inbox_row(case, definition, t.id, t.task_spec.name, now) for t in ready if t.id not in before]
    writes.cancelled += sorted(before - {t.id for t in ready} - ({done} if done else set()))
    writes.cancelled_at = now
    case.updated_at = now
    _plan_letters(writes, definition, workflow, done=done, actor=actor, now=now, calendar=calendar)
    if not workflow.completed:
        writes.state, writes.state_format = runtime.dump_state(workflow), runtime.SERIALIZER_VERSION
    elif cancelled:  # the case_cancelled event is the step's own; there is no outcome
        writes.final_record = runtime.dump_final(workflow)
        case.status, case.closed_at, case.outcome = CASE_CANCELLED, now, None
    else:
        writes.final_record = runtime.dump_final(workflow)
        case.status, case.closed_at = COMPLETED, now
        case.outcome = runtime.finished_outcome(workflow, definition.catalog.outcomes)
        writes.events.append(
            case_event(case, type="case_completed", actor=actor, at=now, payload={"outcome": case.outcome})
        )
    tasks = [task_ref(definition.catalog, t.id, t.task_spec.name) for t in ready]
    return case_view(case, catalog=definition.catalog, version=definition.version, tasks=tasks)


def _plan_letters(
    writes: StepWrites,
    definition: LoadedDefinition,
    workflow: BpmnWorkflow,
    *,
    done: uuid.UUID | None,
    actor: str,
    now: datetime,
    calendar: CalendarSource | None,
) -> None:
    """Check and schedule the letters of the elements this completion passed (none: nothing to do).

    Runs before the case's completion event is added, so the letters' events come before it.
    """
    declared = definition.catalog.letters
    if not declared or done is None:
        return
    passed = passed_elements(workflow, done, declared)
    if not passed:
        return
    submitted = _submitted(writes, done)
    letters = due_letters(declared, passed, submitted=submitted, done=done)
    if letters:
        if calendar is None:
            raise ValueError("a step that issues letters needs the office calendar")
        writes.hooks.append(
            LetterIssue(
                letters,
                actor=actor,
                now=now,
                titles=definition.value_titles,
                slot=len(writes.events),
                calendar=calendar,
            )
        )


def passed_elements(workflow: BpmnWorkflow, done: uuid.UUID, elements: Mapping[str, Sequence[str]]) -> list[Passed]:
    """The tasks of `elements` that this step completed: the completed task and what ran after it.

    Nothing after a task can finish before it, so the completed part of the completed task's
    subtree is exactly what this step ran.
    """
    start = workflow.get_task_from_id(done)
    found: list[Passed] = []
    pending = [start] if start is not None else []
    while pending:
        task = pending.pop()
        if task.state != TaskState.COMPLETED:
            continue
        if task.task_spec.name in elements:
            found.append(Passed(task.task_spec.name, task.id, json.loads(json.dumps(task.data, default=str))))
        pending.extend(reversed(task.children))
    return found


def _submitted(writes: StepWrites, done: uuid.UUID) -> dict[str, Any]:
    """The data the person submitted for the completed task, as its event records it."""
    for event in writes.events:
        if event.type == "task_completed" and event.task_id == done and event.payload:
            data = json.loads(event.payload)
            return data if isinstance(data, dict) else {}
    return {}


def _inbox_row(
    case: CaseRecord, definition: LoadedDefinition, task_id: uuid.UUID, element: str, now: datetime
) -> TaskRecord:
    info = definition.catalog.tasks.get(element)
    if info is None:
        raise ProcessFailed(f"Tugas {element!r} tidak ada dalam katalog versi {definition.version}.")
    return TaskRecord(
        id=task_id,
        case_id=case.id,
        element=element,
        candidate_roles=pad_roles(info.roles),
        for_applicant=info.for_applicant,
        state=READY,
        claimed_by_id=None,
        created_at=now,
        opened_seq=case.event_seq,
        assignee=info.assignee or None,
    )


def usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    """User names by id, in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())
