"""A case's screening record as a step reads it: kept on the case row, or rebuilt from its chain."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.legal import screening
from engine.persistence.case_store import CaseRecord
from engine.persistence.models import Case, Event, EventPayload

CORRECTION_REQUESTED = "screening_correction_requested"
CORRECTION_CONFIRMED = "screening_correction_confirmed"
CORRECTION_REFUSED = "screening_correction_refused"
_FOLDED = ("case_started", "task_completed", CORRECTION_CONFIRMED)


def record_of(session: Session, case: Case | CaseRecord) -> dict[str, Any]:
    """The case's record; a case filed before records existed gets one rebuilt from its events."""
    if case.screening is not None:
        return case.screening
    return rebuild(session, case.id)


def rebuild(session: Session, case_id: uuid.UUID) -> dict[str, Any]:
    """Fold a case's submissions, in chain order, into a record: what its history says, not its data today.

    A confirmed correction lets the next completion of its task replace the fields it corrected.
    A payload already erased contributes nothing, so its answers count as never given.
    """
    rows = session.execute(
        select(Event.type, Event.actor, EventPayload.data)
        .outerjoin(EventPayload, EventPayload.event_id == Event.id)
        .where(Event.case_id == case_id, Event.type.in_(_FOLDED))
        .order_by(Event.seq)
    ).all()
    record = screening.empty()
    confirmed: list[str] = []
    for kind, actor, raw in rows:
        payload = json.loads(raw) if raw is not None else None
        if kind == "case_started" and isinstance(payload, dict) and isinstance(payload.get("data"), dict):
            record = screening.fold(record, payload["data"], actor=actor)
        elif kind == CORRECTION_CONFIRMED and isinstance(payload, dict):
            confirmed = [str(f) for f in payload.get("fields", [])]
        elif kind == "task_completed" and isinstance(payload, dict):
            record = screening.fold(record, payload, actor=actor, confirmed=confirmed)
            confirmed = []
    return record
