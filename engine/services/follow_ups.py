"""R12: start the follow-up monitoring each case that ended with an issued agreement is owed, once.

The step that ends such a case writes its `follow_up` row in the same transaction
(engine.casework.record), so no agreement is ever left without one. The scheduler's tick then
starts one case of the follow-up process (engine.legal.follow_up.PROCESS) for every row that has
none yet: its workflow is computed in a read transaction (its timer waits for the row's date), and
the new case is written in one write transaction that also claims the row (`case_id IS NULL`). A
crash between leaves the row to the next tick; two schedulers racing start one case, the loser's
transaction rolls back whole.

The follow-up case carries the source case's number, the victim's initials, the agreed clauses and
the date; it is read by the lanes that work it (and the auditor), never by the applicant's account.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import casework, runtime
from engine.access import readable_cases
from engine.actors import Actor
from engine.context import EngineContext
from engine.definitions import LoadedDefinition, latest_definition_id
from engine.errors import ConcurrentUpdate, NotFound
from engine.legal import follow_up
from engine.persistence.models import Case, FollowUp
from engine.services.cases import new_case_record
from engine.services.timers import SYSTEM_ACTOR

log = logging.getLogger("mediasi.follow_ups")
BATCH = 20


@dataclass(frozen=True)
class _Pending:
    """A follow-up row not yet started, with what its case is filed with."""

    source: Case
    definition: LoadedDefinition
    data: dict[str, Any]


def start_due(ctx: EngineContext, *, limit: int = BATCH) -> list[str]:
    """Start the follow-up case of every owed follow-up without one (at most `limit`); their numbers.

    While the follow-up process is not deployed nothing starts, and the rows wait for it.
    """
    with ctx.unit_of_work(write=False) as uow:
        waiting = list(
            uow.session.scalars(
                select(FollowUp.source_case_id)
                .where(FollowUp.case_id.is_(None))
                .order_by(FollowUp.scheduled_at, FollowUp.source_case_id)
                .limit(limit)
            )
        )
    started = []
    for source_id in waiting:
        try:
            number = start(ctx, source_id)
        except ConcurrentUpdate:
            continue  # another scheduler started it meanwhile
        except NotFound as exc:
            log.warning("pemantauan kesepakatan belum dapat dimulai: %s", exc)
            break
        if number is not None:
            started.append(number)
    return started


def start(ctx: EngineContext, source_id: uuid.UUID) -> str | None:
    """Start the follow-up of case `source_id`; its number, or None when it was already started.

    :raises NotFound: the follow-up process is not deployed. ConcurrentUpdate: another start won.
    """
    now = ctx.clock.now()
    with ctx.unit_of_work(write=False) as uow:
        pending = _pending(ctx, uow.session, source_id)
        if pending is None:
            return None
        with runtime.at(now, lambda: ctx.calendar(uow.session)):
            workflow = runtime.start_workflow(pending.definition.specs, pending.data)
    with ctx.unit_of_work() as uow:
        session, source = uow.session, pending.source
        case = new_case_record(
            session, pending.definition, pending.data, acting_user_id=source.acting_user_id, actor=SYSTEM_ACTOR, now=now
        )
        step = casework.start(ctx, session, case, pending.definition, actor=SYSTEM_ACTOR, now=now)
        step.event("case_started", {"data": pending.data, follow_up.STARTED: source.number})
        step.workflow = workflow
        step.record()
        casework.commit(session, step, new_case=_columns(case.id, case.number, pending.definition.id, source, now))
        claimed = session.execute(
            update(FollowUp)
            .where(FollowUp.source_case_id == source.id, FollowUp.case_id.is_(None))
            .values(case_id=case.id, started_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdate("Pemantauan kasus ini sudah dimulai.")
    casework.keep(ctx, step)
    log.info("pemantauan %s dimulai untuk kasus %s", case.number, source.number)
    return case.number


def _pending(ctx: EngineContext, session: Session, source_id: uuid.UUID) -> _Pending | None:
    row = session.get(FollowUp, source_id)
    if row is None or row.case_id is not None:
        return None
    source = session.get(Case, source_id)
    assert source is not None  # the row's foreign key
    definition = ctx.definitions.get(session, latest_definition_id(session, follow_up.PROCESS))
    agreement = (source.screening or {}).get("agreement") or {}
    data = {
        "kasus_asal": source.number,
        "inisial_korban": source.victim_initials or "-",
        "tanggal_pemantauan": row.due_on.isoformat(),
        "butir_kesepakatan": list(agreement.get("clauses", [])),
    }
    return _Pending(source, definition, data)


def _columns(case_id: uuid.UUID, number: str, definition_id: int, source: Case, now: datetime) -> dict[str, Any]:
    """The follow-up case's own columns: filed as its source was, for no applicant's account."""
    return {
        "id": case_id,
        "number": number,
        "definition_id": definition_id,
        "acting_user_id": source.acting_user_id,
        "filed_by_id": source.filed_by_id,
        "applicant_user_id": None,
        "walkin_name": None,
        "walkin_phone": None,
        "walkin_address": None,
        "created_at": now,
        "victim_initials": source.victim_initials,
        "duplicate_key": None,
    }


@dataclass(frozen=True)
class FollowUpLink:
    """What a case's page says about its follow-up: on the ended case's page, the follow-up it owes
    (due on a date; its case once started); on the follow-up's page, the case it follows up."""

    due_on: date
    is_follow_up: bool  # the page is the follow-up case's own
    number: str | None  # the other case's number (None: the follow-up has not started yet)
    case_id: uuid.UUID | None
    readable: bool  # the reader may open the other case (need-to-know, engine.access)


def link_of(ctx: EngineContext, case_id: uuid.UUID, reader: Actor) -> FollowUpLink | None:
    """The follow-up link of a case `reader` reads, if it has one."""
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        row = session.get(FollowUp, case_id)
        is_follow_up = row is None
        if row is None:
            row = session.scalar(select(FollowUp).where(FollowUp.case_id == case_id))
        if row is None:
            return None
        other = row.source_case_id if is_follow_up else row.case_id
        if other is None:
            return FollowUpLink(row.due_on, is_follow_up, None, None, False)
        found = session.execute(
            select(Case.number, readable_cases(reader).label("readable")).where(Case.id == other)
        ).one()
        return FollowUpLink(row.due_on, is_follow_up, found.number, other, bool(found.readable))
