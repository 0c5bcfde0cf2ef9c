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
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import runtime
from engine.actors import Actor
from engine.bpmn.catalog import CONFIRM_CORRECTION
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import Conflict, NotFound, PermissionDenied
from engine.events import case_event
from engine.forms import validate_form
from engine.legal import screening
from engine.legal.corrections import CONFIRM_FORM, CONFIRMED, PENDING, REFUSED, pending_of, settle
from engine.legal.rules import CORRECTION_CODE, CORRECTION_REASON
from engine.persistence.case_store import HELD, READY, CaseRecord, StepWrites, TaskRecord, TaskStep
from engine.persistence.models import Event, EventPayload
from engine.roles import Role
from engine.services.screening_records import CORRECTION_CONFIRMED, CORRECTION_REFUSED, CORRECTION_REQUESTED
from engine.services.steps import Office, complete_and_record, inbox_row, load_workflow, set_due
from engine.services.views import CaseView, case_view, task_ref


def ensure_not_pending(case: CaseRecord, what: str) -> None:
    """Refuse (Conflict) to move a case whose correction waits for its second person."""
    if pending_of(case.screening):
        raise Conflict(
            f"Kasus {case.number} menunggu konfirmasi koreksi skrining oleh Kepala Dinas; {what} "
            "setelah koreksi itu dikonfirmasi atau ditolak."
        )


def hold(
    writes: StepWrites,
    definition: LoadedDefinition,
    task: TaskRecord,
    *,
    actor: Actor,
    submitted: Mapping[str, Any],
    changes: list[screening.Change],
    now: datetime,
    office: Office,
    ready: list[tuple[uuid.UUID, str]],
) -> CaseView:
    """Hold `task`'s submission and open the confirmation task; the workflow does not move."""
    case = writes.case
    confirm_id = uuid.uuid4()
    listed = [c.as_json() for c in changes]
    code, reason = str(submitted.get(CORRECTION_CODE)), str(submitted.get(CORRECTION_REASON)).strip()
    event = case_event(
        case,
        type=CORRECTION_REQUESTED,
        actor=actor.username,
        at=now,
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
    writes.events.append(event)
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
    writes.task_states.append((task.id, HELD))
    row = inbox_row(case, definition, confirm_id, CONFIRM_CORRECTION, now)
    set_due([row], definition, case, now, office)
    writes.new_tasks.append(row)
    catalog = definition.catalog
    tasks = [task_ref(catalog, confirm_id, CONFIRM_CORRECTION)]
    tasks += [task_ref(catalog, i, element) for i, element in ready if i != task.id]
    return case_view(case, catalog=catalog, version=definition.version, tasks=tasks)


def decide(
    ctx: EngineContext,
    session: Session,
    step: TaskStep,
    definition: LoadedDefinition,
    *,
    actor: Actor,
    submitted: Mapping[str, Any],
    now: datetime,
    office: Office,
) -> tuple[StepWrites, CaseView, Any]:
    """Complete the confirmation task: confirm (the held completion runs) or refuse (the task is ready again).

    Returns the step's writes, the case as it will be, and the workflow to keep (None: unchanged).
    """
    case, task = step.case, step.task
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
    writes = StepWrites(case=case, read_version=case.version)
    writes.also_completed.append((task.id, now, actor.user_id))
    writes.events.append(
        case_event(
            case,
            type=CORRECTION_CONFIRMED if confirmed else CORRECTION_REFUSED,
            actor=actor.username,
            at=now,
            task_id=task.id,
            element=CONFIRM_CORRECTION,
            payload={"request_seq": int(waiting["seq"]), "note": note, "fields": fields if confirmed else []},
        )
    )
    record = copy.deepcopy(case.screening or screening.empty())
    record.pop("pending", None)
    settle(record, int(waiting["seq"]), CONFIRMED if confirmed else REFUSED, actor.username, now.isoformat(), note)
    case.updated_at = now
    if not confirmed:
        case.screening = record
        writes.task_states.append((held_id, READY))
        workflow = load_workflow(ctx, case, definition, step.state)
        tasks = [task_ref(definition.catalog, t.id, t.task_spec.name) for t in runtime.ready_user_tasks(workflow)]
        return writes, case_view(case, catalog=definition.catalog, version=definition.version, tasks=tasks), None
    data = request["data"]
    requester = str(waiting["by"])
    case.screening = screening.fold(record, data, actor=requester, ketua=bool(waiting.get("ketua")), confirmed=fields)
    workflow = load_workflow(ctx, case, definition, step.state)
    view = complete_and_record(
        writes,
        definition,
        workflow,
        held_id,
        request["element"],
        data,
        actor=requester,
        actor_id=waiting.get("by_id"),
        now=now,
        office=office,
    )
    return writes, view, workflow


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
