"""What auditors and the data protection officer browse: case search by history, the shared chains."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.events import ACCESS_CHAIN, SYSTEM_CHAIN
from engine.persistence.models import Case, Event, EventPayload
from engine.roles import Role
from engine.services.queries import Page, check_paging, check_search

# The shared chains and who may browse them: the access chain is about people's reading, the
# system chain about accounts and deployments; neither holds case content.
CHAIN_READERS: dict[str, tuple[Role, ...]] = {
    ACCESS_CHAIN: (Role.DPO, Role.AUDITOR),
    SYSTEM_CHAIN: (Role.DPO, Role.AUDITOR),
}


@dataclass(frozen=True)
class CaseHit:
    """A case whose history matches a search, with how many of its events match."""

    case_id: uuid.UUID
    number: str
    status: str
    outcome: str | None
    matches: int
    first_at: datetime
    last_at: datetime


def search_cases(
    ctx: EngineContext,
    *,
    actor: Actor,
    who: str = "",
    task: str = "",
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page[CaseHit]:
    """Cases with an event by `who`, on `task` (element id), from day `since` to day `until` (auditor).

    Days are local days (the service's time zone), both included.
    """
    if not actor.has_any(Role.AUDITOR):
        raise PermissionDenied("Hanya auditor yang dapat mencari riwayat semua kasus.")
    page, per_page = check_paging(page, per_page)
    check_search(who, task)
    if since is not None and until is not None and since > until:
        raise InvalidInput("Tanggal awal harus sebelum atau sama dengan tanggal akhir.")
    conditions: list[Any] = [Event.case_id.is_not(None)]
    if who.strip():
        conditions.append(Event.actor == who.strip())
    if task.strip():
        conditions.append(Event.element == task.strip())
    zone = ctx.settings.zone
    if since is not None:
        conditions.append(Event.at >= datetime.combine(since, time(), zone))
    if until is not None:
        conditions.append(Event.at < datetime.combine(until + timedelta(days=1), time(), zone))
    matches = (
        select(
            Event.case_id.label("case_id"),
            func.count().label("matches"),
            func.min(Event.at).label("first_at"),
            func.max(Event.at).label("last_at"),
        )
        .where(*conditions)
        .group_by(Event.case_id)
        .subquery()
    )
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        total = session.scalar(select(func.count()).select_from(matches)) or 0
        rows: Sequence[Any] = session.execute(
            select(Case.id, Case.number, Case.status, Case.outcome, matches.c.matches, matches.c.first_at)
            .add_columns(matches.c.last_at)
            .join(matches, matches.c.case_id == Case.id)
            .order_by(matches.c.last_at.desc(), Case.number)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
    hits = [CaseHit(*row) for row in rows]
    return Page(hits, total, page, per_page)


def parse_day(value: str, field: str) -> date | None:
    """A YYYY-MM-DD day from a form or query string ('' is no day)."""
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field}: tanggal harus berbentuk TTTT-BB-HH.") from None


@dataclass(frozen=True)
class ChainEntry:
    """One event of a shared chain, as the dpo and auditors see it."""

    seq: int
    type: str
    actor: str
    at: datetime
    subject: str | None  # the case number an access event is about
    data: Any
    hash: str


def chain_events(
    ctx: EngineContext, *, actor: Actor, chain: str, page: int = 1, per_page: int = 50
) -> Page[ChainEntry]:
    """A page of the access or system chain, newest first."""
    readers = CHAIN_READERS.get(chain)
    if readers is None:
        raise NotFound(f"Rantai tidak dikenal: {chain!r}.")
    if not actor.has_any(*readers):
        raise PermissionDenied("Rantai ini hanya untuk auditor dan pejabat pelindungan data.")
    page, per_page = check_paging(page, per_page)
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        total = session.scalar(select(func.count()).select_from(Event).where(Event.chain == chain)) or 0
        rows = session.execute(
            select(Event.seq, Event.type, Event.actor, Event.at, Case.number, EventPayload.data, Event.hash)
            .outerjoin(EventPayload, EventPayload.event_id == Event.id)
            .outerjoin(Case, Case.id == Event.subject_id)
            .where(Event.chain == chain)
            .order_by(Event.seq.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
    items = [
        ChainEntry(seq, type_, who, at, number, json.loads(data) if data is not None else None, digest.hex())
        for seq, type_, who, at, number, data, digest in rows
    ]
    return Page(items, total, page, per_page)
