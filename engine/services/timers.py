"""Firing due timers: each firing is one step of its case, with its own event, in one transaction.

The timer table holds every timer a case waits on, with its due moment, so due timers are found
without loading a workflow. `fire_next` claims the earliest due row (on PostgreSQL with
SELECT ... FOR UPDATE SKIP LOCKED, so two workers never take one row), fires every timer of that
case that is due at that moment, and deletes their rows in the same transaction. Should two workers
reach one case through two rows, the case's version counter lets one of them apply it; the other
rolls back and finds nothing left to do. So a timer fires exactly once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import runtime
from engine.context import EngineContext
from engine.errors import ConcurrentUpdate
from engine.events import case_event
from engine.persistence.case_store import StepWrites, load_case_step, save_step
from engine.persistence.models import Timer
from engine.services.steps import OPEN, keep_workflow, load_workflow, office, open_record, record_step, snapshot

log = logging.getLogger("mediasi.timers")

TIMER_FIRED = "timer_fired"
SYSTEM_ACTOR = "sistem:penjadwal"  # who the audit trail names for a timer's step


@dataclass(frozen=True)
class Fired:
    """What one call of `fire_next` did."""

    case_number: str
    elements: tuple[str, ...]  # the timers that fired (empty: the row was stale and is gone)


def fire_due(ctx: EngineContext, *, limit: int = 100) -> list[Fired]:
    """Fire timers due now, one case step each, until none is due (at most `limit` steps)."""
    done: list[Fired] = []
    for _ in range(limit):
        try:
            fired = fire_next(ctx)
        except ConcurrentUpdate:
            continue  # someone moved the case meanwhile: its row is still there, look again
        if fired is None:
            break
        done.append(fired)
    return done


def fire_next(ctx: EngineContext) -> Fired | None:
    """Fire the earliest due timer's case; None when no timer is due (or it would not fire)."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        session = uow.session
        row = session.execute(
            select(Timer.case_id, Timer.task_id)
            .where(Timer.due_at < now)  # SpiffWorkflow fires a timer once its moment has passed
            .order_by(Timer.due_at, Timer.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        case, state, stamp = load_case_step(session, row.case_id)
        if case.status != OPEN or state is None:
            _forget(session, [row.task_id])
            return Fired(case.number, ())
        definition = ctx.definitions.get(session, case.definition_id)
        workflow = load_workflow(ctx, case, definition, state)
        open_record(session, case)
        before = snapshot(workflow)
        if row.task_id not in before.timers:  # the case stopped waiting on it without saying so
            _forget(session, [row.task_id])
            return Fired(case.number, ())
        the_office = office(ctx, session, stamp)
        with runtime.at(now, the_office.calendar):
            runtime.fire_timers(workflow)
        fired = [i for i in before.timers if _ran(workflow, i)]
        if not fired:  # the row disagrees with the saved workflow's due moment: leave both as they are
            log.warning("timer %s pada kasus %s belum jatuh tempo menurut alurnya", row.task_id, case.number)
            return None
        writes = StepWrites(case=case, read_version=case.version, fired_timers=fired)
        for task_id in fired:
            element, due = before.timers[task_id]
            writes.events.append(
                case_event(
                    case,
                    type=TIMER_FIRED,
                    actor=SYSTEM_ACTOR,
                    at=now,
                    payload={"due": due.isoformat()},
                    task_id=task_id,
                    element=element,
                )
            )
        record_step(writes, definition, workflow, before=before, actor=SYSTEM_ACTOR, now=now, office=the_office)
        save_step(session, writes)
    keep_workflow(ctx, case, workflow)
    return Fired(case.number, tuple(before.timers[i][0] for i in fired))


def next_due(ctx: EngineContext) -> datetime | None:
    """The earliest due moment of any timer (None: no timer waits)."""
    with ctx.unit_of_work(write=False) as uow:
        return uow.session.scalar(select(Timer.due_at).order_by(Timer.due_at).limit(1))


def _ran(workflow: BpmnWorkflow, task_id: uuid.UUID) -> bool:
    task = workflow.get_task_from_id(task_id)
    return task is not None and task.state == TaskState.COMPLETED


def _forget(session: Session, task_ids: list[uuid.UUID]) -> None:
    session.execute(delete(Timer).where(Timer.task_id.in_(task_ids)))
