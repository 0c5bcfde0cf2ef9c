"""Replaying a stored case: its events and rows read from the database, re-run in memory."""

from __future__ import annotations

import json
import uuid
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import runtime
from engine.actors import Actor
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import NotFound, PermissionDenied
from engine.persistence.models import (
    Case,
    CaseFinalRecord,
    CaseState,
    CaseTask,
    Event,
    EventPayload,
    ProcessDefinition,
)
from engine.replay import RecordedEvent, RecordedTask, Replay, Stored, migration_ends, replay
from engine.roles import Role
from engine.services.queries import find_case
from engine.status import CaseStatus

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

    A migrated case starts on the version it was filed on and moves at each `case_migrated` event.
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
        versions = _versions_of(ctx, session, definition, events)
        office = ctx.calendar_history(session)
    first = versions.get(original_definition(events, definition.id), definition)
    result = replay(
        first.specs,
        events,
        tasks,
        stored,
        outcomes=first.catalog.outcomes,
        to_step=to_step,
        definition_id=first.id,
        specs_for=lambda i: (versions[i].specs, versions[i].catalog.outcomes) if i in versions else None,
        calendar=office,
    )
    return CaseReplay(case.id, case.number, definition.version, result)


@dataclass(frozen=True)
class FieldTitles:
    """The titles of a case's fields and of their enum values, from the forms of every version it ran on."""

    labels: dict[str, str]  # dotted path without list indices (korban.jenis_kelamin) -> title
    values: dict[str, dict[str, str]]  # the same paths -> enum value -> title

    def as_json(self) -> dict[str, Any]:
        return {"labels": self.labels, "values": self.values}


def field_titles(ctx: EngineContext, *, case_ref: str | uuid.UUID, actor: Actor | None = None) -> FieldTitles:
    """What the auditor's tables call a case's fields: its current version's titles first, then older ones'."""
    with ctx.unit_of_work(write=False) as uow:
        case = find_case(uow.session, case_ref, actor)
        current = ctx.definitions.get(uow.session, case.definition_id)
        versions = _versions_of(ctx, uow.session, current, recorded_events(uow.session, case.id))
    labels: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    for definition in versions.values():  # the current version is the first key
        labels = {**definition.labels, **labels}
        values = {**definition.value_titles, **values}
    return FieldTitles(labels, values)


def original_definition(events: list[RecordedEvent], current: int) -> int:
    """The definition a case started on: the source of its first migration, else its current one."""
    for event in events:
        if event.type == "case_migrated":
            source, _ = migration_ends(event.payload)
            return source if source is not None else current
    return current


def _versions_of(
    ctx: EngineContext, session: Session, current: LoadedDefinition, events: list[RecordedEvent]
) -> dict[int, LoadedDefinition]:
    """The case's current version and every version its migrations name (unknown ones left out)."""
    versions = {current.id: current}
    for event in events:
        if event.type != "case_migrated":
            continue
        for definition_id in migration_ends(event.payload):
            if definition_id is not None and definition_id not in versions:
                with suppress(NotFound):
                    versions[definition_id] = ctx.definitions.get(session, definition_id)
    return versions


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
    if case.status == CaseStatus.OPEN:
        state = session.scalar(select(CaseState.state).where(CaseState.case_id == case.id))
        workflow = runtime.load_state(definition.specs, state) if state is not None else None
        return Stored(case.status, case.outcome, workflow=workflow)
    record = session.scalar(select(CaseFinalRecord.record).where(CaseFinalRecord.case_id == case.id))
    return Stored(case.status, case.outcome, final=runtime.load_final(record) if record is not None else None)


def version_diagram(ctx: EngineContext, *, case_ref: str | uuid.UUID, actor: Actor, definition_id: int) -> str:
    """The BPMN XML of a version the case ran on (its current one, or one a migration names)."""
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        case = find_case(session, case_ref, actor)
        if not actor.has_any(*REPLAYERS):
            raise PermissionDenied("Hanya auditor yang dapat memutar ulang kasus.")
        ran_on = {case.definition_id}
        for event in recorded_events(session, case.id):
            if event.type == "case_migrated":
                ran_on.update(i for i in migration_ends(event.payload) if i is not None)
        if definition_id not in ran_on:
            raise NotFound("Kasus ini tidak pernah berjalan pada versi tersebut.")
        xml = session.scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == definition_id))
        if xml is None:
            raise NotFound("Versi proses tidak ditemukan.")
        return xml
