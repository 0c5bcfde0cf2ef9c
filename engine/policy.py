"""Who may work which task: lanes map to roles; the Pemohon lane belongs to the case's applicant."""

from __future__ import annotations

from engine.actors import Actor
from engine.errors import NotInLane, PermissionDenied
from engine.persistence.case_store import CaseRecord, TaskRecord
from engine.roles import STAFF_LANE_ROLES


def pad_roles(roles: tuple[str, ...] | list[str]) -> str:
    """Store roles as ' a b ', so that `LIKE '% a %'` finds whole role names; only staff roles are kept.

    Deploy refuses a lane map naming any other role; this holds for versions deployed before it did.
    """
    kept = sorted(r for r in roles if r in STAFF_LANE_ROLES)
    return " " + " ".join(kept) + " " if kept else " "


def task_roles(task: TaskRecord) -> set[str]:
    """The staff roles stored on a task row (a row written before deploy checked lane maps keeps no other)."""
    return set(task.candidate_roles.split()) & STAFF_LANE_ROLES


def lane_roles_of(actor: Actor) -> list[str]:
    """The actor's roles that may work a staff lane, sorted: what inbox queries match task rows by."""
    return sorted(actor.roles & STAFF_LANE_ROLES)


def may_work(actor: Actor, task: TaskRecord, case: CaseRecord) -> bool:
    """True when `actor` may complete `task` (claims aside)."""
    if actor.user_id is None:
        return False
    if task.for_applicant and case.acting_user_id == actor.user_id:
        return True
    return bool(task_roles(task) & actor.roles)


def ensure_may_work(actor: Actor, task: TaskRecord, case: CaseRecord, *, lane: str, covering: bool = False) -> None:
    """Raise unless `actor` may complete `task` (in `lane`) now.

    `covering`: the task is claimed by someone away whose substitute `actor` is (engine.services.substitutes);
    the lane still has to be the actor's own.
    """
    if not may_work(actor, task, case):
        if task.for_applicant:
            raise NotInLane("Tugas ini hanya dapat dikerjakan oleh pemohon kasus ini.")
        raise NotInLane(f"Tugas ini milik lajur {lane!r}; peran Anda tidak mengerjakannya.")
    if task.claimed_by_id is not None and task.claimed_by_id != actor.user_id and not covering:
        raise PermissionDenied("Tugas ini sedang diambil oleh pengguna lain.")
