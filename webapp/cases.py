"""Cases: the list, a case's page with its diagram, filing a request, and ending a case."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from engine.errors import AlreadyFiled, DuplicateSuspected, EarlierCase, FormInvalid, FormSpent
from engine.legal import follow_up
from engine.letters import kinds as letter_kinds
from engine.roles import Role
from engine.services import case_notes, follow_ups, letter_jobs, reads, suspension
from engine.services import cases as case_service
from engine.services import processes as process_service
from engine.services import queries as case_queries
from engine.services.queries import DocumentView
from engine.status import CaseStatus
from webapp import form_tokens
from webapp.formrender import group_action, parse_fields, render_fields
from webapp.web import actor, ctx, roles_required

bp = Blueprint("cases", __name__)
bp.add_app_template_global(form_tokens.new_token, "new_form_token")  # every form's one-time token
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
    "task_reassigned": "Tugas dialihkan",
    "document_uploaded": "Berkas diunggah",
    "document_issued": "Surat diterbitkan",
    "case_withdrawn": "Persetujuan korban dicabut",
    "case_stopped": "Dihentikan demi keselamatan",
    "case_cancelled": "Kasus dibatalkan",
    "case_closed_as_duplicate": "Ditutup sebagai duplikat",
    "case_migrated": "Dipindahkan ke versi proses baru",
    "timer_fired": "Timer berjalan",
    "sla_paused": "Jam layanan dijeda",
    "sla_resumed": "Jam layanan berjalan lagi",
    "case_note_added": "Catatan ditambahkan",
    "case_suspended": "Kasus ditangguhkan",
    "case_resumed": "Kasus dilanjutkan",
    "case_completed": "Kasus selesai",
    "follow_up_scheduled": "Pemantauan kesepakatan dijadwalkan",
    "screening_correction_requested": "Koreksi skrining diajukan",
    "screening_correction_confirmed": "Koreksi skrining dikonfirmasi",
    "screening_correction_refused": "Koreksi skrining ditolak",
}


def event_title(event_type: str, data: Any = None) -> str:
    """An event's name on the timeline; a follow-up's start (R12) is no applicant's request."""
    if event_type == "case_started" and isinstance(data, dict) and follow_up.STARTED in data:
        return "Pemantauan dimulai"
    return EVENT_TITLES.get(event_type, event_type)


@dataclass(frozen=True)
class StartPage:
    """A page that starts a case of one process, and its words."""

    process: str
    noun: str  # "Permohonan": what is filed
    button: str
    caller: str  # the legend over a walk-in (or phone) applicant's name and number
    offers_complaint: bool = False  # link to the complaint page


CONFIRM_DUPLICATE = "ajukan_tetap"  # the checkbox that files a request despite a likely duplicate
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
    mediation = not complaint and case.process_key != follow_up.PROCESS  # a follow-up has no screening
    screening = case_queries.case_screening(ctx(), case_id, person) if staff and mediation else None
    notes = case_notes.case_notes(ctx(), case_id, person)  # an applicant's: those marked for them
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
        notes=notes,
        follow_up=follow_ups.link_of(ctx(), case.id, person),
        notes_by_seq={note.seq: note for note in notes},
        may_note=case_notes.may_write_notes(person),
        may_suspend=suspension.may_suspend(person) and case.status == CaseStatus.OPEN,
        may_withdraw=case.status == CaseStatus.OPEN and mediation,
        may_stop=person.has_any(Role.KETUA_LPPAR) and case.status == CaseStatus.OPEN and not complaint,
        may_close_duplicate=person.has_any(Role.KETUA_LPPAR) and case.status == CaseStatus.OPEN and mediation,
        # Only an applicant or the fulltimer who filed for one reads a mediation case without being staff.
        may_complain=mediation and not staff and person.has_any(Role.PEMOHON, Role.FULLTIMER),
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


NOTE_FIELDS = {"text": "catatan", "for_applicant": "untuk_pemohon"}  # the service's field names -> the page's


@bp.route("/kasus/<uuid:case_id>/catatan", methods=["GET", "POST"])
@roles_required(Role.KETUA_LPPAR, Role.TIM_TEKNIS, Role.SEKRETARIS, Role.KEPALA_DINAS)
def add_note(case_id: UUID) -> ResponseReturnValue:
    """Staff working the case add a note ("Tambah catatan"), shown to the applicant when so marked."""
    case = case_queries.get_case(ctx(), case_id, actor())
    text, for_applicant = request.form.get("catatan", ""), request.form.get("untuk_pemohon") == "1"
    form = {"catatan": text, "untuk_pemohon": for_applicant}
    if request.method == "GET":
        reads.record_read(ctx(), actor=actor(), type=reads.CASE_READ, case_id=case.id, detail={"view": "catatan"})
        return render_template("cases/note.html", case=case, form=form, errors={})
    try:
        case_notes.add_note(ctx(), actor=actor(), case_ref=case_id, text=text, for_applicant=for_applicant)
    except FormInvalid as invalid:
        errors = {NOTE_FIELDS.get(k, k): v for k, v in invalid.errors.items()}
        return render_template("cases/note.html", case=case, form=form, errors=errors), 422
    flash("Catatan ditambahkan.", "info")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="catatan"))


@bp.route("/kasus/<uuid:case_id>/tangguhkan", methods=["GET", "POST"])
@roles_required(Role.KETUA_LPPAR)
def suspend(case_id: UUID) -> ResponseReturnValue:
    """The Ketua LP-PAR suspends a case waiting on a third party, with the reason."""
    case = case_queries.get_case(ctx(), case_id, actor())
    form = {"alasan": request.form.get("alasan", "")}
    if request.method == "GET":
        reads.record_read(ctx(), actor=actor(), type=reads.CASE_READ, case_id=case.id, detail={"view": "tangguhkan"})
        return render_template("cases/suspend.html", case=case, form=form, errors={})
    try:
        suspension.suspend_case(ctx(), actor=actor(), case_ref=case_id, reason=form["alasan"])
    except FormInvalid as invalid:
        errors = {"alasan": invalid.errors.get("reason", invalid.message)}
        return render_template("cases/suspend.html", case=case, form=form, errors=errors), 422
    flash("Kasus ditangguhkan: tugasnya menunggu dan jam layanannya dijeda sampai kasus dilanjutkan.", "info")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/kasus/<uuid:case_id>/lanjutkan")
@roles_required(Role.KETUA_LPPAR)
def resume(case_id: UUID) -> ResponseReturnValue:
    """The Ketua LP-PAR resumes a suspended case: its due moments move out by the working days it waited."""
    suspension.resume_case(ctx(), actor=actor(), case_ref=case_id)
    flash("Kasus dilanjutkan; tenggat dan pengingatnya bergeser sebanyak hari kerja selama ditangguhkan.", "info")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.route("/kasus/<uuid:case_id>/duplikat", methods=["GET", "POST"])
@roles_required(Role.KETUA_LPPAR)
def close_duplicate(case_id: UUID) -> ResponseReturnValue:
    """The Ketua LP-PAR closes a case filed twice as "duplikat" of the original, named by its number."""
    case = case_queries.get_case(ctx(), case_id, actor())
    form = {"asal": request.values.get("asal", "").strip(), "alasan": request.form.get("alasan", "")}
    if request.method == "GET":
        reads.record_read(ctx(), actor=actor(), type=reads.CASE_READ, case_id=case.id, detail={"view": "duplikat"})
        return render_template("cases/duplicate.html", case=case, form=form, errors={})
    try:
        view = case_service.close_as_duplicate(
            ctx(), actor=actor(), case_ref=str(case_id), original=form["asal"], reason=form["alasan"]
        )
    except FormInvalid as invalid:
        errors = {DUPLICATE_FIELDS.get(k, k): v for k, v in invalid.errors.items()}
        return render_template("cases/duplicate.html", case=case, form=form, errors=errors), 422
    flash(f"Kasus {view.number} ditutup sebagai duplikat dari {form['asal'].upper()}.", "info")
    return redirect(url_for("cases.show", case_id=case_id))


DUPLICATE_FIELDS = {"original": "asal", "reason": "alasan"}  # the service's field names -> the page's


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
        # The token stays in the address (form-token.js) and the page in the history (not no-store): Back
        # shows this form with its token again.
        shown = form_tokens.address_token() or form_tokens.new_token()
        fresh = _FilingForm(page, schema, walk_in, {}, shown).render(given, {})
        return fresh[0], fresh[1], {"Cache-Control": "private, no-cache"}
    token = form_tokens.posted_token()
    applicant = {k: request.form.get(f"pemohon_{k}", "").strip() for k in ("nama", "telepon", "alamat")}
    form = _FilingForm(page, schema, walk_in, applicant, token or form_tokens.new_token())
    data, errors = parse_fields(schema, request.form, request.files, _refuse_files)
    action = group_action(request.form)
    if action is not None:
        return form.render(data, {}, extra={action[1]: 1} if action[0] == "add" else {})
    if errors:
        return form.render(data, errors, status=422)
    try:
        view = case_service.start_case(
            ctx(),
            actor=actor(),
            data=data,
            process_key=page.process,
            applicant=_walk_in(applicant, walk_in),
            form_token=token,
            warn_duplicates=request.form.get(CONFIRM_DUPLICATE) != "1",
        )
    except FormInvalid as invalid:
        return form.render(data, invalid.errors, status=422)
    except AlreadyFiled as filed:  # Back and submit, a second click, a second tab: the first filing stands
        flash(f"{page.noun} ini sudah diajukan sebagai {filed.number}; tidak ada {page.noun.lower()} baru.", "info")
        return redirect(url_for("cases.show", case_id=filed.case_id))
    except FormSpent as spent:  # another person's token: a fresh one, and the form as it was
        return replace(form, token=form_tokens.new_token()).render(data, {"_form": spent.message}, status=409)
    except DuplicateSuspected as suspected:
        return form.render(data, {}, duplicates=suspected.earlier, status=409)
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


@dataclass(frozen=True)
class _FilingForm:
    """The filing form as one request shows it: its page, form, walk-in applicant's fields and one-time token."""

    page: StartPage
    schema: dict[str, Any]
    walk_in: bool
    applicant: dict[str, str]
    token: str

    def render(
        self,
        values: dict[str, Any],
        errors: dict[str, str],
        *,
        extra: dict[str, int] | None = None,
        duplicates: list[EarlierCase] | None = None,
        status: int = 200,
    ) -> tuple[str, int]:
        """The page with `values`, `errors` beside their fields, and a likely duplicate's warning."""
        return render_template(
            "cases/new.html",
            page=self.page,
            schema=self.schema,
            walk_in=self.walk_in,
            form_token=self.token,
            duplicates=duplicates or [],
            form_error=errors.get("_form"),
            applicant=self.applicant,
            fields=render_fields(self.schema, values, errors, extra_groups=extra),
            applicant_errors={k.removeprefix("applicant."): v for k, v in errors.items() if k.startswith("applicant.")},
            error_count=len(errors),
        ), status


def _document_detail(view: DocumentView) -> dict[str, str]:
    return {"document": str(view.id), "kind": view.kind, "sha256": view.sha256}
