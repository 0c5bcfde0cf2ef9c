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
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.persistence.case_store import CaseRecord, NewEvent, insert_events
from engine.persistence.models import ChainHead

GENESIS = bytes(32)
SYSTEM_CHAIN = "system"
ACCESS_CHAIN = "access"


class EventFields(Protocol):
    """What an event's hash covers (a stored Event row or a NewEvent)."""

    case_id: uuid.UUID | None
    chain: str | None
    seq: int
    type: str
    task_id: uuid.UUID | None
    element: str | None
    actor: str
    at: datetime
    payload_hash: bytes | None
    subject_id: uuid.UUID | None


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the form that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def iso_utc(moment: datetime) -> str:
    """A moment as ISO 8601 in UTC with microseconds, the form that is hashed."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_name(event: EventFields) -> str:
    """The chain an event belongs to: `case:<id>` or a shared chain's name."""
    return f"case:{event.case_id}" if event.case_id is not None else str(event.chain)


def event_hash(event: EventFields, prev_hash: bytes) -> bytes:
    """An event's hash from its fields and its predecessor's hash."""
    body = {
        "chain": chain_name(event),
        "seq": event.seq,
        "type": event.type,
        "task_id": str(event.task_id) if event.task_id else None,
        "element": event.element,
        "actor": event.actor,
        "at": iso_utc(event.at),
        "payload_hash": event.payload_hash.hex() if event.payload_hash is not None else None,
    }
    if event.subject_id is not None:  # an access event: the case it read
        body["subject"] = str(event.subject_id)
    return hashlib.sha256(prev_hash.hex().encode() + canonical_json(body).encode()).digest()


def _sealed(event: NewEvent, prev_hash: bytes, payload: Any) -> NewEvent:
    if payload is not None:
        event.payload = canonical_json(payload)
        event.payload_hash = hashlib.sha256(event.payload.encode()).digest()
    event.prev_hash = prev_hash
    event.hash = event_hash(event, prev_hash)
    return event


def case_event(
    case: CaseRecord,
    *,
    type: str,
    actor: str,
    at: datetime,
    payload: Any = None,
    task_id: uuid.UUID | None = None,
    element: str | None = None,
) -> NewEvent:
    """The next event of a case's chain; the head moves on the case record (saved with the case)."""
    event = NewEvent(
        seq=case.event_seq + 1, type=type, actor=actor, at=at, case_id=case.id, task_id=task_id, element=element
    )
    _sealed(event, case.event_hash, payload)
    case.event_seq, case.event_hash = event.seq, event.hash
    return event


def append_chain_event(
    session: Session,
    chain: str,
    *,
    type: str,
    actor: str,
    at: datetime,
    payload: Any = None,
    subject_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
) -> NewEvent:
    """Append to a shared chain, locking its head row for the rest of the transaction."""
    head = _locked_head(session, chain)
    event = NewEvent(
        seq=head.seq + 1, type=type, actor=actor, at=at, chain=chain, subject_id=subject_id, task_id=task_id
    )
    _sealed(event, head.hash, payload)
    insert_events(session, [event])
    head.seq, head.hash = event.seq, event.hash
    return event


def _locked_head(session: Session, chain: str) -> ChainHead:
    """A shared chain's head row, locked until the transaction ends; created on the chain's first use.

    Every read of a case appends here, so the usual path is the one locking SELECT; only a chain's
    very first event also inserts its head (a concurrent first insert is ignored, then locked).
    """
    locked = select(ChainHead).where(ChainHead.chain == chain).with_for_update()
    head = session.scalars(locked).one_or_none()
    if head is not None:
        return head
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(ChainHead).values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing())
    return session.scalars(locked).one()
