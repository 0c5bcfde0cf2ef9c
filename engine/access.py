"""Who may read which case: need-to-know, the same rule for the web pages and the API.

- pemohon: the cases it applied for; fulltimer: the cases it filed, and the complaints where its
  role has or had a task (a complaint names a mediation case by number only; that case stays closed);
- ketua_lppar, tim_teknis, sekretaris, kepala_dinas: the cases where its role has or had a task;
- auditor: every case, read-only; dpo, process_owner, admin: no case content.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, false, literal, or_, select

from engine.actors import Actor
from engine.persistence.models import Case, CaseTask
from engine.roles import Role

STAFF_ROLES = (Role.KETUA_LPPAR, Role.TIM_TEKNIS, Role.SEKRETARIS, Role.KEPALA_DINAS)
# Roles that read a case through a task of theirs in it. The fulltimer is not staff (it sees no
# third-party letters or staff uploads), but it handles complaints in its own lane.
TASK_ROLES = (*STAFF_ROLES, Role.FULLTIMER)


def readable_cases(actor: Actor) -> Any:
    """A SQL condition on `Case` that holds for the cases `actor` may read."""
    if actor.user_id is None:
        return false()
    if actor.has_any(Role.AUDITOR):
        return Case.id.is_not(None)
    conditions = []
    if actor.has_any(Role.PEMOHON):
        conditions.append(Case.applicant_user_id == actor.user_id)
    if actor.has_any(Role.FULLTIMER):
        conditions.append(Case.filed_by_id == actor.user_id)
    lanes = [role for role in TASK_ROLES if actor.has_any(role)]
    if lanes:
        # The patterns are written into the SQL (role names, a closed set): a plan PostgreSQL caches
        # for a bound pattern cannot know how many rows it matches, and may then scan case_task once
        # per case.
        worked = or_(*(CaseTask.candidate_roles.like(literal(f"% {role} %", literal_execute=True)) for role in lanes))
        conditions.append(exists(select(CaseTask.id).where(CaseTask.case_id == Case.id, worked)))
    return or_(*conditions) if conditions else false()
