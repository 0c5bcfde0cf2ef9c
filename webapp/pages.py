"""The landing page, and each role's home."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from engine.roles import Role
from engine.services import queries as case_queries
from engine.status import CaseStatus
from webapp.web import actor, ctx

bp = Blueprint("pages", __name__)
WORKERS = (Role.PEMOHON, Role.FULLTIMER, Role.KETUA_LPPAR, Role.TIM_TEKNIS, Role.SEKRETARIS, Role.KEPALA_DINAS)


@bp.get("/")
def home() -> ResponseReturnValue:
    """Signed out: what the service is. Signed in: the page each role starts from."""
    if not current_user.is_authenticated:
        return render_template("index.html")
    person = actor()
    if person.has_any(Role.KETUA_LPPAR, Role.TIM_TEKNIS, Role.SEKRETARIS, Role.KEPALA_DINAS):
        return redirect(url_for("tasks.inbox"))
    if person.has_any(Role.PEMOHON, Role.FULLTIMER, Role.AUDITOR):
        return redirect(url_for("cases.index"))
    if person.has_any(Role.ADMIN):
        return redirect(url_for("admin.users"))
    if person.has_any(Role.PROCESS_OWNER):
        return redirect(url_for("processes.index"))
    open_cases = case_queries.list_cases(ctx(), status=CaseStatus.OPEN, per_page=1).total
    return render_template("overview.html", open_cases=open_cases)
