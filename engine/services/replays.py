"""Replaying a stored case: its events and rows read from the database, re-run in memory."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import runtime
from engine.actors import Actor
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import PermissionDenied
from engine.persistence.models import Case, CaseFinalRecord, CaseState, CaseTask, Event, EventPayload
from engine.replay import RecordedEvent, RecordedTask, Replay, Stored, replay
from engine.roles import Role
from engine.services.queries import find_case

# Replay shows a case's data at every step: the auditor's tool (and the operator's, on the CLI).
REPLAYERS = (Role.AUDITOR,)


@dataclass(frozen=True)
class CaseReplay:
    """A replay and the case it is of."""

    case_id: uuid.UUID
    number: str
    version: int
    result: Replay

    def as_json(self) -> dict[str, Any]:
        return {"case": str(self.case_id), "number": self.number, "version": self.version, **self.result.as_json()}


def replay_case(
    ctx: EngineContext, *, case_ref: str | uuid.UUID, actor: Actor | None = None, to_step: int | None = None
) -> CaseReplay:
    """Re-run a case from its events on its own definition version and compare with what is stored.

    With `actor`: only an auditor, and a case outside their need-to-know is not found.
    """
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        case = find_case(session, case_ref, actor)
        if actor is not None and not actor.has_any(*REPLAYERS):
            raise PermissionDenied("Hanya auditor yang dapat memutar ulang kasus.")
        definition = ctx.definitions.get(session, case.definition_id)
        events, tasks = recorded_events(session, case.id), recorded_tasks(session, case.id)
        stored = _stored(session, definition, case)
    result = replay(definition.specs, events, tasks, stored, outcomes=definition.catalog.outcomes, to_step=to_step)
    return CaseReplay(case.id, case.number, definition.version, result)


def recorded_events(session: Session, case_id: uuid.UUID) -> list[RecordedEvent]:
    """A case's chain in order, payloads parsed (None where a payload was erased)."""
    rows = session.execute(
        select(Event.seq, Event.type, Event.actor, Event.at, Event.task_id, Event.element, EventPayload.data)
        .outerjoin(EventPayload, EventPayload.event_id == Event.id)
        .where(Event.case_id == case_id)
        .order_by(Event.seq)
    )
    return [
        RecordedEvent(seq, type_, actor, at, task_id, element, json.loads(data) if data is not None else None)
        for seq, type_, actor, at, task_id, element, data in rows
    ]


def recorded_tasks(session: Session, case_id: uuid.UUID) -> list[RecordedTask]:
    """A case's inbox rows: which step opened each task, and how it ended."""
    rows = session.execute(
        select(CaseTask.id, CaseTask.element, CaseTask.opened_seq, CaseTask.state).where(CaseTask.case_id == case_id)
    )
    return [RecordedTask(*row) for row in rows]


def _stored(session: Session, definition: LoadedDefinition, case: Case) -> Stored:
    if case.status == "open":
        state = session.scalar(select(CaseState.state).where(CaseState.case_id == case.id))
        workflow = runtime.load_state(definition.specs, state) if state is not None else None
        return Stored(case.status, case.outcome, workflow=workflow)
    record = session.scalar(select(CaseFinalRecord.record).where(CaseFinalRecord.case_id == case.id))
    return Stored(case.status, case.outcome, final=runtime.load_final(record) if record is not None else None)
