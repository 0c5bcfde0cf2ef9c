"""Audit pages: case search by history, a case replayed step by step, evidence, who read what, the chains."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.casework.views import CaseView, EventView
from engine.errors import InvalidInput, NotFound
from engine.events import ACCESS_CHAIN, SYSTEM_CHAIN
from engine.roles import Role
from engine.services import audit as audit_service
from engine.services import audit_search, evidence, reads, replays
from engine.services import processes as process_service
from engine.services import queries as case_queries
from engine.services.audit_search import CaseHit
from engine.services.queries import Page
from webapp.cases import EVENT_TITLES
from webapp.templating import people, when
from webapp.web import actor, ctx, evidence_download, roles_required

bp = Blueprint("audit", __name__, url_prefix="/audit")
AUDITOR = (Role.AUDITOR,)
WATCHERS = (Role.AUDITOR, Role.DPO)
# The shared chains by their Indonesian slug in the URL, and their titles.
CHAINS = {"akses": ACCESS_CHAIN, "sistem": SYSTEM_CHAIN}
CHAIN_TITLES = {"akses": "Log akses", "sistem": "Rantai sistem"}
SHARED_EVENT_TITLES = {
    reads.CASE_READ: "Membuka kasus",
    reads.TASK_READ: "Membuka tugas",
    reads.DOCUMENT_READ: "Mengunduh dokumen",
    reads.EVIDENCE_EXPORTED: "Mengekspor paket bukti",
    reads.STATISTICS_EXPORTED: "Mengekspor data statistik",
    "user_created": "Akun dibuat",
    "user_activated": "Akun diaktifkan",
    "user_deactivated": "Akun dinonaktifkan",
    "password_reset": "Kata sandi diatur ulang",
    "api_token_created": "Token API dibuat",
    "user_logged_in": "Masuk",
    "user_logged_out": "Keluar",
    "login_failed": "Gagal masuk",
    "process_deployed": "Proses diterapkan",
    audit_service.ANCHOR_EVENT: "Jangkar audit dicatat",
    "calendar_override_added": "Hari kerja/libur ditetapkan",
    "calendar_override_removed": "Penetapan hari kerja/libur dihapus",
    "user_email_set": "Alamat email akun diubah",
    "substitute_set": "Pengganti ditunjuk",
    "substitute_cleared": "Pengganti dihapus",
}
SEARCH_FIELDS = ("pelaku", "tugas", "dari", "sampai")


@bp.context_processor
def titles() -> dict[str, Any]:
    """Indonesian names of every event type, for the audit templates."""
    return {"audit_event_title": lambda t: SHARED_EVENT_TITLES.get(t) or EVENT_TITLES.get(t, t)}


@bp.get("")
@roles_required(*WATCHERS)
def index() -> ResponseReturnValue:
    """The auditor's case search by who acted, on which task, between which days; links to the chains."""
    form = {name: request.args.get(name, "").strip() for name in SEARCH_FIELDS}
    if not actor().has_any(*AUDITOR):
        return render_template("audit/index.html", form=form, query={}, errors={}, result=None)
    result, errors = _search(form)
    query = {name: value for name, value in form.items() if value}  # kept in the paging links
    choices = process_service.task_titles(ctx())
    return render_template(
        "audit/index.html", form=form, query=query, errors=errors, result=result, task_choices=choices
    ), (422 if errors else 200)


@bp.post("/periksa")
@roles_required(*AUDITOR)
def verify_all() -> ResponseReturnValue:
    """Recompute every hash chain now and say whether they hold."""
    verification = audit_service.verify(ctx())
    flash(verification.summary(), "info" if verification.ok else "galat")
    return redirect(url_for("audit.index"))


@bp.get("/akses")
@roles_required(*WATCHERS)
def access_by_number() -> ResponseReturnValue:
    """Find a case's access log by its number (the dpo knows cases by number from the access chain)."""
    number = request.args.get("nomor", "").strip()
    try:
        case_id = case_queries.get_case(ctx(), number).id if number else None
    except NotFound:
        case_id = None
    if case_id is None:
        flash(f"Kasus {number or 'tanpa nomor'} tidak ditemukan.", "galat")
        return redirect(url_for("audit.index"))
    return redirect(url_for("audit.access", case_id=case_id))


@bp.get("/kasus/<uuid:case_id>")
@roles_required(*AUDITOR)
def case(case_id: UUID) -> ResponseReturnValue:
    """A case for the auditor: chain status, evidence, timeline, and the step-by-step replay."""
    person = actor()
    view = case_queries.get_case(ctx(), case_id, person)
    reads.record_read(ctx(), actor=person, type=reads.CASE_READ, case_id=view.id, detail={"view": "audit"})
    events = case_queries.case_events(ctx(), case_id, person)
    status = audit_service.chain_status(ctx(), actor=person, case_ref=str(case_id))
    return render_template(
        "audit/case.html",
        case=view,
        events=events,
        status=status,
        checked_at=ctx().clock.now(),
        replay_info=_replay_info(view, events, replays.field_titles(ctx(), case_ref=case_id, actor=person)),
    )


@bp.post("/kasus/<uuid:case_id>/periksa")
@roles_required(*AUDITOR)
def check_chain(case_id: UUID) -> ResponseReturnValue:
    """Recompute the case's chain now: JSON for the page's script, a small page without it."""
    status = audit_service.chain_status(ctx(), actor=actor(), case_ref=str(case_id))
    checked_at = when(ctx().clock.now())
    if request.accept_mimetypes.best == "application/json":
        return jsonify({**status.as_json(), "checked_at": checked_at})
    number = case_queries.get_case(ctx(), case_id, actor()).number
    return render_template(
        "audit/chain_check.html", case_id=case_id, number=number, status=status, checked_at=checked_at
    )


@bp.get("/kasus/<uuid:case_id>/putar-ulang.json")
@roles_required(*AUDITOR)
def replay(case_id: UUID) -> Response:
    """The case replayed from its events, every step with its data: a read of its own, logged."""
    person = actor()
    report = replays.replay_case(ctx(), case_ref=case_id, actor=person)
    reads.record_read(ctx(), actor=person, type=reads.CASE_READ, case_id=case_id, detail={"view": "replay"})
    return jsonify(report.as_json())


@bp.get("/kasus/<uuid:case_id>/diagram/<int:definition_id>")
@roles_required(*AUDITOR)
def version_diagram(case_id: UUID, definition_id: int) -> Response:
    """The BPMN of a version the case ran on: the slider shows steps before a migration on their own."""
    xml = replays.version_diagram(ctx(), case_ref=case_id, actor=actor(), definition_id=definition_id)
    return Response(xml, mimetype="application/xml")


@bp.get("/kasus/<uuid:case_id>/bukti")
@roles_required(*AUDITOR)
def evidence_package(case_id: UUID) -> Response:
    """The case's evidence package as a ZIP download (the export logs itself)."""
    return evidence_download(evidence.export_evidence(ctx(), actor=actor(), case_ref=case_id))


@bp.get("/kasus/<uuid:case_id>/akses")
@roles_required(*WATCHERS)
def access(case_id: UUID) -> ResponseReturnValue:
    """Who read the case and when, newest first."""
    result = reads.case_access(ctx(), actor=actor(), case_ref=case_id, page=_page(), per_page=50)
    number = case_queries.get_case(ctx(), case_id).number  # the log authorised this person; only the number shows
    return render_template("audit/access.html", case_id=case_id, number=number, result=result)


@bp.get("/rantai/<slug>")
@roles_required(*WATCHERS)
def chain(slug: str) -> ResponseReturnValue:
    """A page of the access or the system chain, newest first."""
    if slug not in CHAINS:
        raise NotFound("Rantai tidak dikenal.")
    result = audit_search.chain_events(ctx(), actor=actor(), chain=CHAINS[slug], page=_page(), per_page=50)
    return render_template("audit/chain.html", slug=slug, title=CHAIN_TITLES[slug], result=result)


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def _search(form: dict[str, str]) -> tuple[Page[CaseHit] | None, dict[str, str]]:
    errors: dict[str, str] = {}
    since = _day(form, "dari", "Tanggal awal", errors)
    until = _day(form, "sampai", "Tanggal akhir", errors)
    if errors:
        return None, errors
    try:
        hits = audit_search.search_cases(
            ctx(), actor=actor(), who=form["pelaku"], task=form["tugas"], since=since, until=until, page=_page()
        )
    except InvalidInput as invalid:  # the days are in the wrong order
        return None, {"sampai": invalid.message}
    return hits, errors


def _day(form: dict[str, str], name: str, label: str, errors: dict[str, str]) -> date | None:
    try:
        return audit_search.parse_day(form[name], label)
    except InvalidInput as invalid:
        errors[name] = invalid.message
        return None


def _replay_info(view: CaseView, events: list[EventView], fields: replays.FieldTitles) -> dict[str, Any]:
    """What the replay script needs besides the replay: local times, task and event titles, who acted
    (full names, looked up once for the page and its timeline), and the titles of fields and their values."""
    titles = {e.element: e.title for e in events if e.element and e.title}
    titles.update({t.element: t.title for t in view.tasks})
    names = people(e.actor for e in events)
    return {
        "times": {str(e.seq): when(e.at) for e in events},
        "titles": titles,
        "events": EVENT_TITLES,
        "people": {e.actor: names[e.actor] for e in events if e.actor},
        "fields": fields.as_json(),
    }
