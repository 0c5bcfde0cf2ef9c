"""Claimed tasks: the Ketua LP-PAR or an administrator releases or reassigns them, with a reason."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from engine.errors import FormInvalid
from engine.services import people as people_service
from engine.services import reassignment, substitutes
from webapp.web import actor, ctx, roles_required

bp = Blueprint("claims", __name__, url_prefix="/tugas")
# Engine field names -> the names of this page's fields.
FIELDS = {"reason": "alasan", "to": "pengguna"}


@bp.app_template_global()
def supervises() -> bool:
    """Whether the signed-in person may release or reassign tasks other people claimed."""
    return bool(current_user.is_authenticated) and reassignment.is_supervisor(actor())


@bp.app_template_global()
def covering() -> frozenset[str]:
    """The people away whose substitute the signed-in person is now (read once per request)."""
    if "covering" not in g:
        g.covering = substitutes.covered_people(ctx(), actor=actor()) if current_user.is_authenticated else frozenset()
    people: frozenset[str] = g.covering
    return people


@bp.get("/diambil")
@roles_required(*reassignment.SUPERVISORS)
def claimed() -> ResponseReturnValue:
    """The ready tasks someone claimed, which this supervisor may release or reassign."""
    tasks = reassignment.claimed_tasks(ctx(), actor=actor())
    return render_template("tasks/claimed.html", tasks=tasks, now=ctx().clock.now())


@bp.route("/<uuid:task_id>/alihkan", methods=["GET", "POST"])
@roles_required(*reassignment.SUPERVISORS)
def supervise(task_id: UUID) -> ResponseReturnValue:
    """Lepas or Alihkan a task someone else claimed, with a reason."""
    if request.method == "GET":
        return _page(task_id, {}, {})
    form = {"alasan": request.form.get("alasan", ""), "pengguna": request.form.get("pengguna", "")}
    try:
        if request.form.get("aksi") == "alihkan":
            view = reassignment.reassign_task(
                ctx(), actor=actor(), task_id=task_id, to=form["pengguna"], reason=form["alasan"]
            )
            to = people_service.display_names(ctx(), [view.claimed_by]).get(view.claimed_by or "", view.claimed_by)
            flash(f"Tugas \u201c{view.title}\u201d kasus {view.case_number} dialihkan kepada {to}.", "info")
        else:
            view = reassignment.release_claim(ctx(), actor=actor(), task_id=task_id, reason=form["alasan"])
            flash(f"Tugas \u201c{view.title}\u201d kasus {view.case_number} dilepas kembali ke lajurnya.", "info")
    except FormInvalid as invalid:
        errors = {FIELDS.get(key, key): message for key, message in invalid.errors.items()}
        return _page(task_id, form, errors, status=422)
    return redirect(_back() or url_for("claims.claimed"))


def _back() -> str:
    """The page of this site the supervisor came from (the inbox, a task, the claimed list), or ""."""
    back = request.values.get("kembali", "")
    return back if back.startswith("/") and not back.startswith("//") else ""


def _page(task_id: UUID, form: dict[str, str], errors: dict[str, str], *, status: int = 200) -> ResponseReturnValue:
    claim = reassignment.claimed_task(ctx(), actor=actor(), task_id=task_id)
    return render_template(
        "tasks/supervise.html",
        claim=claim,
        form=form,
        errors=errors,
        max_reason=reassignment.MAX_REASON,
        back=_back(),
    ), status
