"""A supervisor releases or reassigns a task someone claimed (and is away, or stuck), with a reason.

The Ketua LP-PAR may do so for the claimed staff tasks of the cases she may read; an administrator
for any claimed staff task (the task's title and case number, never the case's content). A task of
the Pemohon lane is never released or reassigned by anyone but its applicant: its claim binds no
one else. Each change is an event on the case's chain, written like a claim (engine.services.tasks):
`task_released` with {reason, from, by_supervisor: true}, `task_reassigned` with {reason, from, to}.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import casework
from engine.access import readable_cases
from engine.actors import Actor
from engine.bpmn.catalog import Catalog
from engine.casework.record import usernames
from engine.casework.step import CaseStep
from engine.casework.views import TaskView, task_view
from engine.context import EngineContext
from engine.errors import Conflict, FormInvalid, NotFound, PermissionDenied
from engine.persistence.case_store import CALENDAR_STAMP, CaseRecord, TaskRecord, load_task_step
from engine.persistence.models import Case, CaseTask, RoleMembership, User
from engine.policy import may_work, task_roles
from engine.roles import Role
from engine.services.queries import sla_judge
from engine.services.substitutes import Person
from engine.services.tasks import _require_ready, task_views
from engine.status import TaskStatus

MAX_REASON = 500
SUPERVISORS = (Role.KETUA_LPPAR, Role.ADMIN)
MAX_LISTED = 200  # claimed tasks one list shows


@dataclass(frozen=True)
class ClaimedTask:
    """A claimed task as a supervisor decides on it: the task, and who may take it over."""

    task: TaskView
    workers: tuple[Person, ...]  # active accounts that may work its lane, its claimant left out


def is_supervisor(actor: Actor) -> bool:
    """Whether `actor` may release or reassign tasks other people claimed."""
    return actor.user_id is not None and actor.has_any(*SUPERVISORS)


def release_claim(ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID, reason: str) -> TaskView:
    """Give a task someone claimed back to its lane, as a supervisor, with a reason.

    :raises PermissionDenied, NotFound, TaskNotReady, Conflict, FormInvalid:
    """
    return _supervise(ctx, actor, task_id, reason, None)


def reassign_task(ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID, to: str, reason: str) -> TaskView:
    """Hand a task someone claimed to `to`, who may work its lane, as a supervisor, with a reason.

    The task is then claimed by `to`: it stands in their inbox as theirs.

    :raises PermissionDenied, NotFound, TaskNotReady, Conflict, FormInvalid:
    """
    name = to.strip()
    if not name:
        _require_supervisor(actor)
        _check_reason(reason)
        raise FormInvalid({"to": "Pilih pengguna yang menerima tugas ini."})
    return _supervise(ctx, actor, task_id, reason, name)


def claimed_task(ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID) -> ClaimedTask:
    """A claimed task a supervisor may release or reassign, with the people who may take it over."""
    _require_supervisor(actor)
    with ctx.unit_of_work(write=False) as uow:
        found = load_task_step(uow.session, task_id)
        task, case = found.task, found.case
        catalog = ctx.definitions.get(uow.session, case.definition_id).catalog
        _in_scope(uow.session, actor, task, case, catalog)
        names = usernames(uow.session, {task.claimed_by_id})
        due = sla_judge(ctx, uow.session, found.calendar_stamp).state(task.due_at, case.suspended_at)
        view = task_view(catalog, task, case.number, names.get(task.claimed_by_id or -1), due)
        return ClaimedTask(view, _workers(uow.session, task))


def claimed_tasks(ctx: EngineContext, *, actor: Actor) -> list[TaskView]:
    """The ready staff tasks someone claimed that `actor` may release or reassign, longest claimed first."""
    _require_supervisor(actor)
    query = (
        select(CaseTask, Case.number, Case.definition_id, Case.suspended_at, *CALENDAR_STAMP)
        .join(Case, Case.id == CaseTask.case_id)
        .where(CaseTask.state == TaskStatus.READY, CaseTask.claimed_by_id.is_not(None))
        .where(CaseTask.for_applicant.is_(False))
        .order_by(CaseTask.created_at, CaseTask.id)
        .limit(MAX_LISTED)
    )
    if not actor.has_any(Role.ADMIN):
        query = query.where(readable_cases(actor))
    with ctx.unit_of_work(write=False) as uow:
        return task_views(ctx, uow.session, uow.session.execute(query).all())


def _supervise(ctx: EngineContext, actor: Actor, task_id: uuid.UUID, reason: str, to: str | None) -> TaskView:
    _require_supervisor(actor)
    text = _check_reason(reason)
    with ctx.unit_of_work() as uow:
        step = casework.open_task(ctx, uow.session, task_id, actor=actor.username, now=ctx.clock.now())
        task, case = step.task, step.case
        assert task is not None
        _in_scope(uow.session, actor, task, case, step.definition.catalog)
        claimant = usernames(uow.session, {task.claimed_by_id})[task.claimed_by_id or -1]
        target = _target(uow.session, step, to, claimant) if to is not None else None
        task.claimed_by_id = target.user_id if target is not None else None
        # The event goes on the case chain, so the case row (and its version) moves too.
        case.updated_at = step.now
        step.writes.claim = (task.id, task.claimed_by_id)
        if target is None:
            payload: dict[str, object] = {"reason": text, "from": claimant, "by_supervisor": True}
            step.event("task_released", payload, task_id=task.id, element=task.element)
        else:
            payload = {"reason": text, "from": claimant, "to": target.username}
            step.event("task_reassigned", payload, task_id=task.id, element=task.element)
        casework.commit(uow.session, step)
        return task_view(step.definition.catalog, task, case.number, target.username if target else None)


def _require_supervisor(actor: Actor) -> None:
    if not is_supervisor(actor):
        raise PermissionDenied(
            "Hanya Ketua LP-PAR atau administrator yang dapat melepas atau mengalihkan tugas yang diambil orang lain."
        )


def _check_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise FormInvalid({"reason": "Alasan wajib diisi."})
    if len(text) > MAX_REASON:
        raise FormInvalid({"reason": f"Alasan paling panjang {MAX_REASON} karakter."})
    return text


def _in_scope(session: Session, actor: Actor, task: TaskRecord, case: CaseRecord, catalog: Catalog) -> None:
    """Raise unless `actor` supervises `task` and someone has claimed it while it is ready.

    :raises NotFound: a Ketua outside the case's need-to-know. :raises PermissionDenied: the Pemohon lane.
    :raises TaskNotReady, Conflict:
    """
    if not actor.has_any(Role.ADMIN) and not _readable(session, actor, case):
        raise NotFound("Tugas tidak ditemukan.")
    if task.for_applicant:
        raise PermissionDenied(
            "Tugas lajur Pemohon hanya dikerjakan oleh pemohonnya; tugas ini tidak dapat dilepas atau dialihkan."
        )
    _require_ready(task, case, catalog.tasks[task.element], working=False)  # also while the case is suspended
    if task.claimed_by_id is None:
        raise Conflict("Tugas ini tidak sedang diambil siapa pun; tidak ada yang perlu dilepas atau dialihkan.")


def _readable(session: Session, actor: Actor, case: CaseRecord) -> bool:
    return session.scalar(select(Case.id).where(Case.id == case.id, readable_cases(actor))) is not None


def _target(session: Session, step: CaseStep, name: str, claimant: str) -> Actor:
    """The active account `name`, if it may work the step's task (FormInvalid on `to` otherwise)."""
    assert step.task is not None
    user = session.scalar(select(User).where(User.username == name, User.active.is_(True)))
    if user is None:
        raise FormInvalid({"to": f"Pengguna {name!r} tidak ditemukan atau tidak aktif."})
    if user.username == claimant:
        raise FormInvalid({"to": f"Tugas ini sudah diambil oleh {claimant}."})
    target = Actor(username=user.username, roles=user.role_names, user_id=user.id, full_name=user.full_name)
    if not may_work(target, step.task, step.case):
        lane = step.definition.catalog.tasks[step.task.element].lane
        raise FormInvalid({"to": f"{user.full_name} tidak bekerja di lajur {lane!r}; pilih orang dari lajur itu."})
    return target


def _workers(session: Session, task: TaskRecord) -> tuple[Person, ...]:
    """The active accounts holding a role of the task's lane, its claimant left out."""
    holders = select(RoleMembership.user_id).where(RoleMembership.role.in_(sorted(task_roles(task))))
    rows = session.execute(
        select(User.username, User.full_name)
        .where(User.id.in_(holders), User.active.is_(True))
        .where(User.id != (task.claimed_by_id or -1))
        .order_by(User.full_name, User.username)
    ).all()
    return tuple(Person(row.username, row.full_name) for row in rows)
