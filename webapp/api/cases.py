"""Cases: start, list, read, end; their events and documents."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, request

from engine.casework.views import CaseView, ClockView
from engine.errors import AlreadyFiled, DuplicateSuspected, FormInvalid
from engine.services import case_notes, letter_jobs, reads, suspension
from engine.services import cases as case_service
from engine.services import queries as case_queries
from webapp.api import bp
from webapp.api.support import BadRequest, body, caller, ctx, json_response, page_args, page_response, query_text

MAX_KEY = 100  # a process key is an id from the BPMN file
MAX_IDEMPOTENCY_KEY = 200


def case_json(view: CaseView) -> dict[str, Any]:
    """One case as the API shows it, with its service-level clocks and its suspension."""
    suspension = {"since": view.suspended_at, "reason": view.suspension_reason} if view.suspended_at else None
    return {**case_summary_json(view), "sla_clocks": [clock_json(c) for c in view.clocks], "suspension": suspension}


def case_summary_json(view: CaseView) -> dict[str, Any]:
    """A case as a list of cases shows it: without its clocks."""
    return {
        "id": view.id,
        "number": view.number,
        "status": view.status,
        "outcome": view.outcome,
        "process": {"key": view.process_key, "version": view.process_version},
        "tasks": [
            {"id": t.id, "name": t.element, "title": t.title, "lane": t.lane, "state": t.state} for t in view.tasks
        ],
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "due_at": view.sla.due_at,
        "sla_state": view.sla.state,
    }


def clock_json(clock: ClockView) -> dict[str, Any]:
    """A service-level clock as the API shows it."""
    return {
        "name": clock.name,
        "title": clock.title,
        "days": clock.days,
        "started": clock.started,
        "due": clock.due,
        "paused": clock.paused,
        "reason": clock.reason,
        "paused_days": clock.paused_days,
        "stopped": clock.stopped,
        "met": clock.met,
        "sla_state": clock.state,
    }


APPLICANT_FIELDS = {"nama": True, "telepon": True, "alamat": False}  # field -> required


def _applicant(raw: Any) -> case_service.WalkInApplicant | None:
    """The walk-in applicant of a fulltimer's request, with every wrong field named."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise FormInvalid({"applicant": 'Harus berupa objek {"nama", "telepon", "alamat"?}.'})
    errors = {f"applicant.{field}": "Isian tidak dikenal." for field in raw if field not in APPLICANT_FIELDS}
    for field, required in APPLICANT_FIELDS.items():
        value = raw.get(field)
        if required and (value is None or (isinstance(value, str) and not value.strip())):
            errors[f"applicant.{field}"] = "Wajib diisi."
        elif value is not None and not isinstance(value, str):
            errors[f"applicant.{field}"] = "Harus berupa teks."
    if errors:
        raise FormInvalid(errors)
    return case_service.WalkInApplicant(nama=raw["nama"], telepon=raw["telepon"], alamat=raw.get("alamat"))


def _new_case(data: dict[str, Any]) -> tuple[str, dict[str, Any], case_service.WalkInApplicant | None]:
    """The process key, form data and walk-in applicant of a new request, every field checked at once."""
    errors: dict[str, str] = {}
    process = data.get("process", case_service.DEFAULT_PROCESS)
    if not isinstance(process, str) or not process.strip() or len(process) > MAX_KEY:
        errors["process"] = f"Harus berupa kunci proses (teks, 1-{MAX_KEY} karakter)."
    if not isinstance(data["data"], dict):
        errors["data"] = "Harus berupa objek JSON."
    if not isinstance(data.get("confirm_duplicate", False), bool):
        errors["confirm_duplicate"] = "Harus berupa true atau false."
    applicant = None
    try:
        applicant = _applicant(data.get("applicant"))
        if applicant is not None:
            applicant.check()
    except FormInvalid as invalid:
        errors |= invalid.errors
    if errors:
        raise FormInvalid(errors)
    return process, data["data"], applicant


@bp.post("/cases")
def start_case() -> Response:
    """File a request; the same Idempotency-Key again answers with the case it filed (200), filing nothing."""
    actor = caller()
    given = body(required=["data"], optional=["process", "applicant", "confirm_duplicate"])
    process, form, applicant = _new_case(given)
    key = _idempotency_key()
    try:
        view = case_service.start_case(
            ctx(),
            actor=actor,
            data=form,
            process_key=process,
            applicant=applicant,
            form_token=None if key is None else f"api:{actor.user_id}:{key}",  # a client's keys are its own
            warn_duplicates=given.get("confirm_duplicate") is not True,
        )
    except AlreadyFiled as filed:
        replayed = json_response(case_json(case_queries.get_case(ctx(), filed.case_id, actor)), 200)
        replayed.headers["Idempotent-Replayed"] = "true"
        return replayed
    except DuplicateSuspected as suspected:
        duplicates = [{"id": c.id, "number": c.number} for c in suspected.earlier]
        return json_response(
            {"error": "duplicate_suspected", "message": suspected.message, "duplicates": duplicates}, 409
        )
    return json_response(case_json(view), 201)


def _idempotency_key() -> str | None:
    """The request's Idempotency-Key header (None without one), refused when empty, long or not printable ASCII."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY or not (key.isascii() and key.isprintable()):
        raise BadRequest(f"Header Idempotency-Key harus 1-{MAX_IDEMPOTENCY_KEY} karakter ASCII yang dapat dicetak.")
    return key


@bp.get("/cases")
def list_cases() -> Response:
    """The cases the caller may read, newest first."""
    actor = caller()
    page, per_page = page_args()
    result = case_queries.list_cases(
        ctx(),
        actor=actor,
        status=request.args.get("status"),
        search=query_text("q"),
        page=page,
        per_page=per_page,
        count_limit=case_queries.COUNT_LIMIT,
    )
    return page_response(result, case_summary_json)


@bp.get("/cases/<uuid:case_id>")
def get_case(case_id: UUID) -> Response:
    """One case, with its service-level clocks."""
    case = case_queries.get_case(ctx(), case_id, caller())
    reads.record_read(ctx(), actor=caller(), type=reads.CASE_READ, case_id=case.id)
    pending = letter_jobs.pending_letters(ctx(), case.id, caller())
    return json_response(case_json(case) | {"letters_pending": [_pending_json(p) for p in pending]})


def _pending_json(letter: letter_jobs.PendingLetter) -> dict[str, Any]:
    """A letter numbered by its step and still being rendered ("sedang dibuat")."""
    return {"kind": letter.kind, "number": letter.number, "created_at": letter.created_at, "status": "sedang_dibuat"}


def _end(case_id: UUID, end: Any) -> Response:
    actor = caller()
    reason = body(required=["reason"])["reason"]
    if not isinstance(reason, str):
        raise FormInvalid({"reason": "Harus berupa teks."})
    return json_response(case_json(end(ctx(), actor=actor, case_ref=case_id, reason=reason)))


@bp.post("/cases/<uuid:case_id>/withdraw")
def withdraw_case(case_id: UUID) -> Response:
    """The victim withdraws her consent: the case ends as "withdrawn"."""
    return _end(case_id, case_service.withdraw_case)


@bp.post("/cases/<uuid:case_id>/stop")
def stop_case(case_id: UUID) -> Response:
    """The Ketua LP-PAR stops the case for the victim's safety."""
    return _end(case_id, case_service.stop_case)


@bp.post("/cases/<uuid:case_id>/duplicate")
def close_duplicate(case_id: UUID) -> Response:
    """The Ketua LP-PAR closes a case filed twice as "duplikat" of `original` (its number)."""
    actor = caller()
    given = body(required=["original", "reason"])
    errors = {name: "Harus berupa teks." for name in ("original", "reason") if not isinstance(given[name], str)}
    if errors:
        raise FormInvalid(errors)
    view = case_service.close_as_duplicate(
        ctx(), actor=actor, case_ref=str(case_id), original=given["original"], reason=given["reason"]
    )
    return json_response(case_json(view))


@bp.post("/cases/<uuid:case_id>/suspend")
def suspend_case(case_id: UUID) -> Response:
    """Suspend a case waiting on a third party (Ketua LP-PAR, admin): its tasks and clocks wait."""
    actor = caller()
    reason = body(required=["reason"])["reason"]
    if not isinstance(reason, str):
        raise FormInvalid({"reason": "Harus berupa teks."})
    return json_response(case_json(suspension.suspend_case(ctx(), actor=actor, case_ref=case_id, reason=reason)))


@bp.post("/cases/<uuid:case_id>/resume")
def resume_case(case_id: UUID) -> Response:
    """Resume a suspended case (Ketua LP-PAR, admin): its due moments move out by the working days it waited."""
    return json_response(case_json(suspension.resume_case(ctx(), actor=caller(), case_ref=case_id)))


def note_json(note: case_notes.NoteView) -> dict[str, Any]:
    """A case note as the API shows it."""
    return {
        "seq": note.seq,
        "at": note.at,
        "author": note.author,
        "username": note.username,
        "text": note.text,
        "for_applicant": note.for_applicant,
    }


@bp.get("/cases/<uuid:case_id>/notes")
def case_note_list(case_id: UUID) -> Response:
    """The case's notes, oldest first: all for its staff and the auditor, the applicant's for the applicant."""
    notes = case_notes.case_notes(ctx(), case_id, caller())
    reads.record_read(ctx(), actor=caller(), type=reads.CASE_READ, case_id=case_id, detail={"view": "notes"})
    return json_response([note_json(n) for n in notes])


@bp.post("/cases/<uuid:case_id>/notes")
def add_case_note(case_id: UUID) -> Response:
    """Add a note to the case (its staff), shown to the applicant when `for_applicant` is true."""
    actor = caller()
    given = body(required=["text"], optional=["for_applicant"])
    note = case_notes.add_note(
        ctx(), actor=actor, case_ref=case_id, text=given["text"], for_applicant=given.get("for_applicant", False)
    )
    return json_response(note_json(note), 201)


@bp.get("/cases/<uuid:case_id>/events")
def case_events(case_id: UUID) -> Response:
    """The case's history, oldest first."""
    events = case_queries.case_events(ctx(), case_id, caller())
    reads.record_read(ctx(), actor=caller(), type=reads.CASE_READ, case_id=case_id, detail={"view": "events"})
    return json_response(
        [
            {"seq": e.seq, "type": e.type, "task": e.element, "actor": e.actor, "at": e.at, "data": e.data}
            for e in events
        ]
    )


@bp.get("/cases/<uuid:case_id>/documents")
def case_documents(case_id: UUID) -> Response:
    """The case's documents."""
    documents = case_queries.case_documents(ctx(), case_id, caller())
    reads.record_read(ctx(), actor=caller(), type=reads.CASE_READ, case_id=case_id, detail={"view": "documents"})
    return json_response(
        [
            {
                "id": d.id,
                "kind": d.kind,
                "number": d.number,
                "filename": d.filename,
                "sha256": d.sha256,
                "created_at": d.created_at,
            }
            for d in documents
        ]
    )


@bp.get("/documents/<uuid:document_id>")
def get_document(document_id: UUID) -> Response:
    """A document's bytes."""
    view, content = case_queries.get_document(ctx(), document_id, caller())
    reads.record_read(
        ctx(),
        actor=caller(),
        type=reads.DOCUMENT_READ,
        case_id=view.case_id,
        detail={"document": str(view.id), "kind": view.kind, "sha256": view.sha256},
    )
    response = Response(content, mimetype=view.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{_ascii(view.filename)}"'
    response.headers["X-Content-SHA256"] = view.sha256
    return response


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
