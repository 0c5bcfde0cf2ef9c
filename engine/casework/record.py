"""Recording one step of a case: what changed in the workflow becomes rows and events (driven by casework.step)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import runtime, sla
from engine.calendar import WorkingCalendar
from engine.casework import notices, screening_records
from engine.casework.views import CaseView, case_view, task_ref
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import Conflict, ProcessFailed
from engine.events import case_event
from engine.legal import follow_up, guard
from engine.legal.corrections import LAPSED, pending_of, settle
from engine.letters import outbox
from engine.letters.dates import local_date
from engine.letters.issue import Passed, check_letters, check_signatories, due_letters
from engine.persistence.case_store import (
    ALL_ELEMENTS,
    CaseRecord,
    StepWrites,
    TaskRecord,
    save_step,
)
from engine.persistence.models import Case, CaseFinalRecord, CaseState, FollowUp, User
from engine.policy import pad_roles
from engine.status import CaseStatus, TaskStatus


@dataclass(frozen=True)
class Before:
    """What a case waited on before a step: its ready user tasks and its pending timers."""

    ready: frozenset[uuid.UUID] = frozenset()
    timers: Mapping[uuid.UUID, tuple[str, datetime]] = field(default_factory=dict)
    completed: frozenset[uuid.UUID] = frozenset()  # so the legal guard sees what this step alone ran


def snapshot(workflow: BpmnWorkflow) -> Before:
    """Take what the case waits on, and what it has completed, before running a step."""
    ready, completed = set(), set()
    for task in runtime.every_task(workflow):
        if task.state == TaskState.COMPLETED:
            completed.add(task.id)
        elif task.state == TaskState.READY and task.task_spec.manual:
            ready.add(task.id)
    return Before(frozenset(ready), runtime.pending_timers(workflow), frozenset(completed))


def open_record(session: Session, case: CaseRecord) -> dict[str, Any]:
    """The case's screening record, rebuilt from its chain for a case filed before records existed."""
    case.screening = screening_records.record_of(session, case)
    return case.screening


class Office:
    """The office's working-day calendar for one step, built only if the step needs it.

    A step computes in a read transaction and writes in another: the writing part moves the
    office to its session (`session = ...`), so the calendar is never read through a closed one.
    """

    def __init__(self, ctx: EngineContext, session: Session, stamp: tuple[int, int] | None = None) -> None:
        self._ctx = ctx
        self._stamp = stamp
        self._calendar: WorkingCalendar | None = None
        self.session = session
        self.completeness_days = ctx.settings.completeness_days

    def calendar(self, session: Session | None = None) -> WorkingCalendar:
        """The calendar (built on first use, in `session` when given, else the office's session)."""
        if self._calendar is None:
            self._calendar = self._ctx.calendar(session or self.session, self._stamp)
        return self._calendar


def load_workflow(
    ctx: EngineContext, case: CaseRecord, definition: LoadedDefinition, state: bytes | None
) -> BpmnWorkflow:
    """The running case's workflow: this process's copy when it is current, else `state` from the database."""
    if case.status != CaseStatus.OPEN or state is None:
        raise Conflict(f"Kasus {case.number} sudah selesai.")
    cached = ctx.workflows.take(case.id, case.version)
    return cached if cached is not None else runtime.load_state(definition.specs, state)


def keep_workflow(ctx: EngineContext, case: CaseRecord, workflow: BpmnWorkflow) -> None:
    """After a commit: remember a running case's workflow for its next step on this server."""
    if not workflow.completed:
        ctx.workflows.keep(case.id, case.version, workflow)


def case_variables(session: Session, definition: LoadedDefinition, case: Case | CaseRecord) -> dict[str, Any]:
    """A case's process variables: as its next step sees them, or as it ended."""
    if case.status != CaseStatus.OPEN:
        record = session.scalar(select(CaseFinalRecord.record).where(CaseFinalRecord.case_id == case.id))
        return dict(runtime.load_final(record)["data"]) if record is not None else {}
    state = session.scalar(select(CaseState.state).where(CaseState.case_id == case.id))
    return runtime.current_data(runtime.load_state(definition.specs, state)) if state is not None else {}


def task_marks(session: Session, definition: LoadedDefinition, case: Case) -> list[tuple[str, str]]:
    """(element, state name) of every task of a case's workflow, running or finished."""
    if case.status != CaseStatus.OPEN:
        record = session.scalar(select(CaseFinalRecord.record).where(CaseFinalRecord.case_id == case.id))
        return [(name, state) for name, state in runtime.load_final(record)["tasks"]] if record else []
    state = session.scalar(select(CaseState.state).where(CaseState.case_id == case.id))
    if state is None:
        return []
    return runtime.task_states(runtime.load_state(definition.specs, state))


def complete_and_record(
    writes: StepWrites,
    definition: LoadedDefinition,
    workflow: BpmnWorkflow,
    task_id: uuid.UUID,
    element: str,
    data: Mapping[str, Any],
    *,
    actor: str,
    actor_id: int | None,
    now: datetime,
    office: Office,
    before: Before,
) -> CaseView:
    """Complete `task` with `data` as `actor` (who submitted it) and record the step: the common part of
    a person's completion and of a confirmed correction's held completion. `before` is the workflow's
    snapshot as the step began."""
    with runtime.at(now, office.calendar):
        runtime.complete_user_task(workflow, task_id, data)
    writes.completed = (task_id, now, actor_id)
    writes.events.append(
        case_event(
            writes.case, type="task_completed", actor=actor, at=now, payload=data, task_id=task_id, element=element
        )
    )
    return record_step(writes, definition, workflow, before=before, actor=actor, now=now, office=office, done=task_id)


def record_step(
    writes: StepWrites,
    definition: LoadedDefinition,
    workflow: BpmnWorkflow,
    *,
    before: Before,
    actor: str,
    now: datetime,
    office: Office,
    done: uuid.UUID | None = None,
    cancelled: bool = False,
    outcome: str | None = None,
) -> CaseView:
    """Put the workflow's new state, new and vanished tasks and timers, clocks and an end into `writes`.

    `done` is the task a person completed, or the timer the scheduler fired (then in
    `writes.fired_timers`). Returns the case as it will be once the transaction commits, built
    without another query.

    First of all, whatever the diagram says, the legal guard (engine.legal.guard) refuses a step
    that would issue a mediation letter or end the case "mediated" while the case's screening
    record forbids mediation: nothing has been written yet, so the case stays as it was. The
    caller has folded this step's submission into `writes.case.screening` (`open_record` for the
    steps that submit nothing).
    """
    case = writes.case
    if not cancelled:
        letters, outcome = guard.step_effects(definition.catalog, workflow, before.completed)
        guard.check_step(case.screening, letters=letters, outcome=outcome)
    ready = runtime.ready_user_tasks(workflow)
    new_rows = [inbox_row(case, definition, t.id, t.task_spec.name, now) for t in ready if t.id not in before.ready]
    writes.new_tasks += new_rows
    writes.cancelled += sorted(before.ready - {t.id for t in ready} - ({done} if done else set()))
    writes.cancelled_at = now
    case.updated_at = now
    _record_timers(writes, workflow, before)
    _settle(writes, workflow, before, actor)
    _plan_letters(writes, definition, workflow, done=done, actor=actor, now=now, office=office)
    _plan_notices(writes, definition, workflow, done=done, now=now)
    _run_clocks(writes, definition, workflow, ready, before, done=done, actor=actor, now=now, office=office)
    set_due(new_rows, definition, case, now, office)
    _lapse_correction(writes, now, ended=workflow.completed)
    if not workflow.completed:
        writes.state, writes.state_format = runtime.dump_state(workflow), runtime.SERIALIZER_VERSION
    elif cancelled:  # the ending event is the step's own; the outcome, if any, is the step's (engine.status)
        writes.final_record = runtime.dump_final(workflow)
        case.status, case.closed_at, case.outcome = CaseStatus.CANCELLED, now, outcome
    else:
        writes.final_record = runtime.dump_final(workflow)
        case.status, case.closed_at = CaseStatus.COMPLETED, now
        case.outcome = runtime.finished_outcome(workflow, definition.catalog.outcomes)
        writes.events.append(
            case_event(case, type="case_completed", actor=actor, at=now, payload={"outcome": case.outcome})
        )
        _owe_follow_up(writes, actor, now)
    tasks = [task_ref(definition.catalog, t.id, t.task_spec.name) for t in ready]
    return case_view(case, catalog=definition.catalog, version=definition.version, tasks=tasks)


def _owe_follow_up(writes: StepWrites, actor: str, now: datetime) -> None:
    """R12: a case that ends with an issued agreement is owed its follow-up, whatever its diagram says."""
    due = follow_up.due_on(writes.case.screening, local_date(now))
    if due is None:
        return
    writes.follow_up = due
    payload = {"due_on": due.isoformat()}
    writes.events.append(case_event(writes.case, type=follow_up.SCHEDULED, actor=actor, at=now, payload=payload))


def _lapse_correction(writes: StepWrites, now: datetime, *, ended: bool) -> None:
    """A correction waiting for its second person lapses when the case ends or its held task is cancelled."""
    case = writes.case
    waiting = pending_of(case.screening)
    if waiting is None or not (ended or uuid.UUID(waiting["task_id"]) in writes.cancelled):
        return
    record = copy.deepcopy(case.screening or {})
    record.pop("pending", None)
    settle(record, int(waiting["seq"]), LAPSED, None, now.isoformat(), None)
    case.screening = record
    writes.cancelled += [uuid.UUID(waiting["confirm_task_id"]), uuid.UUID(waiting["task_id"])]


def _record_timers(writes: StepWrites, workflow: BpmnWorkflow, before: Before) -> None:
    """Timers the step started get a row; those no longer waited on lose theirs."""
    after = runtime.pending_timers(workflow) if not workflow.completed else {}
    fired = set(writes.fired_timers)
    writes.new_timers += [(i, element, due) for i, (element, due) in after.items() if i not in before.timers]
    writes.ended_timers += [i for i in before.timers if i not in after and i not in fired]


def _settle(writes: StepWrites, workflow: BpmnWorkflow, before: Before, actor: str) -> None:
    """Let the step settle the incidents of what the case stopped waiting on, or all when it ended.

    A failed timer or task whose step the case has left another way (a withdrawal, a cancelled
    branch, an end) is no longer an incident: nothing is left to try again.
    """
    if workflow.completed:
        writes.settled.append((ALL_ELEMENTS, actor))
        return
    stopped = {before.timers[i][0] for i in writes.ended_timers if i in before.timers}
    stopped |= {_element_of(workflow, i) for i in writes.cancelled}
    stopped.discard("")
    if stopped:
        writes.settled.append((frozenset(stopped), actor))


def _run_clocks(
    writes: StepWrites,
    definition: LoadedDefinition,
    workflow: BpmnWorkflow,
    ready: Sequence[Any],
    before: Before,
    *,
    done: uuid.UUID | None,
    actor: str,
    now: datetime,
    office: Office,
) -> None:
    """Start, stop, pause and resume the case's service-level clocks (engine.sla) for this step.

    A pause or a resume is an event of its own in the case's chain, with the reason: the time the
    file spent with the applicant is part of the record.
    """
    catalog, case = definition.catalog, writes.case
    clocks: sla.Clocks = copy.deepcopy(case.sla) if case.sla else {}
    done_info = catalog.tasks.get(_element_of(workflow, done)) if done else None
    if done_info is not None and done_info.sla_stop:
        sla.stop(clocks, done_info.sla_stop, now, office.calendar())
    for task in ready:
        info = catalog.tasks.get(task.task_spec.name)
        if info is not None and info.sla_start and task.id not in before.ready:
            sla.start(clocks, sla.parse_clock_specs(info.sla_start), now, office.calendar())
    if workflow.completed:
        sla.stop(clocks, sla.running(clocks), now, office.calendar())
    elif sla.running(clocks):
        waiting = [catalog.tasks[t.task_spec.name] for t in ready if t.task_spec.name in catalog.tasks]
        staff = [info for info in waiting if not info.for_applicant]
        if waiting and not staff and not sla.paused(clocks):
            reason = "Menunggu pemohon: " + ", ".join(info.title for info in waiting)
            names = sla.pause(clocks, now, reason)
            payload = {"clocks": names, "reason": reason}
            writes.events.append(case_event(case, type="sla_paused", actor=actor, at=now, payload=payload))
        elif staff and sla.paused(clocks) and case.suspended_at is None:  # a suspension holds them until it ends
            moved = sla.resume(clocks, now, office.calendar())
            writes.events.append(case_event(case, type="sla_resumed", actor=actor, at=now, payload={"days": moved}))
    if clocks != (case.sla or {}):
        case.sla = clocks


def _element_of(workflow: BpmnWorkflow, task_id: uuid.UUID | None) -> str:
    task = workflow.get_task_from_id(task_id) if task_id else None
    return task.task_spec.name if task is not None else ""


def set_due(
    rows: Sequence[TaskRecord], definition: LoadedDefinition, case: CaseRecord, now: datetime, office: Office
) -> None:
    """Each new staff task's due moment: its own rule, else the earliest running clock."""
    for row in rows:
        info = definition.catalog.tasks[row.element]
        if info.for_applicant:
            continue
        rule = sla.parse_task_due(info.sla_due) if info.sla_due else None
        if rule is None and not sla.running(case.sla or {}):
            continue
        row.due_at = sla.task_due(case.sla or {}, rule, now, office.calendar(), office.completeness_days)


def _plan_notices(
    writes: StepWrites, definition: LoadedDefinition, workflow: BpmnWorkflow, *, done: uuid.UUID | None, now: datetime
) -> None:
    """Tell the roles named by the elements this step passed (escalations), in the step's transaction."""
    declared = definition.catalog.notices
    starts = ([done] if done else []) + writes.fired_timers
    if not declared or not starts:
        return
    passed = [p for start in starts for p in passed_elements(workflow, start, declared)]
    if not passed:
        return

    case = writes.case
    names = {p.element: _bpmn_name(workflow, p.task_id) for p in passed}

    writes.notices += [
        notices.Notice(
            at=now,
            kind="eskalasi",
            text=f"{names[item.element]} ({case.number})",
            case_id=case.id,
            roles=tuple(declared[item.element]),
        )
        for item in passed
    ]


def _bpmn_name(workflow: BpmnWorkflow, task_id: uuid.UUID) -> str:
    task = workflow.get_task_from_id(task_id)
    return (task.task_spec.bpmn_name or task.task_spec.name) if task is not None else ""


def _plan_letters(
    writes: StepWrites,
    definition: LoadedDefinition,
    workflow: BpmnWorkflow,
    *,
    done: uuid.UUID | None,
    actor: str,
    now: datetime,
    office: Office,
) -> None:
    """Check the letters of the elements this completion passed and plan their jobs (none: nothing to do).

    A letter's rule broken by the step's data (service hours, R13) refuses the step here, before
    anything is written; `save` numbers the letters and writes their jobs (engine.letters.outbox).
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
        check_letters(office.session, letters, now, office.calendar)
        check_signatories(office.session, letters, local_date(now))
        writes.letters.append(outbox.PlannedLetters(letters, actor=actor, now=now, definition_id=definition.id))


def save(session: Session, writes: StepWrites, *, new_case: dict[str, Any] | None = None) -> None:
    """Write a computed step in the caller's write transaction: its rows and events, the jobs of the
    letters it calls for (numbered now, rendered after the commit) and its notices.

    :raises ConcurrentUpdate: the case changed since the step read it; nothing is written.
    """
    save_step(session, writes, new_case=new_case)
    for planned in writes.letters:
        outbox.reserve(session, writes.case, planned)
    for notice in writes.notices:
        notices.store(session, notice)
    if writes.follow_up is not None:
        session.add(
            FollowUp(source_case_id=writes.case.id, due_on=writes.follow_up, scheduled_at=writes.case.updated_at)
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


def inbox_row(
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
        state=TaskStatus.READY,
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
