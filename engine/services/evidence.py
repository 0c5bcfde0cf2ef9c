"""Evidence export: one ZIP per case that an auditor can hand over and anyone can check offline.

It holds the case's events (JSON and CSV, with every hash), the BPMN version, forms and lane map
the case ran on, its documents, the result of verifying its chain and of replaying it, and a
manifest with the SHA-256 of every file. Exporting is itself logged on the access chain.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.context import EngineContext
from engine.documents import DocumentStore, read
from engine.errors import PermissionDenied
from engine.events import canonical_json, iso_utc
from engine.persistence.models import Case, Document, Event, EventPayload, ProcessDefinition
from engine.replay import migration_ends
from engine.roles import Role
from engine.services import audit, reads, replays
from engine.services.queries import find_case

EXPORTERS = (Role.AUDITOR,)
MANIFEST = "manifest.json"
EVENT_FIELDS = ["seq", "type", "at", "actor", "element", "task_id", "payload_sha256", "prev_hash", "hash", "payload"]

README = """Paket bukti kasus {number}

Isi:
- case.json: ringkasan kasus.
- events.json dan events.csv: seluruh peristiwa rantai kasus, dengan hash sebelumnya (prev_hash),
  hash muatan (payload_sha256) dan hash peristiwa (hash).
- process/vN/: diagram BPMN, formulir dan peta lajur setiap versi proses yang dijalankan kasus ini
  (lebih dari satu bila kasus dipindahkan ke versi baru).
- documents/: dokumen kasus; nama berkas diawali 12 digit pertama SHA-256 isinya.
- verification.json: hasil pemeriksaan rantai hash dan pemutaran ulang saat paket dibuat.
- manifest.json: SHA-256 dan ukuran setiap berkas di atas.

Periksa: hitung SHA-256 tiap berkas dan bandingkan dengan manifest.json; SHA-256 manifest.json
sendiri dicatat di log akses Mediasi (peristiwa evidence_exported).
"""


@dataclass(frozen=True)
class Evidence:
    """An evidence package: its file name, bytes, and the SHA-256 of its manifest."""

    filename: str
    content: bytes
    manifest_sha256: str


def export_evidence(ctx: EngineContext, *, actor: Actor, case_ref: str | uuid.UUID) -> Evidence:
    """Build a case's evidence package and log the export (auditors; the operator on the CLI)."""
    now = ctx.clock.now()
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        case = find_case(session, case_ref, None if actor.is_operator else actor)
        if not actor.is_operator and not actor.has_any(*EXPORTERS):
            raise PermissionDenied("Hanya auditor yang dapat mengekspor paket bukti.")
        files = _case_files(session, ctx.documents, case)
    verification = audit.verify(ctx, case_ref=str(case.id))
    replayed = replays.replay_case(ctx, case_ref=case.id).result
    files["verification.json"] = _json(
        {
            "checked_at": iso_utc(now),
            "chain": verification.as_json(),
            "replay": {
                "ok": replayed.ok,
                "steps": len(replayed.steps),
                "final_checked": replayed.final_checked,
                "divergence": str(replayed.divergence) if replayed.divergence else None,
            },
        }
    )
    manifest = _json(
        {
            "case": case.number,
            "exported_at": iso_utc(now),
            "exported_by": actor.username,
            "files": [{"path": p, "sha256": _sha(b), "size": len(b)} for p, b in sorted(files.items())],
        }
    )
    digest = _sha(manifest)
    content = _zip({**files, MANIFEST: manifest}, now)
    filename = f"bukti-{case.number}-{now.strftime('%Y%m%dT%H%M%SZ')}.zip"
    reads.record_read(
        ctx,
        actor=actor,
        type=reads.EVIDENCE_EXPORTED,
        case_id=case.id,
        detail={"file": filename, "manifest_sha256": digest, "size": len(content)},
    )
    return Evidence(filename, content, digest)


def _case_files(session: Session, store: DocumentStore, case: Case) -> dict[str, bytes]:
    definition = session.get_one(ProcessDefinition, case.definition_id)
    events = _events(session, case.id)
    files: dict[str, bytes] = {
        "README.txt": README.format(number=case.number).encode(),
        "case.json": _json(
            {
                "id": str(case.id),
                "number": case.number,
                "status": case.status,
                "outcome": case.outcome,
                "process": definition.key,
                "process_version": definition.version,
                "process_sha256": definition.sha256,
                "created_at": iso_utc(case.created_at),
                "closed_at": iso_utc(case.closed_at) if case.closed_at else None,
                "chain_head": {"seq": case.event_seq, "hash": case.event_hash.hex()},
            }
        ),
        "events.json": _json(events),
        "events.csv": _csv(events),
    }
    for version in _versions_ran_on(session, case, events):
        folder = f"process/v{version.version}"
        files[f"{folder}/{version.key}.bpmn"] = version.bpmn_xml.encode()
        files[f"{folder}/lanes.json"] = _json(version.lane_roles)
        for name, schema in sorted(version.forms.items()):
            files[f"{folder}/forms/{_safe(name)}"] = _json(schema)
    for document in session.scalars(select(Document).where(Document.case_id == case.id)):
        content = read(store, document.sha256, document.content)
        files[f"documents/{document.sha256[:12]}-{_safe(document.filename)}"] = content
    return files


def _versions_ran_on(session: Session, case: Case, events: list[dict[str, Any]]) -> list[ProcessDefinition]:
    """The version the case was filed on, every version a migration moved it to, and its current one."""
    ids = {case.definition_id}
    for event in events:
        if event["type"] == "case_migrated":
            ids.update(i for i in migration_ends(event["payload"]) if i is not None)
    rows = session.scalars(select(ProcessDefinition).where(ProcessDefinition.id.in_(ids)))
    return sorted(rows, key=lambda row: row.version)


def _events(session: Session, case_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Event, EventPayload.data)
        .outerjoin(EventPayload, EventPayload.event_id == Event.id)
        .where(Event.case_id == case_id)
        .order_by(Event.seq)
    )
    return [
        {
            "seq": e.seq,
            "type": e.type,
            "at": iso_utc(e.at),
            "actor": e.actor,
            "element": e.element,
            "task_id": str(e.task_id) if e.task_id else None,
            "payload_sha256": e.payload_hash.hex() if e.payload_hash else None,
            "prev_hash": e.prev_hash.hex(),
            "hash": e.hash.hex(),
            "payload": json.loads(data) if data is not None else None,
        }
        for e, data in rows
    ]


def _csv(events: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EVENT_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for event in events:
        payload = event["payload"]
        writer.writerow({**event, "payload": canonical_json(payload) if payload is not None else ""})
    return out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read UTF-8


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode()


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned or "berkas"


def _zip(files: dict[str, bytes], now: datetime) -> bytes:
    buffer = io.BytesIO()
    stamp = now.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(files.items()):
            info = zipfile.ZipInfo(f"{path}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()
