"""Process pages for process owners: every version, its diagram, XML and forms; drafts in the modeler."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from engine.errors import DeploymentInvalid, InvalidInput, MediasiError, Problem
from engine.roles import APPLICANT, ROLE_TITLES, STAFF_LANE_ROLES, Role
from engine.services import migration
from engine.services import process_drafts as drafts
from engine.titles import OUTCOME_TITLES
from webapp.formrender import render_fields
from webapp.security import PAGE_STATUS
from webapp.web import actor, ctx, roles_required

bp = Blueprint("processes", __name__, url_prefix="/proses")
OWNER = Role.PROCESS_OWNER
STATUS_TITLES = {
    drafts.DRAFT: "Draf",
    drafts.SUBMITTED: "Menunggu persetujuan",
    drafts.DEPLOYED: "Sudah diterapkan",
}
NEW_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "",
    "description": "",
    "type": "object",
    "properties": {},
    "required": [],
    "additionalProperties": False,
}
# Marker classes of a version diff on the diagrams (app.css colours all but layout-only moves).
DIFF_MARKERS = {"added": "beda-tambah", "changed": "beda-ubah", "removed": "beda-hapus", "moved": "beda-geser"}
# Who may work a lane, as the side panel offers them: the case's own applicant, then the staff roles.
LANE_CHOICES = [(APPLICANT, "Pemohon kasus itu sendiri (applicant)")] + [
    (role.value, ROLE_TITLES.get(role.value, role.value)) for role in Role if role in STAFF_LANE_ROLES
]
F = TypeVar("F", bound=Callable[..., Any])


def json_errors(view: F) -> F:
    """Answer engine errors of a JSON endpoint as `{error, message, problems?}` with their status."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except MediasiError as error:
            status = next((code for kind, code in PAGE_STATUS if isinstance(error, kind)), 500)
            body: dict[str, Any] = {"error": type(error).__name__, "message": error.message}
            if isinstance(error, DeploymentInvalid):
                body["problems"] = [_problem(p) for p in error.problems]
            return jsonify(body), status

    return guarded  # type: ignore[return-value]


@bp.context_processor
def titles() -> dict[str, Any]:
    """Indonesian names of draft statuses, for these templates."""
    return {"draft_status": lambda s: STATUS_TITLES.get(s, s)}


# -- deployed versions ----------------------------------------------------------------------------


@bp.get("")
@roles_required(OWNER)
def index() -> ResponseReturnValue:
    """Every process and version (who, when, open cases), and the drafts being worked on."""
    processes = drafts.list_versions(ctx(), actor=actor())
    return render_template(
        "processes/index.html",
        processes=processes,
        drafts=drafts.list_drafts(ctx(), actor=actor()),
        approval=ctx().settings.deploy_approval,
    )


@bp.get("/<key>/<int:version>")
@roles_required(OWNER)
def version(key: str, version: int) -> ResponseReturnValue:
    """One version: its diagram, and links to its XML, its forms and a draft copy."""
    detail = drafts.get_version(ctx(), actor=actor(), key=key, version=version)
    return render_template("processes/version.html", detail=detail, others=_versions_of(key))


@bp.get("/<key>/<int:version>/xml")
@roles_required(OWNER)
def xml(key: str, version: int) -> Response:
    """The version's BPMN XML, exactly as stored, as a download."""
    detail = drafts.get_version(ctx(), actor=actor(), key=key, version=version)
    return Response(
        detail.xml.encode("utf-8"),
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{_safe(key)}-v{version}.bpmn"'},
    )


@bp.get("/<key>/<int:version>/formulir")
@roles_required(OWNER)
def forms(key: str, version: int) -> ResponseReturnValue:
    """The version's forms and lane map, read-only."""
    detail = drafts.get_version(ctx(), actor=actor(), key=key, version=version)
    shown = {name: json.dumps(schema, ensure_ascii=False, indent=2) for name, schema in sorted(detail.forms.items())}
    return render_template("processes/forms.html", detail=detail, forms=shown)


@bp.get("/<key>/<int:version>/formulir/<name>")
@roles_required(OWNER)
def form_json(key: str, version: int, name: str) -> Response:
    """One form of the version as JSON."""
    detail = drafts.get_version(ctx(), actor=actor(), key=key, version=version)
    if name not in detail.forms:
        return Response(status=404)
    return Response(json.dumps(detail.forms[name], ensure_ascii=False, indent=2), mimetype="application/json")


@bp.post("/<key>/<int:version>/draf")
@roles_required(OWNER)
def new_draft(key: str, version: int) -> ResponseReturnValue:
    """Copy the version into a new draft and open it ("Ubah di modeler")."""
    draft_id = drafts.create_draft(ctx(), actor=actor(), key=key, version=version)
    return redirect(url_for("processes.draft", draft_id=draft_id))


@bp.get("/<key>/diff")
@roles_required(OWNER)
def diff(key: str) -> ResponseReturnValue:
    """What changed between two versions: the list, and the elements coloured on both diagrams."""
    old, new = _version_pair()
    before = drafts.get_version(ctx(), actor=actor(), key=key, version=old)
    after = drafts.get_version(ctx(), actor=actor(), key=key, version=new)
    changes = migration.version_diff(ctx(), key=key, from_version=old, to_version=new, actor=actor())
    marks = {side: {i: DIFF_MARKERS[kind] for i, kind in m.items()} for side, m in changes.marks().items()}
    return render_template(
        "processes/diff.html",
        before=before.version,
        after=after.version,
        changes=changes,
        versions=_versions_of(key),
        marks={side: json.dumps(m) for side, m in marks.items()},
    )


@bp.route("/<key>/pindah", methods=["GET", "POST"])
@roles_required(OWNER)
def migrate(key: str) -> ResponseReturnValue:
    """Move running cases from version `dari` to `ke`: a dry run for every case, then the chosen ones."""
    old, new = _version_pair()
    results: list[migration.CaseMigration] = []
    if request.method == "POST":
        chosen = request.form.getlist("kasus")
        if not chosen:
            flash("Pilih kasus yang akan dipindahkan.", "galat")
        else:
            results = migration.migrate_cases(
                ctx(), actor=actor(), key=key, from_version=old, to_version=new, case_refs=chosen
            )
            moved = sum(r.migrated for r in results)
            flash(f"{moved} dari {len(results)} kasus dipindahkan ke versi {new}.", "info" if moved else "galat")
    plans = migration.plan_migration(ctx(), actor=actor(), key=key, from_version=old, to_version=new)
    return render_template("processes/migrate.html", key=key, old=old, new=new, plans=plans, results=results)


def _version_pair() -> tuple[int, int]:
    try:
        return int(request.args.get("dari", "")), int(request.args.get("ke", ""))
    except ValueError:
        raise InvalidInput("Pilih dua versi (?dari=N&ke=M).") from None


# -- drafts ---------------------------------------------------------------------------------------


@bp.get("/draf/<uuid:draft_id>")
@roles_required(OWNER)
def draft(draft_id: UUID) -> ResponseReturnValue:
    """The modeler on a draft, with its side panel, forms and buttons."""
    view = drafts.get_draft(ctx(), actor=actor(), draft_id=draft_id)
    approval = ctx().settings.deploy_approval
    return render_template(
        "processes/modeler.html",
        draft=view,
        approval=approval,
        may_approve=approval and view.status == drafts.SUBMITTED and view.submitted_by != actor().username,
        lane_choices=json.dumps(LANE_CHOICES, ensure_ascii=False),
        outcomes=json.dumps(sorted(OUTCOME_TITLES.items()), ensure_ascii=False),
    )


@bp.get("/draf/<uuid:draft_id>/isi")
@roles_required(OWNER)
@json_errors
def draft_content(draft_id: UUID) -> ResponseReturnValue:
    """What the modeler loads: the diagram, the lane map, the form names and the revision."""
    view = drafts.get_draft(ctx(), actor=actor(), draft_id=draft_id)
    return jsonify(
        {
            "xml": view.xml,
            "lane_roles": view.lane_roles,
            "forms": sorted(view.forms),
            "revision": view.revision,
            "status": view.status,
        }
    )


@bp.post("/draf/<uuid:draft_id>/simpan")
@roles_required(OWNER)
@json_errors
def save(draft_id: UUID) -> ResponseReturnValue:
    """Save the modeler's XML and lane map ("Simpan draf"), based on the revision it loaded."""
    body = _json_body()
    xml = body.get("xml")
    if not isinstance(xml, str):
        raise InvalidInput("Kirim diagram sebagai teks XML.")
    revision = drafts.save_draft(
        ctx(),
        actor=actor(),
        draft_id=draft_id,
        revision=_revision(body.get("revision")),
        xml=xml.encode("utf-8"),
        lane_roles=body.get("lane_roles"),
    )
    return jsonify({"revision": revision})


@bp.post("/draf/<uuid:draft_id>/validasi")
@roles_required(OWNER)
@json_errors
def validate(draft_id: UUID) -> ResponseReturnValue:
    """The deploy validator's findings on the saved draft ("Validasi"), each with its element."""
    problems = drafts.validate_draft(ctx(), actor=actor(), draft_id=draft_id)
    return jsonify({"ok": not problems, "problems": [_problem(p) for p in problems]})


@bp.post("/draf/<uuid:draft_id>/terapkan")
@roles_required(OWNER)
@json_errors
def deploy(draft_id: UUID) -> ResponseReturnValue:
    """Deploy the saved draft ("Terapkan"), or submit it for a second process owner's approval."""
    body = _json_body()
    done = drafts.deploy_draft(ctx(), actor=actor(), draft_id=draft_id, revision=_revision(body.get("revision")))
    return jsonify(_deployment(done, draft_id))


@bp.post("/draf/<uuid:draft_id>/setujui")
@roles_required(OWNER)
def approve(draft_id: UUID) -> ResponseReturnValue:
    """A second process owner approves a submitted draft: it goes live."""
    revision = _revision(request.form.get("revision"))
    try:
        done = drafts.approve_draft(ctx(), actor=actor(), draft_id=draft_id, revision=revision)
    except DeploymentInvalid as invalid:
        flash(f"Draf tidak dapat diterapkan: {len(invalid.problems)} masalah; jalankan Validasi.", "galat")
        return redirect(url_for("processes.draft", draft_id=draft_id))
    return redirect(_deployment(done, draft_id)["url"])


@bp.post("/draf/<uuid:draft_id>/kembalikan")
@roles_required(OWNER)
def send_back(draft_id: UUID) -> ResponseReturnValue:
    """Take a submitted draft back for more changes."""
    drafts.return_draft(ctx(), actor=actor(), draft_id=draft_id)
    flash("Draf dikembalikan; ajukan lagi dengan Terapkan setelah diubah.", "info")
    return redirect(url_for("processes.draft", draft_id=draft_id))


@bp.post("/draf/<uuid:draft_id>/hapus")
@roles_required(OWNER)
def delete(draft_id: UUID) -> ResponseReturnValue:
    """Throw a draft away."""
    drafts.delete_draft(ctx(), actor=actor(), draft_id=draft_id)
    flash("Draf dihapus.", "info")
    return redirect(url_for("processes.index"))


@bp.get("/draf/<uuid:draft_id>/formulir-baru")
@roles_required(OWNER)
def new_form(draft_id: UUID) -> ResponseReturnValue:
    """Open the form editor on a new form name."""
    name = request.args.get("nama", "").strip()
    if name and not name.endswith(".json"):
        name += ".json"
    try:
        drafts.check_form(name, json.dumps(NEW_FORM))
    except InvalidInput as invalid:
        flash(invalid.message, "galat")
        return redirect(url_for("processes.draft", draft_id=draft_id))
    return redirect(url_for("processes.form_editor", draft_id=draft_id, name=name))


@bp.route("/draf/<uuid:draft_id>/formulir/<name>", methods=["GET", "POST"])
@roles_required(OWNER)
def form_editor(draft_id: UUID, name: str) -> ResponseReturnValue:
    """Edit one form's JSON Schema with a live preview; saving checks it as a deploy does."""
    view = drafts.get_draft(ctx(), actor=actor(), draft_id=draft_id)
    if request.method == "GET":
        text = view.forms.get(name) or json.dumps(NEW_FORM, ensure_ascii=False, indent=2)
        return _render_form_editor(view, name, text)
    text = request.form.get("skema", "")
    try:
        drafts.save_form(ctx(), actor=actor(), draft_id=draft_id, name=name, text=text)
    except InvalidInput as invalid:
        return _render_form_editor(view, name, text, error=invalid.message, status=422)
    flash(f"Formulir {name} disimpan di draf.", "info")
    return redirect(url_for("processes.form_editor", draft_id=draft_id, name=name))


@bp.post("/draf/<uuid:draft_id>/formulir/<name>/pratinjau")
@roles_required(OWNER)
@json_errors
def form_preview(draft_id: UUID, name: str) -> ResponseReturnValue:
    """The form as a user will see it, rendered by the same code as task pages; or why it cannot be."""
    drafts.get_draft(ctx(), actor=actor(), draft_id=draft_id)
    html, error = _preview(name, _json_body().get("skema"))
    return jsonify({"ok": error is None, "message": error, "html": str(html)})


# -- helpers --------------------------------------------------------------------------------------


def _versions_of(key: str) -> list[drafts.VersionView]:
    return next((p.versions for p in drafts.list_versions(ctx(), actor=actor()) if p.key == key), [])


def _render_form_editor(
    view: drafts.DraftView, name: str, text: str, *, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    preview, preview_error = _preview(name, text)
    return render_template(
        "processes/form_editor.html",
        draft=view,
        name=name,
        text=text,
        error=error,
        preview=preview,
        preview_error=preview_error,
        exists=name in view.forms,
    ), status


def _preview(name: str, text: object) -> tuple[Markup, str | None]:
    if not isinstance(text, str):
        return Markup(""), "Kirim skema sebagai teks JSON."
    try:
        schema = drafts.check_form(name, text)
    except InvalidInput as invalid:
        return Markup(""), invalid.message
    return render_fields(schema, id_prefix="pratinjau"), None


def _deployment(done: drafts.DraftDeployment, draft_id: UUID) -> dict[str, Any]:
    view = drafts.get_draft(ctx(), actor=actor(), draft_id=draft_id)
    if done.status == drafts.SUBMITTED:
        flash("Draf diajukan; versi baru berlaku setelah disetujui pemilik proses lain.", "info")
        return {"status": done.status, "url": url_for("processes.draft", draft_id=draft_id)}
    if done.created:
        flash(f"Versi {done.version} diterapkan; kasus baru memakai versi ini.", "info")
    else:
        flash(f"Tidak ada perubahan: isi draf sama dengan versi {done.version}.", "info")
    return {
        "status": done.status,
        "version": done.version,
        "created": done.created,
        "url": url_for("processes.version", key=view.key, version=done.version),
    }


def _problem(problem: Problem) -> dict[str, Any]:
    return {"line": problem.line, "element": problem.element, "message": problem.message}


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("Kirim data sebagai objek JSON.")
    return body


def _revision(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise InvalidInput("Revisi draf tidak ada atau tidak sah.") from None


def _safe(name: str) -> str:
    return "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
