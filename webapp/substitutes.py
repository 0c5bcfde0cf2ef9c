"""Pengganti selama tidak di tempat: a person names who works their claimed tasks while they are away."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.errors import FormInvalid
from engine.roles import STAFF_LANE_ROLES
from engine.services import substitutes
from webapp.web import actor, ctx, roles_required

bp = Blueprint("substitutes", __name__, url_prefix="/akun")
# Engine field names -> the names of this page's fields.
FIELDS = {"substitute": "pengganti", "away_until": "sampai"}


@bp.route("/pengganti", methods=["GET", "POST"])
@roles_required(*STAFF_LANE_ROLES)
def page() -> ResponseReturnValue:
    """Show, set or clear this person's substitute."""
    if request.method == "GET":
        return _page({}, {})
    if request.form.get("aksi") == "hapus":
        substitutes.clear_substitute(ctx(), actor=actor())
        flash("Pengganti dihapus: tugas yang Anda ambil kembali hanya dapat Anda kerjakan.", "info")
        return redirect(url_for("substitutes.page"))
    form = {"pengganti": request.form.get("pengganti", ""), "sampai": request.form.get("sampai", "").strip()}
    try:
        chosen = substitutes.set_substitute(
            ctx(), actor=actor(), substitute=form["pengganti"], away_until=_end_of(form["sampai"])
        )
    except FormInvalid as invalid:
        errors = {FIELDS.get(key, key): message for key, message in invalid.errors.items()}
        return _page(form, errors, status=422)
    flash(f"{chosen.substitute.full_name} kini pengganti Anda untuk tugas yang Anda ambil.", "info")
    return redirect(url_for("substitutes.page"))


def _end_of(text: str) -> datetime | None:
    """The end of the office day `text` (YYYY-MM-DD): the next midnight in the office's zone; None when empty."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FormInvalid({"away_until": "Tulis tanggal sebagai TTTT-BB-HH."}) from None
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=ctx().settings.zone)


def _page(form: dict[str, str], errors: dict[str, str], *, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "account/substitute.html",
        current=substitutes.current(ctx(), actor=actor()),
        choices=substitutes.choices(ctx(), actor=actor()),
        form=form,
        errors=errors,
    ), status
