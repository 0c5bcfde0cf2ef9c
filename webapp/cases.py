"""Cases: the list, a case's page with its diagram, filing a request, and ending a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from engine.errors import FormInvalid
from engine.letters import kinds as letter_kinds
from engine.roles import Role
from engine.services import cases as case_service
from engine.services import letter_jobs, reads
from engine.services import processes as process_service
from engine.services import queries as case_queries
from engine.services.queries import DocumentView
from engine.status import CaseStatus
from webapp.formrender import group_action, parse_fields, render_fields
from webapp.web import actor, ctx, roles_required

bp = Blueprint("cases", __name__)
READERS = (
    Role.PEMOHON,
    Role.FULLTIMER,
    Role.KETUA_LPPAR,
    Role.TIM_TEKNIS,
    Role.SEKRETARIS,
    Role.KEPALA_DINAS,
    Role.AUDITOR,
)
STAFF = (Role.KETUA_LPPAR, Role.TIM_TEKNIS, Role.SEKRETARIS, Role.KEPALA_DINAS, Role.AUDITOR)
EVENT_TITLES = {
    "case_started": "Permohonan diajukan",
    "task_completed": "Tugas diselesaikan",
    "task_claimed": "Tugas diambil",
    "task_released": "Tugas dilepas",
    "document_uploaded": "Berkas diunggah",
    "document_issued": "Surat diterbitkan",
    "case_withdrawn": "Persetujuan korban dicabut",
    "case_stopped": "Dihentikan demi keselamatan",
    "case_cancelled": "Kasus dibatalkan",
    "case_migrated": "Dipindahkan ke versi proses baru",
    "timer_fired": "Timer berjalan",
    "sla_paused": "Jam layanan dijeda",
    "sla_resumed": "Jam layanan berjalan lagi",
    "case_completed": "Kasus selesai",
    "screening_correction_requested": "Koreksi skrining diajukan",
    "screening_correction_confirmed": "Koreksi skrining dikonfirmasi",
    "screening_correction_refused": "Koreksi skrining ditolak",
}


@dataclass(frozen=True)
class StartPage:
    """A page that starts a case of one process, and its words."""

    process: str
    noun: str  # "Permohonan": what is filed
    button: str
    caller: str  # the legend over a walk-in (or phone) applicant's name and number
    offers_complaint: bool = False  # link to the complaint page


REQUEST = StartPage(
    case_service.DEFAULT_PROCESS,
    "Permohonan",
    "Ajukan permohonan",
    "Pemohon yang datang langsung",
    offers_complaint=True,
)
COMPLAINT = StartPage(
    "pengaduan_layanan",
    "Pengaduan",
    "Kirim pengaduan",
    "Pemohon yang menyampaikan pengaduan (datang langsung atau menelepon)",
)


@bp.get("/kasus")
@roles_required(*READERS)
def index() -> ResponseReturnValue:
    """The cases this person may read: search by number or name, filter by status, page by page."""
    search, status = request.args.get("q", "").strip(), request.args.get("status") or None
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    result = case_queries.list_cases(
        ctx(),
        actor=actor(),
        status=status,
        search=search,
        page=page,
        per_page=20,
        count_limit=case_queries.COUNT_LIMIT,
    )
    return render_template(
        "cases/list.html",
        result=result,
        search=search,
        status=status,
        staff=actor().has_any(*STAFF),
    )


@bp.get("/kasus/<uuid:case_id>")
@roles_required(*READERS)
def show(case_id: UUID) -> ResponseReturnValue:
    """A case: status, tasks, documents; for staff also its timeline and diagram."""
    person = actor()
    case = case_queries.get_case(ctx(), case_id, person)
    reads.record_read(ctx(), actor=person, type=reads.CASE_READ, case_id=case.id)
    staff = person.has_any(*STAFF)
    events = case_queries.case_events(ctx(), case_id, person) if staff else []
    documents = case_queries.case_documents(ctx(), case_id, person)  # an applicant's own uploads and letters
    pending = letter_jobs.pending_letters(ctx(), case.id, person)  # numbered, rendered within seconds
    complaint = case.process_key == COMPLAINT.process
    screening = case_queries.case_screening(ctx(), case_id, person) if staff and not complaint else None
    return render_template(
        "cases/case.html",
        case=case,
        screening=screening,
        events=events,
        documents=documents,
        pending_letters=pending,
        staff=staff,
        complaint=complaint,
        letter_title=letter_kinds.title_of,
        may_withdraw=case.status == CaseStatus.OPEN and not complaint,
        may_stop=person.has_any(Role.KETUA_LPPAR) and case.status == CaseStatus.OPEN and not complaint,
        # Only an applicant or the fulltimer who filed for one reads a mediation case without being staff.
        may_complain=not complaint and not staff and person.has_any(Role.PEMOHON, Role.FULLTIMER),
    )


@bp.get("/kasus/<uuid:case_id>/diagram")
@roles_required(*STAFF)
def diagram(case_id: UUID) -> Response:
    """The case's diagram with its progress, for the bpmn-js viewer."""
    person = actor()
    view = case_queries.case_diagram(ctx(), case_id, person)
    reads.record_read(ctx(), actor=person, type=reads.CASE_READ, case_id=case_id, detail={"view": "diagram"})
    return Response(
        view.xml,
        mimetype="application/xml",
        headers={"X-Completed": ",".join(view.completed), "X-Active": ",".join(view.active)},
    )


@bp.get("/kasus/<uuid:case_id>/dokumen/<uuid:document_id>")
@roles_required(*READERS)
def document(case_id: UUID, document_id: UUID) -> Response:
    """Download a document of the case."""
    person = actor()
    view, content = case_queries.get_document(ctx(), document_id, person)
    if view.case_id != case_id:
        abort(404)
    reads.record_read(ctx(), actor=person, type=reads.DOCUMENT_READ, case_id=case_id, detail=_document_detail(view))
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in view.filename)
    return Response(
        content, mimetype=view.media_type, headers={"Content-Disposition": f'attachment; filename="{safe}"'}
    )


@bp.post("/kasus/<uuid:case_id>/cabut")
@roles_required(Role.PEMOHON, Role.FULLTIMER, Role.KETUA_LPPAR)
def withdraw(case_id: UUID) -> ResponseReturnValue:
    """The victim withdraws her consent."""
    case_service.withdraw_case(ctx(), actor=actor(), case_ref=case_id, reason=request.form.get("alasan", ""))
    flash("Persetujuan dicabut; kasus dihentikan.", "info")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/kasus/<uuid:case_id>/hentikan")
@roles_required(Role.KETUA_LPPAR)
def stop(case_id: UUID) -> ResponseReturnValue:
    """The Ketua LP-PAR stops the case for the victim's safety."""
    case_service.stop_case(ctx(), actor=actor(), case_ref=case_id, reason=request.form.get("alasan", ""))
    flash("Kasus dihentikan demi keselamatan.", "info")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/permohonan/baru", methods=["GET", "POST"])
@roles_required(Role.PEMOHON, Role.FULLTIMER)
def new() -> ResponseReturnValue:
    """File a request: for oneself, or (fulltimer) for a walk-in applicant."""
    return _start(REQUEST, {})


@bp.route("/pengaduan/baru", methods=["GET", "POST"])
@roles_required(Role.PEMOHON, Role.FULLTIMER)
def new_complaint() -> ResponseReturnValue:
    """File a complaint about the service: an applicant for themselves, or the fulltimer for a caller.

    `?kasus=MED-2026-0001` fills in the case it is about (the button on a case page).
    """
    walk_in = actor().has_any(Role.FULLTIMER)
    given = {"saluran": "telepon" if walk_in else "langsung"}
    number = request.args.get("kasus", "").strip().upper()
    if number:
        given["nomor_kasus"] = number
    return _start(COMPLAINT, given)


def _start(page: StartPage, given: dict[str, Any]) -> ResponseReturnValue:
    process = process_service.get_process(ctx(), page.process)
    schema = process.start_form or {"type": "object", "properties": {}}
    walk_in = actor().has_any(Role.FULLTIMER)
    if request.method == "GET":
        return _render_new(page, schema, given, {}, walk_in)
    data, errors = parse_fields(schema, request.form, request.files, _refuse_files)
    applicant = {k: request.form.get(f"pemohon_{k}", "").strip() for k in ("nama", "telepon", "alamat")}
    action = group_action(request.form)
    if action is not None:
        return _render_new(page, schema, data, {}, walk_in, applicant, {action[1]: 1} if action[0] == "add" else {})
    if errors:
        return _render_new(page, schema, data, errors, walk_in, applicant, status=422)
    try:
        view = case_service.start_case(
            ctx(), actor=actor(), data=data, process_key=page.process, applicant=_walk_in(applicant, walk_in)
        )
    except FormInvalid as invalid:
        return _render_new(page, schema, data, invalid.errors, walk_in, applicant, status=422)
    flash(f"{page.noun} diterima dengan nomor {view.number}.", "info")
    return redirect(url_for("cases.show", case_id=view.id))


def _refuse_files(path: str, _upload: FileStorage) -> str:
    # The request does not exist yet when its form is first sent; files are attached to later tasks.
    raise FormInvalid({path: "Lampirkan berkas setelah permohonan diajukan, pada tugas Lengkapi berkas."})


def _walk_in(applicant: dict[str, str], walk_in: bool) -> case_service.WalkInApplicant | None:
    if not walk_in:
        return None
    return case_service.WalkInApplicant(
        nama=applicant["nama"], telepon=applicant["telepon"], alamat=applicant["alamat"] or None
    )


def _render_new(
    page: StartPage,
    schema: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    walk_in: bool,
    applicant: dict[str, str] | None = None,
    extra: dict[str, int] | None = None,
    *,
    status: int = 200,
) -> ResponseReturnValue:
    return render_template(
        "cases/new.html",
        page=page,
        schema=schema,
        walk_in=walk_in,
        applicant=applicant or {},
        fields=render_fields(schema, values, errors, extra_groups=extra),
        applicant_errors={k.removeprefix("applicant."): v for k, v in errors.items() if k.startswith("applicant.")},
        error_count=len(errors),
    ), status


def _document_detail(view: DocumentView) -> dict[str, str]:
    return {"document": str(view.id), "kind": view.kind, "sha256": view.sha256}
