"""Suspending a case while it waits on a third party ("Tangguhkan"), and resuming it ("Lanjutkan").

The Ketua LP-PAR (of a case they may read) and the administrator (or the operator at the CLI) may do
either. While a case is suspended:

- none of its tasks can be completed, claimed, released or given an upload (`ensure_not_suspended`,
  checked where engine.services.tasks checks that a task is ready), on the web, the API and the CLI;
- its service-level clocks are paused with the suspension's reason, exactly as while the file is with
  the applicant; a step that would resume them for the applicant leaves them paused
  (engine.casework.record), and its due moments stand where they stood when it was suspended;
- its timers (the reminders and escalations of the diagram) wait: their rows leave the timer table,
  so the scheduler does not fire them. On resuming, every pending timer and every ready task's due
  moment moves out by the working days the suspension lasted, and the clocks it paused resume;
- notes, a withdrawal, a safety stop and a cancellation remain possible (a case that ends while
  suspended keeps the record of its last suspension on its row).

Both are events on the case's chain, written with the case's other changes in one transaction:
`case_suspended` {reason, clocks paused} and `case_resumed` {days, timers moved}, each beside the
`sla_paused` / `sla_resumed` event of the clocks it paused or resumed. Replay moves the timers as
`case_resumed` records them (engine.replay).
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import casework, runtime, sla
from engine.actors import Actor
from engine.calendar import OFFICE_ZONE, WorkingCalendar
from engine.casework.step import CaseStep
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.errors import Conflict, FormInvalid, PermissionDenied, TaskNotReady
from engine.letters.dates import long_date
from engine.persistence.case_store import CaseRecord
from engine.persistence.models import CaseTask, Timer
from engine.replay import RESUMED
from engine.roles import Role
from engine.services import queries
from engine.status import CaseStatus, TaskStatus

SUSPENDED = "case_suspended"
MAX_REASON = 500  # cases.suspension_reason
PAUSE_PREFIX = "Ditangguhkan: "  # the clocks' reason while the case is suspended


def may_suspend(actor: Actor) -> bool:
    """Whether `actor` may suspend and resume cases (the Ketua LP-PAR, the administrator, the operator)."""
    return actor.is_operator or actor.has_any(Role.KETUA_LPPAR, Role.ADMIN)


def ensure_not_suspended(case: CaseRecord) -> None:
    """Refuse work on a task of a suspended case (TaskNotReady), saying since when and why."""
    if case.suspended_at is not None:
        raise TaskNotReady(
            f"Kasus {case.number} sedang ditangguhkan sejak {moment_text(case.suspended_at)}: "
            f"{case.suspension_reason}. Lanjutkan kasus dahulu."
        )


def moment_text(moment: datetime) -> str:
    """A moment as an Indonesian message says it: "17 Maret 2026 09.00 WIB"."""
    local = moment.astimezone(OFFICE_ZONE)
    return f"{long_date(local.date())} {local:%H.%M} WIB"


def suspend_case(ctx: EngineContext, *, actor: Actor, case_ref: str | uuid.UUID, reason: str) -> CaseView:
    """Suspend an open case with `reason` (waiting on a third party): its clocks pause and its timers wait.

    :raises PermissionDenied, NotFound, FormInvalid, Conflict (ended, already suspended), ConcurrentUpdate:
    """
    reason = _checked_reason(reason)
    case_id = _case_id(ctx, actor, case_ref)

    def suspend(session: Session) -> CaseStep:
        step = casework.open_case(ctx, session, case_id, actor=actor.username, now=ctx.clock.now())
        case = step.case
        _check_open(case)
        if case.suspended_at is not None:
            raise Conflict(f"Kasus {case.number} sudah ditangguhkan sejak {moment_text(case.suspended_at)}.")
        clocks = copy.deepcopy(case.sla or {})
        paused = sla.pause(clocks, step.now, PAUSE_PREFIX + reason)
        if paused:
            case.sla = clocks
        case.suspended_at, case.suspension_reason, case.updated_at = step.now, reason, step.now
        # The scheduler finds due timers by their rows: a suspended case's timers have none until it resumes.
        step.writes.ended_timers += list(session.scalars(select(Timer.task_id).where(Timer.case_id == case.id)))
        step.event(SUSPENDED, {"reason": reason, "clocks": paused})
        if paused:
            step.event("sla_paused", {"clocks": paused, "reason": PAUSE_PREFIX + reason})
        return step

    casework.perform(ctx, suspend)
    return queries.get_case(ctx, case_id)


def resume_case(ctx: EngineContext, *, actor: Actor, case_ref: str | uuid.UUID) -> CaseView:
    """Resume a suspended case: its timers, its tasks' due moments and the clocks the suspension paused
    move out by the working days it lasted.

    :raises PermissionDenied, NotFound, Conflict (ended, not suspended), ConcurrentUpdate:
    """
    case_id = _case_id(ctx, actor, case_ref)
    with ctx.unit_of_work() as uow:  # the tasks' due moments are written beside the step
        step, days = _resume(ctx, uow.session, case_id, actor)
        casework.commit(uow.session, step)
        _postpone_tasks(uow.session, case_id, days, step.office.calendar())
    casework.keep(ctx, step)
    return queries.get_case(ctx, case_id)


def _resume(ctx: EngineContext, session: Session, case_id: uuid.UUID, actor: Actor) -> tuple[CaseStep, int]:
    """The resuming step, and the working days the suspension lasted."""
    step = casework.open_case(ctx, session, case_id, actor=actor.username, now=ctx.clock.now())
    case = step.case
    _check_open(case)
    since = case.suspended_at
    if since is None:
        raise Conflict(f"Kasus {case.number} tidak sedang ditangguhkan.")
    workflow = step.begin()
    calendar = step.office.calendar()
    days = sla.working_days_held(since, step.now, calendar)
    moved = {i: (element, due, sla.postpone(due, days, calendar)) for i, (element, due) in step.before.timers.items()}
    for task_id, (_, _, later) in moved.items():
        runtime.move_timer(workflow, task_id, later)
    resumed = _resume_clocks(case, step.now, calendar)
    case.suspended_at = case.suspension_reason = None
    timers = [{"element": e, "from": due.isoformat(), "to": later.isoformat()} for e, due, later in moved.values()]
    step.event(RESUMED, {"days": days, "timers": timers})
    if resumed is not None:
        step.event("sla_resumed", {"days": resumed})
    step.record()  # a case still waiting on the applicant alone keeps its clocks paused for the applicant
    # Its timers get their rows back, at their new moments (any row a step wrote meanwhile goes first).
    step.writes.ended_timers += list(moved)
    step.writes.new_timers += [(i, element, later) for i, (element, _, later) in moved.items()]
    return step, days


def _resume_clocks(case: CaseRecord, now: datetime, calendar: WorkingCalendar) -> dict[str, int] | None:
    """Resume the clocks the suspension paused (None: it paused none; a pause for the applicant goes on)."""
    clocks = copy.deepcopy(case.sla or {})
    paused_by_it = [n for n in sla.running(clocks) if str(clocks[n].get("reason", "")).startswith(PAUSE_PREFIX)]
    if not paused_by_it:
        return None
    moved = sla.resume(clocks, now, calendar)
    case.sla = clocks
    return moved


def _postpone_tasks(session: Session, case_id: uuid.UUID, days: int, calendar: WorkingCalendar) -> None:
    """Move the due moments of the case's waiting tasks out by `days` working days."""
    if days <= 0:
        return
    rows = session.execute(
        select(CaseTask.id, CaseTask.due_at).where(
            CaseTask.case_id == case_id,
            CaseTask.state.in_((TaskStatus.READY, TaskStatus.HELD)),
            CaseTask.due_at.is_not(None),
        )
    ).all()
    for row in rows:
        later = sla.postpone(row.due_at, days, calendar)
        session.execute(update(CaseTask).where(CaseTask.id == row.id).values(due_at=later))


def _checked_reason(reason: str) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > MAX_REASON:
        raise FormInvalid({"reason": f"Alasan penangguhan wajib diisi (maksimal {MAX_REASON} karakter)."})
    return text


def _check_open(case: CaseRecord) -> None:
    if case.status != CaseStatus.OPEN:
        raise Conflict(
            f"Kasus {case.number} sudah selesai; kasus yang selesai tidak dapat ditangguhkan atau dilanjutkan."
        )


def _case_id(ctx: EngineContext, actor: Actor, case_ref: str | uuid.UUID) -> uuid.UUID:
    """The case, if `actor` may suspend it: a Ketua LP-PAR one they may read; the administrator any."""
    if not may_suspend(actor):
        raise PermissionDenied("Hanya Ketua LP-PAR atau administrator yang dapat menangguhkan atau melanjutkan kasus.")
    reader = None if actor.is_operator or actor.has_any(Role.ADMIN) else actor
    with ctx.unit_of_work(write=False) as uow:
        return queries.find_case(uow.session, case_ref, reader).id
