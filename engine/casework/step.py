"""One step of one case: the object every use case that moves a case goes through.

A step opens its case (and its task) with the version counter it read, restores the workflow, runs
the engine (scripts and conditions in the sandbox's worker, within its limits), and gathers what
changed in a `StepWrites`, its events sealed once, in their final order. All of that happens in a
read transaction. `commit` then writes the step in one short write transaction, which the case's
version counter refuses (ConcurrentUpdate) if the case moved meanwhile; `perform` computes the step
again when that happens, up to ATTEMPTS times, and keeps the workflow for the case's next step once
the commit is through.

    def withdraw(session):
        step = open_case(ctx, session, case_id, actor=name, now=now)
        step.begin()
        step.run(lambda workflow: runtime.send_signal(workflow, ...))
        step.event("case_withdrawn", {"reason": reason})
        step.record()
        return step

    view = perform(ctx, withdraw).view
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import runtime
from engine.casework.record import (
    Before,
    Office,
    complete_and_record,
    keep_workflow,
    load_workflow,
    open_record,
    record_step,
    save,
    snapshot,
)
from engine.casework.views import CaseSla, CaseView, SlaJudge
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import ConcurrentUpdate
from engine.events import case_event
from engine.persistence.case_store import (
    TASKS,
    CaseRecord,
    NewEvent,
    StepWrites,
    TaskRecord,
    append_case_events,
    load_case_for_update,
    load_case_step,
    load_task_step,
)
from engine.status import CaseStatus

ATTEMPTS = 3  # how often a step refused as stale (the case moved since it was read) is computed again
T = TypeVar("T")


@dataclass(eq=False)
class CaseStep:
    """A case as one step read it, the workflow it runs, and everything it will write."""

    ctx: EngineContext
    case: CaseRecord
    definition: LoadedDefinition
    office: Office
    actor: str
    now: datetime
    state: bytes | None = None  # the saved workflow, as read with the case (None: ended, or new)
    task: TaskRecord | None = None  # the task the step works, when it works one
    new: bool = False  # a case this step starts
    writes: StepWrites = field(init=False)
    before: Before = field(default_factory=Before)
    workflow: BpmnWorkflow | None = None  # kept for the case's next step after the commit (None: nothing to keep)
    view: CaseView | None = None  # the case as it is once the step commits

    def __post_init__(self) -> None:
        self.writes = StepWrites(case=self.case, read_version=None if self.new else self.case.version)

    def begin(self, workflow: BpmnWorkflow | None = None) -> BpmnWorkflow:
        """Restore the running case's workflow (or take `workflow`), its screening record and what it
        waits on before the step; Conflict when the case has ended."""
        self.workflow = workflow if workflow is not None else self.load()
        open_record(self.office.session, self.case)
        self.before = snapshot(self.workflow)
        return self.workflow

    def load(self) -> BpmnWorkflow:
        """The running case's workflow, without taking a snapshot (Conflict when the case has ended)."""
        return load_workflow(self.ctx, self.case, self.definition, self.state)

    def run(self, action: Callable[[BpmnWorkflow], T]) -> T:
        """Run the engine on the step's workflow at the step's moment, on the office's calendar."""
        assert self.workflow is not None, "begin() first"
        with runtime.at(self.now, self.office.calendar):
            return action(self.workflow)

    def event(
        self,
        type: str,
        payload: Any = None,
        *,
        task_id: uuid.UUID | None = None,
        element: str | None = None,
        actor: str | None = None,
    ) -> NewEvent:
        """Add an event to the case's chain, sealed now, after the step's earlier events."""
        event = case_event(
            self.case,
            type=type,
            actor=actor or self.actor,
            at=self.now,
            payload=payload,
            task_id=task_id,
            element=element,
        )
        self.writes.events.append(event)
        return event

    def record(self, *, done: uuid.UUID | None = None, cancelled: bool = False, outcome: str | None = None) -> CaseView:
        """Turn what the engine did into rows, events, timers, clocks, letters and notices.

        `cancelled`: the step ended the workflow where it stood, with `outcome` (None: filed in error).
        """
        assert self.workflow is not None, "begin() first"
        self.view = record_step(
            self.writes,
            self.definition,
            self.workflow,
            before=self.before,
            actor=self.actor,
            now=self.now,
            office=self.office,
            done=done,
            cancelled=cancelled,
            outcome=outcome,
        )
        return self.view

    def complete(
        self, task_id: uuid.UUID, element: str, data: Mapping[str, Any], *, actor: str, actor_id: int | None
    ) -> CaseView:
        """Complete a user task with `data`, submitted by `actor`, and record the step."""
        assert self.workflow is not None, "begin() first"
        self.view = complete_and_record(
            self.writes,
            self.definition,
            self.workflow,
            task_id,
            element,
            data,
            actor=actor,
            actor_id=actor_id,
            now=self.now,
            office=self.office,
            before=self.before,
        )
        return self.view

    def resolve(self, elements: Iterable[str], by: str | None = None) -> None:
        """Resolve the case's open incidents at `elements` when the step commits (it succeeded there)."""
        wanted = frozenset(elements)
        if wanted:
            self.writes.settled.append((wanted, by or self.actor))


def open_case(ctx: EngineContext, session: Session, case_id: uuid.UUID, *, actor: str, now: datetime) -> CaseStep:
    """A step of the case `case_id`, as `session` reads it now."""
    case, state, stamp = load_case_step(session, case_id)
    definition = ctx.definitions.get(session, case.definition_id)
    return CaseStep(ctx, case, definition, Office(ctx, session, stamp), actor, now, state)


def open_task(ctx: EngineContext, session: Session, task_id: uuid.UUID, *, actor: str, now: datetime) -> CaseStep:
    """A step that works the task `task_id`, with its case, as `session` reads them now (NotFound: no task)."""
    found = load_task_step(session, task_id)
    definition = ctx.definitions.get(session, found.case.definition_id)
    office = Office(ctx, session, found.calendar_stamp)
    return CaseStep(ctx, found.case, definition, office, actor, now, found.state, found.task)


def start(
    ctx: EngineContext, session: Session, case: CaseRecord, definition: LoadedDefinition, *, actor: str, now: datetime
) -> CaseStep:
    """The step that starts `case` (not yet in the database)."""
    return CaseStep(ctx, case, definition, Office(ctx, session), actor, now, new=True)


def commit(session: Session, step: CaseStep, *, new_case: dict[str, Any] | None = None) -> None:
    """Write the computed step in `session`'s write transaction.

    :raises ConcurrentUpdate: the case moved since the step read it; nothing is written.
    """
    step.office.session = session  # the calendar, if still to be read, is read in the open session
    save(session, step.writes, new_case=new_case)


def judge(step: CaseStep) -> None:
    """Give the step's answer its due moment and service-level clocks, judged at the step's moment, so
    that the API answers with the case as GET /cases/{id} shows it once the step commits, without
    reading the case again afterwards. Only the due moments of tasks that were ready before the step
    are read (in the step's own session); those of the tasks it opens are its own.
    """
    view, case = step.view, step.case
    if view is None:
        return
    judging = SlaJudge(step.now, step.office.calendar)
    sla = CaseSla()
    if case.status == CaseStatus.OPEN:
        opened = {row.id: row.due_at for row in step.writes.new_tasks}
        due = [at for t in view.tasks if (at := opened.get(t.id)) is not None]
        earlier = [t.id for t in view.tasks if t.id not in opened]
        if earlier:
            query = select(TASKS.c.due_at).where(TASKS.c.id.in_(earlier), TASKS.c.due_at.is_not(None))
            due += step.office.session.scalars(query).all()
        sla = judging.case(case.sla, min(due, default=None), case.suspended_at)
    step.view = replace(view, sla=sla, clocks=judging.clocks(case.sla))


def keep(ctx: EngineContext, step: CaseStep) -> None:
    """After the commit: remember a running case's workflow for its next step on this server."""
    if step.workflow is not None:
        keep_workflow(ctx, step.case, step.workflow)


def perform(ctx: EngineContext, compute: Callable[[Session], CaseStep], *, attempts: int = ATTEMPTS) -> CaseStep:
    """Compute a step in a read transaction and commit it in a write transaction; a step refused as
    stale is computed again from a fresh read, up to `attempts` times.

    `compute` must depend on nothing but what it reads: it may run more than once.

    :raises ConcurrentUpdate: the case still moved after the last attempt.
    """
    for attempt in range(1, attempts + 1):
        with ctx.unit_of_work(write=False) as uow:
            step = compute(uow.session)
            judge(step)
        try:
            with ctx.unit_of_work() as uow:
                commit(uow.session, step)
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
            continue
        keep(ctx, step)
        return step
    raise AssertionError("attempts must be at least 1")


def append_events(
    session: Session, case_id: uuid.UUID, build: Callable[[CaseRecord], list[NewEvent]]
) -> tuple[int, int]:
    """Append events to a case's chain outside any engine step (a letter rendered after its step),
    holding the case's row; returns the case's version before and after.

    `build` seals the events against the case as locked, so they follow whatever committed before.
    """
    case = load_case_for_update(session, case_id)
    read_version = case.version
    append_case_events(session, case, read_version, build(case))
    return read_version, case.version
