"""For the admin: accounts and roles (create, deactivate, reset a password), the working-day calendar,
and the letters' signatories and numbering patterns.

No case content.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.calendar import WEEKDAYS, ServiceHours
from engine.errors import FormInvalid, InvalidInput, NotFound
from engine.letters.kinds import KINDS
from engine.roles import ROLE_TITLES, Role
from engine.services import calendar_admin, letter_logo
from engine.services import signatories as letter_settings
from engine.services import users as user_service
from webapp.web import actor, ctx, roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/pengguna", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    """Every account; a form to create one."""
    form: dict[str, Any] = {"username": "", "full_name": "", "email": "", "roles": []}
    status, errors = 200, dict[str, str]()
    if request.method == "POST":
        form = {
            "username": request.form.get("username", "").strip().lower(),
            "full_name": request.form.get("full_name", ""),
            "email": request.form.get("email", ""),
            "roles": request.form.getlist("roles"),
        }
        password = secrets.token_urlsafe(12)
        try:
            user_service.add_user(
                ctx(),
                actor=actor(),
                username=form["username"],
                full_name=form["full_name"],
                roles=form["roles"],
                password=password,
                email=form["email"],
            )
            flash(f"Pengguna {form['username']} dibuat. Kata sandi awal: {password}", "info")
            return redirect(url_for("admin.users"))
        except FormInvalid as error:
            errors, status = error.errors, 422
        except InvalidInput as error:
            flash(error.message, "galat")
            status = 422
    return _users_page(form=form, errors=errors), status


@bp.post("/pengguna/<username>/email")
@roles_required(Role.ADMIN)
def set_email(username: str) -> ResponseReturnValue:
    """Set or remove the address an account's notifications are emailed to."""
    submitted = request.form.get("email", "")
    try:
        address = user_service.set_email(ctx(), actor=actor(), username=username, email=submitted)
    except FormInvalid as error:
        return _users_page(row_error=(username, submitted, error.errors["email"])), 422
    flash(f"Email {username}: {address}." if address else f"Email {username} dihapus.", "info")
    return redirect(url_for("admin.users"))


def _users_page(
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    row_error: tuple[str, str, str] | None = None,
) -> str:
    """The accounts page; `row_error` is (user name, submitted address, message) of a refused address."""
    return render_template(
        "admin/users.html",
        accounts=user_service.list_users(ctx(), actor=actor()),
        roles=ROLE_TITLES,
        form=form or {"username": "", "full_name": "", "email": "", "roles": []},
        errors=errors or {},
        row_error=row_error,
    )


@bp.post("/pengguna/<username>/aktif")
@roles_required(Role.ADMIN)
def set_active(username: str) -> ResponseReturnValue:
    """Deactivate or reactivate an account (never delete: history refers to it)."""
    active = request.form.get("aktif") == "1"
    user_service.set_active(ctx(), actor=actor(), username=username, active=active)
    flash(f"Akun {username} {'diaktifkan' if active else 'dinonaktifkan'}.", "info")
    return redirect(url_for("admin.users"))


@bp.post("/pengguna/<username>/sandi")
@roles_required(Role.ADMIN)
def reset_password(username: str) -> ResponseReturnValue:
    """Give an account a new random password, shown once."""
    password = user_service.reset_password(ctx(), actor=actor(), username=username)
    flash(f"Kata sandi baru untuk {username}: {password}", "info")
    return redirect(url_for("admin.users"))


MONTH_NAMES = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


@bp.route("/kalender", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def calendar() -> ResponseReturnValue:
    """The year's national holidays and cuti bersama, the overrides in force, and a form to add one."""
    year = request.args.get("tahun", type=int) or ctx().clock.now().astimezone(ctx().settings.zone).year
    form = {"tanggal": "", "jenis": "", "dasar_hukum": ""}
    status = 200
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in form}
        working = {"kerja": True, "libur": False}.get(form["jenis"])
        try:
            if working is None:
                raise InvalidInput("Pilih apakah tanggal itu menjadi hari kerja atau hari libur.")
            added = calendar_admin.add_override(
                ctx(), actor=actor(), day=form["tanggal"], working=working, reference=form["dasar_hukum"]
            )
            flash(f"{_long_date(added.day)} kini {'hari kerja' if added.working else 'hari libur'}.", "info")
            return redirect(url_for("admin.calendar", tahun=added.day.year))
        except InvalidInput as error:
            flash(error.message, "galat")
            status = 422
    view = calendar_admin.calendar_year(ctx(), year=year)
    hours = _service_hours(ctx().calendar().hours)
    return render_template(
        "admin/calendar.html", view=view, form=form, hours=hours, long_date=_long_date, day_name=calendar_admin.day_name
    ), status


@bp.post("/kalender/<tanggal>/hapus")
@roles_required(Role.ADMIN)
def remove_calendar_override(tanggal: str) -> ResponseReturnValue:
    """Take back an override: the national list counts again for that date."""
    day = calendar_admin.parse_day(tanggal)
    calendar_admin.remove_override(ctx(), actor=actor(), day=day)
    flash(f"Pengecualian {_long_date(day)} dihapus; tanggal itu kembali mengikuti daftar nasional.", "info")
    return redirect(url_for("admin.calendar", tahun=day.year))


def _long_date(day: date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _service_hours(hours: ServiceHours) -> list[tuple[str, str]]:
    """The service hours as people read them: [("Senin–Kamis", "09.00–12.00, 12.30–14.00"), ...]."""
    week = hours.as_data()
    groups: list[tuple[list[str], list[str]]] = []
    for weekday, name in enumerate(WEEKDAYS):
        periods = week.get(name, [])
        if groups and groups[-1][1] == periods:  # the same hours as the day before
            groups[-1][0].append(calendar_admin.DAY_NAMES[weekday])
        else:
            groups.append(([calendar_admin.DAY_NAMES[weekday]], periods))
    return [
        (days[0] if len(days) == 1 else f"{days[0]}–{days[-1]}", _periods(periods) or "tutup")
        for days, periods in groups
    ]


def _periods(periods: list[str]) -> str:
    return ", ".join(p.replace(":", ".").replace("-", "–") for p in periods)


SIGNATORY_FIELDS = ("nama", "jabatan", "nip", "pangkat", "kedudukan", "atas_nama", "berlaku_mulai")


@bp.route("/surat", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def letters() -> ResponseReturnValue:
    """Who signs letters from when to when, the numbering patterns, and a form to add a signatory."""
    form: dict[str, object] = {key: "" for key in SIGNATORY_FIELDS} | {"jenis": []}
    status = 200
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in SIGNATORY_FIELDS} | {"jenis": request.form.getlist("jenis")}
        try:
            letter_settings.add_signatory(
                ctx(),
                actor=actor(),
                name=str(form["nama"]),
                position=str(form["jabatan"]),
                nip=str(form["nip"]),
                rank=str(form["pangkat"]),
                acting=str(form["kedudukan"]),
                principal=str(form["atas_nama"]),
                kinds=tuple(request.form.getlist("jenis")),
                valid_from=_form_date(str(form["berlaku_mulai"]), "Tanggal mulai berlaku"),
            )
            flash(f"Penandatangan {form['nama']} ditambahkan.", "info")
            return redirect(url_for("admin.letters"))
        except InvalidInput as error:
            flash(error.message, "galat")
            status = 422
    return _letters_page(form, status)


def _letters_page(form: dict[str, object], status: int) -> ResponseReturnValue:
    today = ctx().clock.now().astimezone(ctx().settings.zone).date()
    return render_template(
        "admin/letters.html",
        logo=letter_logo.get_logo(ctx()),
        logo_limit_mb=letter_logo.MAX_BYTES // 1024 // 1024,
        unnamed=letter_settings.unnamed_signatories(ctx(), actor=actor()),
        signatories=letter_settings.list_signatories(ctx(), actor=actor()),
        numbering=letter_settings.list_numbering(ctx(), actor=actor()),
        acting=letter_settings.ACTING,
        kinds=KINDS,
        form=form,
        today=today,
        long_date=_long_date,
    ), status


@bp.post("/surat/penandatangan/<int:signatory_id>/akhiri")
@roles_required(Role.ADMIN)
def end_signatory(signatory_id: int) -> ResponseReturnValue:
    """End a signatory on a date: the row stays, letters issued before it keep naming it."""
    try:
        day = _form_date(request.form.get("berlaku_sampai", ""), "Tanggal berakhir")
        letter_settings.end_signatory(ctx(), actor=actor(), signatory_id=signatory_id, valid_until=day)
        flash(f"Penandatangan berakhir pada {_long_date(day)}.", "info")
    except InvalidInput as error:
        flash(error.message, "galat")
    return redirect(url_for("admin.letters"))


@bp.post("/surat/lambang")
@roles_required(Role.ADMIN)
def set_logo() -> ResponseReturnValue:
    """Set the image at the head of every letter rendered from now on (the city's coat of arms)."""
    upload = request.files.get("lambang")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("Pilih berkas gambar lambang (PNG atau JPEG).")
        letter_logo.set_logo(ctx(), actor=actor(), filename=upload.filename, content=upload.read())
        flash("Lambang kop surat dipasang; surat yang terbit mulai sekarang memuatnya.", "info")
    except InvalidInput as error:
        flash(error.message, "galat")
    return redirect(url_for("admin.letters"))


@bp.post("/surat/lambang/hapus")
@roles_required(Role.ADMIN)
def remove_logo() -> ResponseReturnValue:
    """Letters rendered from now on carry no image in their letterhead."""
    try:
        letter_logo.remove_logo(ctx(), actor=actor())
        flash("Lambang kop surat dilepas; surat yang sudah terbit tidak berubah.", "info")
    except NotFound as error:
        flash(error.message, "galat")
    return redirect(url_for("admin.letters"))


@bp.post("/surat/penomoran")
@roles_required(Role.ADMIN)
def set_numbering() -> ResponseReturnValue:
    """Set the numbering pattern of one kind of letter, or the default ("*")."""
    try:
        letter_settings.set_numbering(
            ctx(),
            actor=actor(),
            kind=request.form.get("jenis", ""),
            pattern=request.form.get("pola", ""),
            code=request.form.get("kode", ""),
            unit=request.form.get("unit", ""),
        )
        flash("Pola penomoran disimpan.", "info")
    except InvalidInput as error:
        flash(error.message, "galat")
    return redirect(url_for("admin.letters"))


def _form_date(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{label} wajib diisi dengan format TTTT-BB-HH.") from None
