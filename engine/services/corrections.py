"""Four eyes on screening corrections: hold a softening submission, then let a second person decide.

A completion that would make a case more mediable than its screening record says (a violence type
removed, danger lowered, consent set true, ...) does not run the workflow. Its data is held on the
case's chain (`screening_correction_requested`), the task is HELD, and an engine task of its own
(CONFIRM_CORRECTION) waits in the Kepala Dinas' inbox. Nothing else of the case can be completed
meanwhile. Confirmed by someone other than the requester, the held submission completes its task
as the requester sent it, and the corrected fields enter the record as given; refused, the task is
ready again and the record keeps its answer. Both decisions are events on the chain.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import runtime
from engine.actors import Actor
from engine.bpmn.catalog import CONFIRM_CORRECTION
from engine.casework.record import inbox_row, set_due
from engine.casework.screening_records import CORRECTION_CONFIRMED, CORRECTION_REFUSED, CORRECTION_REQUESTED
from engine.casework.step import CaseStep
from engine.casework.views import CaseView, case_view, task_ref
from engine.errors import Conflict, NotFound, PermissionDenied
from engine.forms import validate_form
from engine.legal import screening
from engine.legal.corrections import CONFIRM_FORM, CONFIRMED, PENDING, REFUSED, pending_of, settle
from engine.legal.rules import CORRECTION_CODE, CORRECTION_REASON
from engine.persistence.case_store import CaseRecord, TaskRecord
from engine.persistence.models import Event, EventPayload
from engine.roles import Role
from engine.status import TaskStatus


def ensure_not_pending(case: CaseRecord, what: str) -> None:
    """Refuse (Conflict) to move a case whose correction waits for its second person."""
    if pending_of(case.screening):
        raise Conflict(
            f"Kasus {case.number} menunggu konfirmasi koreksi skrining oleh Kepala Dinas; {what} "
            "setelah koreksi itu dikonfirmasi atau ditolak."
        )


def hold(
    step: CaseStep,
    task: TaskRecord,
    *,
    actor: Actor,
    submitted: Mapping[str, Any],
    changes: list[screening.Change],
    ready: list[tuple[uuid.UUID, str]],
) -> CaseView:
    """Hold `task`'s submission and open the confirmation task; the workflow does not move."""
    case, definition, writes, now = step.case, step.definition, step.writes, step.now
    confirm_id = uuid.uuid4()
    listed = [c.as_json() for c in changes]
    code, reason = str(submitted.get(CORRECTION_CODE)), str(submitted.get(CORRECTION_REASON)).strip()
    event = step.event(
        CORRECTION_REQUESTED,
        task_id=task.id,
        element=task.element,
        payload={
            "changes": listed,
            "code": code,
            "reason": reason,
            "data": dict(submitted),
            "confirm_task_id": str(confirm_id),
        },
    )
    record = copy.deepcopy(case.screening or screening.empty())
    record["pending"] = {
        "seq": event.seq,
        "task_id": str(task.id),
        "confirm_task_id": str(confirm_id),
        "by": actor.username,
        "by_id": actor.user_id,
        "ketua": actor.has_any(Role.KETUA_LPPAR),
    }
    record.setdefault("corrections", []).append(
        {
            "seq": event.seq,
            "element": task.element,
            "element_title": definition.catalog.tasks[task.element].title,
            "by": actor.username,
            "at": now.isoformat(),
            "code": code,
            "reason": reason,
            "changes": listed,
            "status": PENDING,
            "confirm_task_id": str(confirm_id),
        }
    )
    case.screening, case.updated_at = record, now
    writes.task_states.append((task.id, TaskStatus.HELD))
    row = inbox_row(case, definition, confirm_id, CONFIRM_CORRECTION, now)
    set_due([row], definition, case, now, step.office)
    writes.new_tasks.append(row)
    catalog = definition.catalog
    tasks = [task_ref(catalog, confirm_id, CONFIRM_CORRECTION)]
    tasks += [task_ref(catalog, i, element) for i, element in ready if i != task.id]
    step.view = case_view(case, catalog=catalog, version=definition.version, tasks=tasks)
    return step.view


def decide(session: Session, step: CaseStep, *, actor: Actor, submitted: Mapping[str, Any]) -> CaseView:
    """Complete the confirmation task: confirm (the held completion runs) or refuse (the task is ready again)."""
    assert step.task is not None
    case, task, definition, now = step.case, step.task, step.definition, step.now
    validate_form(CONFIRM_FORM, dict(submitted))
    waiting = pending_of(case.screening)
    if waiting is None or waiting.get("confirm_task_id") != str(task.id):
        raise Conflict("Koreksi skrining ini sudah tidak menunggu keputusan.")
    if actor.username == waiting.get("by") or (actor.user_id is not None and actor.user_id == waiting.get("by_id")):
        raise PermissionDenied(
            "Koreksi skrining harus diputuskan orang kedua: Anda sendiri yang mengajukannya (prinsip empat mata)."
        )
    request = _request(session, case.id, int(waiting["seq"]))
    held_id = uuid.UUID(waiting["task_id"])
    confirmed = submitted["keputusan_koreksi"] == CONFIRMED
    note = str(submitted["catatan_konfirmasi"]).strip()
    fields = [str(c["field"]) for c in request["changes"]]
    step.writes.also_completed.append((task.id, now, actor.user_id))
    step.event(
        CORRECTION_CONFIRMED if confirmed else CORRECTION_REFUSED,
        task_id=task.id,
        element=CONFIRM_CORRECTION,
        payload={"request_seq": int(waiting["seq"]), "note": note, "fields": fields if confirmed else []},
    )
    record = copy.deepcopy(case.screening or screening.empty())
    record.pop("pending", None)
    settle(record, int(waiting["seq"]), CONFIRMED if confirmed else REFUSED, actor.username, now.isoformat(), note)
    case.updated_at = now
    if not confirmed:
        case.screening = record
        step.writes.task_states.append((held_id, TaskStatus.READY))
        workflow = step.workflow = step.load()  # it does not move: kept again as it is, for the next step
        tasks = [task_ref(definition.catalog, t.id, t.task_spec.name) for t in runtime.ready_user_tasks(workflow)]
        step.view = case_view(case, catalog=definition.catalog, version=definition.version, tasks=tasks)
        return step.view
    data = request["data"]
    requester = str(waiting["by"])
    case.screening = screening.fold(record, data, actor=requester, ketua=bool(waiting.get("ketua")), confirmed=fields)
    step.begin()
    return step.complete(held_id, request["element"], data, actor=requester, actor_id=waiting.get("by_id"))


def _request(session: Session, case_id: uuid.UUID, seq: int) -> dict[str, Any]:
    row = session.execute(
        select(Event.element, EventPayload.data)
        .join(EventPayload, EventPayload.event_id == Event.id)
        .where(Event.case_id == case_id, Event.seq == seq, Event.type == CORRECTION_REQUESTED)
    ).one_or_none()
    if row is None:
        raise NotFound("Permintaan koreksi skrining tidak ditemukan (datanya mungkin sudah dihapus).")
    payload = json.loads(row.data)
    return {"element": row.element, "changes": payload["changes"], "data": payload["data"]}
