"""Firing due timers: each firing is one step of its case, with its own event, in one transaction.

The timer table holds every timer a case waits on, with its due moment, so due timers are found
without loading a workflow. `fire_next` picks the earliest due row and computes the step (every
timer of that case due at that moment) in a read transaction, so its scripts never hold the write
lock; the write transaction locks the row again (on PostgreSQL with SELECT ... FOR UPDATE SKIP
LOCKED, so two workers never both write it) and saves the step, deleting the rows it fired. Should
two workers reach one case through two rows, the case's version counter lets one of them apply it;
the other rolls back and finds nothing left to do. So a timer fires exactly once.

A step that fails (a script after the timer raises or passes its limits: ProcessFailed) is rolled
back, so the case stays as it was; a short transaction of its own then puts the case's due rows off
(`attempts` + 1, `retry_at` after a back-off of 1, 2, 4, 8 ... minutes, at most an hour) and opens or
updates an incident (engine.services.incidents). Due rows are looked up in two index ranges, rows
never tried by `due_at` and rows put off by `retry_at`, so a failing timer neither blocks the
scheduler nor is scanned while it waits. The step that finally fires it resolves its incident.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from engine import casework, runtime
from engine.actors import SYSTEM_PREFIX
from engine.context import EngineContext
from engine.errors import ConcurrentUpdate, ProcessFailed
from engine.persistence.models import Timer
from engine.services import incidents
from engine.status import CaseStatus

log = logging.getLogger("mediasi.timers")

TIMER_FIRED = "timer_fired"
SYSTEM_ACTOR = f"{SYSTEM_PREFIX}penjadwal"  # who the audit trail names for a timer's step
MAX_BACK_OFF = timedelta(hours=1)
Claim = Row[uuid.UUID, uuid.UUID, str, int]  # a claimed timer row: case_id, task_id, element, attempts


@dataclass(frozen=True)
class Fired:
    """What one call of `fire_next` did."""

    case_number: str
    elements: tuple[str, ...]  # the timers that fired (empty: the row was stale and is gone, or the step failed)
    error: str | None = None  # why the step failed (its rows are put off and an incident records it)


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


def fire_next(ctx: EngineContext, *, case_id: uuid.UUID | None = None, by: str = SYSTEM_ACTOR) -> Fired | None:
    """Fire the earliest due timer's case (only `case_id`'s, when given); None when no timer is due.

    A failed step comes back as a `Fired` with its error, its rows put off and its incident recorded;
    `by` is who resolves the incidents of a step that succeeds (the scheduler, or whoever retried).
    """
    now = ctx.clock.now()
    try:
        return _fire(ctx, now, case_id, by)
    except _StepFailed as failed:
        error = failed.error.message
        if _put_off(ctx, failed.claim, error, now):
            log.warning("timer %s pada kasus %s gagal: %s", failed.claim.element, failed.case_number, error)
        return Fired(failed.case_number, (), error)


def next_due(ctx: EngineContext) -> datetime | None:
    """The earliest moment a timer may fire: its due moment, or its retry after a failure (None: none waits)."""
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        fresh = session.scalar(select(Timer.due_at).where(Timer.retry_at.is_(None)).order_by(Timer.due_at).limit(1))
        again = session.scalar(
            select(Timer.retry_at).where(Timer.retry_at.is_not(None)).order_by(Timer.retry_at).limit(1)
        )
    return min((m for m in (fresh, again) if m is not None), default=None)


def back_off(attempts: int) -> timedelta:
    """How long a timer waits after its `attempts`-th failed step: 1, 2, 4, 8 ... minutes, at most an hour."""
    return min(timedelta(minutes=2 ** min(attempts - 1, 6)), MAX_BACK_OFF)


class _StepFailed(Exception):
    """A timer step failed; raised through the step's transaction so that it rolls back."""

    def __init__(self, claim: Claim, case_number: str, error: ProcessFailed) -> None:
        super().__init__(error.message)
        self.claim, self.case_number, self.error = claim, case_number, error


@dataclass
class _Planned:
    """A timer step computed in a read transaction, waiting to be written: `step` None means a stale row."""

    claim: Claim
    case_number: str
    step: casework.CaseStep | None = None
    elements: tuple[str, ...] = ()


def _fire(ctx: EngineContext, now: datetime, case_id: uuid.UUID | None, by: str) -> Fired | None:
    # The step computes in a read transaction (its scripts may run up to their limits); the write
    # lock is taken only to write it, after checking that its row is still there and unclaimed.
    with ctx.unit_of_work(write=False) as uow:
        planned = _plan(ctx, uow.session, now, case_id, by)
    if planned is None:
        return None
    with ctx.unit_of_work() as uow:
        session = uow.session
        if not _still_claimable(session, planned.claim):
            return None  # another worker fired or put off this row meanwhile
        if planned.step is None:
            _forget(session, [planned.claim.task_id])
            return Fired(planned.case_number, ())
        casework.commit(session, planned.step)
    casework.keep(ctx, planned.step)
    return Fired(planned.case_number, planned.elements)


def _plan(ctx: EngineContext, session: Session, now: datetime, case_id: uuid.UUID | None, by: str) -> _Planned | None:
    row = _claim(session, now, case_id)
    if row is None:
        return None
    step = casework.open_case(ctx, session, row.case_id, actor=SYSTEM_ACTOR, now=now)
    if step.case.status != CaseStatus.OPEN or step.state is None:
        return _Planned(row, step.case.number)
    step.begin()
    before = step.before
    if row.task_id not in before.timers:  # the case stopped waiting on it without saying so
        return _Planned(row, step.case.number)
    try:
        step.run(runtime.fire_timers)
    except ProcessFailed as error:
        raise _StepFailed(row, step.case.number, error) from error
    assert step.workflow is not None
    fired = [i for i in before.timers if _ran(step.workflow, i)]
    if not fired:  # the row disagrees with the saved workflow's due moment: leave both as they are
        log.warning("timer %s pada kasus %s belum jatuh tempo menurut alurnya", row.task_id, step.case.number)
        return None
    step.writes.fired_timers = fired
    for task_id in fired:
        element, due = before.timers[task_id]
        step.event(TIMER_FIRED, {"due": due.isoformat()}, task_id=task_id, element=element)
    step.record()
    elements = tuple(before.timers[i][0] for i in fired)
    step.resolve(elements, by)
    return _Planned(row, step.case.number, step, elements)


def _still_claimable(session: Session, claim: Claim) -> bool:
    """Lock the planned row again (SKIP LOCKED on PostgreSQL): False if it is gone, retried or taken."""
    query = select(Timer.task_id).where(Timer.task_id == claim.task_id, Timer.attempts == claim.attempts)
    return session.execute(query.with_for_update(skip_locked=True)).first() is not None


def _claim(session: Session, now: datetime, case_id: uuid.UUID | None) -> Claim | None:
    """The earliest due row, locked: first those never tried, then those whose back-off has passed."""
    columns = select(Timer.case_id, Timer.task_id, Timer.element, Timer.attempts)
    never_tried = columns.where(Timer.due_at < now, Timer.retry_at.is_(None)).order_by(Timer.due_at, Timer.id)
    tried_again = columns.where(Timer.retry_at <= now).order_by(Timer.retry_at, Timer.id)
    for query in (never_tried, tried_again):
        if case_id is not None:
            query = query.where(Timer.case_id == case_id)
        row = session.execute(query.limit(1).with_for_update(skip_locked=True)).first()
        if row is not None:
            return row
    return None


def _put_off(ctx: EngineContext, claim: Claim, error: str, now: datetime) -> bool:
    """After a failed step: put the case's due rows off and record the incident, in one short transaction.

    False, recording nothing, when the claimed row moved meanwhile (another worker failed the same
    step first, or the case went on): one failure counts once.
    """
    attempts = claim.attempts + 1
    with ctx.unit_of_work() as uow:
        session = uow.session
        claimed = session.execute(
            update(Timer)
            .where(Timer.task_id == claim.task_id, Timer.attempts == claim.attempts)
            .values(attempts=attempts, retry_at=now + back_off(attempts))
        )
        if not getattr(claimed, "rowcount", 0):
            return False
        session.execute(  # the case's other due timers were in the failed step too
            update(Timer)
            .where(Timer.case_id == claim.case_id, Timer.task_id != claim.task_id, Timer.due_at < now)
            .values(attempts=attempts, retry_at=now + back_off(attempts))
        )
        incidents.note_failure(
            session, case_id=claim.case_id, element=claim.element, kind=incidents.TIMER, error=error, now=now
        )
    return True


def _ran(workflow: BpmnWorkflow, task_id: uuid.UUID) -> bool:
    task = workflow.get_task_from_id(task_id)
    return task is not None and task.state == TaskState.COMPLETED


def _forget(session: Session, task_ids: list[uuid.UUID]) -> None:
    session.execute(delete(Timer).where(Timer.task_id.in_(task_ids)))
