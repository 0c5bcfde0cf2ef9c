"""Reads of victims' data, kept in the access chain (UU 27/2022: specific personal data).

A read is logged in its own short transaction on the shared "access" chain, never inside a
case's completion, so reads and completions do not contend for the same rows. The caller logs a
read after it has been authorised and before it hands any data out: if the log cannot be written,
nothing is shown.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import PermissionDenied
from engine.events import ACCESS_CHAIN, append_chain_event
from engine.persistence.models import Event, EventPayload
from engine.roles import Role
from engine.services.queries import Page, check_paging, find_case

CASE_READ = "case_read"
TASK_READ = "task_read"
DOCUMENT_READ = "document_read"
EVIDENCE_EXPORTED = "evidence_exported"
READ_TYPES = (CASE_READ, TASK_READ, DOCUMENT_READ, EVIDENCE_EXPORTED)
# Exports that span cases: no one case is their subject.
STATISTICS_EXPORTED = "statistics_exported"
EXPORT_TYPES = (STATISTICS_EXPORTED,)

# Who may see who read a case: an access log is about people's behaviour, not case content.
ACCESS_READERS = (Role.AUDITOR, Role.DPO)


def record_read(
    ctx: EngineContext,
    *,
    actor: Actor,
    type: str,
    case_id: uuid.UUID,
    task_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one read of a case (or of its task, document or evidence) to the access chain."""
    if type not in READ_TYPES:
        raise ValueError(f"unknown read type {type!r}")
    with ctx.unit_of_work() as uow:
        append_chain_event(
            uow.session,
            ACCESS_CHAIN,
            type=type,
            actor=actor.username,
            at=ctx.clock.now(),
            payload=detail,
            subject_id=case_id,
            task_id=task_id,
        )


def record_export(ctx: EngineContext, *, actor: Actor, type: str, detail: dict[str, Any]) -> None:
    """Append an export of many cases' data (what, which filter, the file's hash) to the access chain."""
    if type not in EXPORT_TYPES:
        raise ValueError(f"unknown export type {type!r}")
    with ctx.unit_of_work() as uow:
        append_chain_event(
            uow.session, ACCESS_CHAIN, type=type, actor=actor.username, at=ctx.clock.now(), payload=detail
        )


@dataclass(frozen=True)
class AccessView:
    """One logged read."""

    seq: int
    type: str
    actor: str
    at: datetime
    task_id: uuid.UUID | None
    detail: Any


def case_access(
    ctx: EngineContext, *, actor: Actor, case_ref: str | uuid.UUID, page: int = 1, per_page: int = 50
) -> Page[AccessView]:
    """Who read a case and when, newest first (auditor and dpo)."""
    page, per_page = check_paging(page, per_page)
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        if not actor.has_any(*ACCESS_READERS):
            find_case(session, case_ref, actor)  # NotFound when the case is outside their need-to-know
            raise PermissionDenied("Hanya auditor dan pejabat pelindungan data yang dapat melihat log akses.")
        case = find_case(session, case_ref)
        where = (Event.chain == ACCESS_CHAIN, Event.subject_id == case.id)
        total = session.scalar(select(func.count()).select_from(Event).where(*where)) or 0
        rows = session.execute(
            select(Event.seq, Event.type, Event.actor, Event.at, Event.task_id, EventPayload.data)
            .outerjoin(EventPayload, EventPayload.event_id == Event.id)
            .where(*where)
            .order_by(Event.seq.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
    items = [AccessView(seq, type_, who, at, task, _detail(data)) for seq, type_, who, at, task, data in rows]
    return Page(items=items, total=total, page=page, per_page=per_page)


def _detail(data: str | None) -> Any:
    return json.loads(data) if data is not None else None
