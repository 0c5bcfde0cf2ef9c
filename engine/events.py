"""The append-only event log and its hash chains.

Each event's hash is SHA-256 of the previous event's hash plus the canonical JSON of the event,
whose payload enters only through the payload's own hash: a payload erased at the end of its
retention period leaves the chain verifiable. One chain per case (its head lives on the case row,
so it is written in the case's own transaction) and shared chains ("system", "access") whose head
lives in `chain_head`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.persistence.models import Case, ChainHead, Event, EventPayload

GENESIS = "0" * 64
SYSTEM_CHAIN = "system"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the form that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of UTF-8 text."""
    return hashlib.sha256(text.encode()).hexdigest()


def iso_utc(moment: datetime) -> str:
    """A moment as ISO 8601 in UTC with microseconds, the form that is hashed."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def case_chain(case_id: uuid.UUID) -> str:
    """The chain name of one case."""
    return f"case:{case_id}"


def event_hash(event: Event) -> str:
    """Recompute an event's hash from its fields and its predecessor's hash."""
    body = {
        "chain": event.chain,
        "seq": event.seq,
        "type": event.type,
        "case_id": str(event.case_id) if event.case_id else None,
        "task_id": str(event.task_id) if event.task_id else None,
        "element": event.element,
        "actor": event.actor,
        "at": iso_utc(event.at),
        "payload_hash": event.payload_hash,
    }
    return sha256_hex(event.prev_hash + canonical_json(body))


def _new_event(
    session: Session,
    *,
    chain: str,
    seq: int,
    prev_hash: str,
    type: str,
    actor: str,
    at: datetime,
    payload: Any,
    case_id: uuid.UUID | None,
    task_id: uuid.UUID | None,
    element: str | None,
) -> Event:
    data = canonical_json(payload) if payload is not None else None
    event = Event(
        id=uuid.uuid4(),
        chain=chain,
        seq=seq,
        type=type,
        case_id=case_id,
        task_id=task_id,
        element=element,
        actor=actor,
        at=at,
        payload_hash=sha256_hex(data) if data is not None else None,
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    session.add(event)
    if data is not None:
        session.add(EventPayload(event_id=event.id, data=data))
    return event


def append_case_event(
    session: Session,
    case: Case,
    *,
    type: str,
    actor: str,
    at: datetime,
    payload: Any = None,
    task_id: uuid.UUID | None = None,
    element: str | None = None,
) -> Event:
    """Append to the case's chain; the head moves on the case row (saved with the case)."""
    event = _new_event(
        session,
        chain=case_chain(case.id),
        seq=case.event_seq + 1,
        prev_hash=case.event_hash,
        type=type,
        actor=actor,
        at=at,
        payload=payload,
        case_id=case.id,
        task_id=task_id,
        element=element,
    )
    case.event_seq, case.event_hash = event.seq, event.hash
    return event


def append_chain_event(
    session: Session, chain: str, *, type: str, actor: str, at: datetime, payload: Any = None
) -> Event:
    """Append to a shared chain, locking its head row for the rest of the transaction."""
    head = session.scalar(select(ChainHead).where(ChainHead.chain == chain).with_for_update())
    if head is None:
        head = ChainHead(chain=chain, seq=0, hash=GENESIS)
        session.add(head)
    event = _new_event(
        session,
        chain=chain,
        seq=head.seq + 1,
        prev_hash=head.hash,
        type=type,
        actor=actor,
        at=at,
        payload=payload,
        case_id=None,
        task_id=None,
        element=None,
    )
    head.seq, head.hash = event.seq, event.hash
    return event
