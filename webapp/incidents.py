"""The incidents page for process owners: steps that failed, and "coba lagi" after a fix."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from engine.roles import Role
from engine.services import incidents as incident_service
from engine.services.incidents import Retried
from webapp.web import actor, ctx, roles_required

bp = Blueprint("incidents", __name__, url_prefix="/insiden")
OWNERS = (Role.PROCESS_OWNER, Role.ADMIN)
KIND_TITLES = {incident_service.TIMER: "Timer", incident_service.TASK: "Tugas"}


@bp.get("")
@roles_required(*OWNERS)
def index() -> ResponseReturnValue:
    """The open incidents, the most recently failed first."""
    items = incident_service.list_open(ctx(), actor())
    return render_template("incidents/index.html", items=items, kind_titles=KIND_TITLES)


@bp.post("/<int:incident_id>/coba-lagi")
@roles_required(*OWNERS)
def retry(incident_id: int) -> ResponseReturnValue:
    """Try an incident's step again now; the result comes back as a message on the list."""
    retried = incident_service.retry(ctx(), incident_id, actor())
    flash(retry_message(retried), "info" if retried.succeeded else "galat")
    return redirect(url_for("incidents.index"))


def retry_message(retried: Retried) -> str:
    """What a retry came to, in a sentence."""
    incident = retried.incident
    where = f"{incident.element} pada kasus {incident.case_number}"
    if retried.outcome == incident_service.FIRED:
        return f"Langkah {where} berhasil dijalankan; insiden selesai."
    if retried.outcome == incident_service.GONE:
        return f"Kasus {incident.case_number} tidak lagi menunggu {incident.element}; insiden ditutup."
    return f"Langkah {where} masih gagal: {retried.error}"
