"""Recomputing every stored document's SHA-256 against its row and the event that recorded it.

The hash chain proves the events were not rewritten, but a document's bytes sit in their own row:
replacing a letter's PDF would leave every chain intact. So `audit verify` hashes each document's
bytes again and compares them with the hash on its row and with the hash its `document_uploaded`
or `document_issued` event recorded (the chain vouches for the latter).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.documents import DocumentStore, MissingDocument, read
from engine.persistence.models import Case, Document, Event, EventPayload

DOCUMENT_EVENTS = ("document_uploaded", "document_issued")
_BATCH = 20  # documents whose bytes are in memory at once


@dataclass(frozen=True)
class DocumentMismatch:
    """A stored document whose bytes no longer hash to what was recorded."""

    case_number: str
    document_id: uuid.UUID
    kind: str
    number: str | None
    filename: str
    reason: str

    def __str__(self) -> str:
        named = f"{self.kind} {self.number}" if self.number else self.kind
        return f"kasus {self.case_number}, dokumen {named} ({self.filename}): {self.reason}"

    def as_json(self) -> dict[str, str | None]:
        return {
            "case": self.case_number,
            "document_id": str(self.document_id),
            "kind": self.kind,
            "number": self.number,
            "filename": self.filename,
            "reason": self.reason,
        }


def check_documents(
    session: Session, store: DocumentStore, case_id: uuid.UUID | None = None
) -> tuple[int, list[DocumentMismatch]]:
    """Hash every document (or one case's) again, from its file in the store (or the bytes its row
    kept, written before the store); how many were checked, and those that do not match."""
    recorded = _recorded_hashes(session, case_id)
    checked, mismatches = 0, []
    for row in _documents(session, case_id):
        checked += 1
        try:
            content = read(store, row.sha256, row.content)
        except MissingDocument:
            reason: str | None = "berkasnya tidak ada di penyimpanan dokumen"
        else:
            reason = _mismatch(hashlib.sha256(content).hexdigest(), row.sha256, recorded.get(row.id))
        if reason is not None:
            mismatches.append(DocumentMismatch(row.case_number, row.id, row.kind, row.number, row.filename, reason))
    return checked, mismatches


def _mismatch(actual: str, on_row: str, in_event: str | None) -> str | None:
    if actual != on_row:
        return "isi berkas tidak cocok dengan SHA-256 pada barisnya"
    if in_event is not None and actual != in_event:
        return "isi berkas tidak cocok dengan SHA-256 yang dicatat peristiwanya"
    return None


def _documents(session: Session, case_id: uuid.UUID | None) -> Iterator[Any]:
    query = (
        select(
            Document.id,
            Case.number.label("case_number"),
            Document.kind,
            Document.number,
            Document.filename,
            Document.sha256,
            Document.content,
        )
        .join(Case, Case.id == Document.case_id)
        .order_by(Case.number, Document.created_at, Document.id)
        .execution_options(yield_per=_BATCH)
    )
    if case_id is not None:
        query = query.where(Document.case_id == case_id)
    yield from session.execute(query)


def _recorded_hashes(session: Session, case_id: uuid.UUID | None) -> dict[uuid.UUID, str]:
    """The SHA-256 each document's event recorded, by document id (erased payloads are skipped)."""
    query = (
        select(EventPayload.data).join(Event, Event.id == EventPayload.event_id).where(Event.type.in_(DOCUMENT_EVENTS))
    )
    if case_id is not None:
        query = query.where(Event.case_id == case_id)
    hashes: dict[uuid.UUID, str] = {}
    for (data,) in session.execute(query):
        payload = json.loads(data)
        if isinstance(payload, dict) and "document_id" in payload and "sha256" in payload:
            hashes[uuid.UUID(payload["document_id"])] = payload["sha256"]
    return hashes
