"""Accounts and roles, for the admin: create, deactivate, reset a password. No case content."""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.errors import InvalidInput
from engine.roles import ROLE_TITLES, Role
from engine.services import users as user_service
from webapp.web import actor, ctx, roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/pengguna", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    """Every account; a form to create one."""
    form = {"username": "", "full_name": "", "roles": []}
    status = 200
    if request.method == "POST":
        form = {
            "username": request.form.get("username", "").strip().lower(),
            "full_name": request.form.get("full_name", ""),
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
            )
            flash(f"Pengguna {form['username']} dibuat. Kata sandi awal: {password}", "info")
            return redirect(url_for("admin.users"))
        except InvalidInput as error:
            flash(error.message, "galat")
            status = 422
    accounts = user_service.list_users(ctx(), actor=actor())
    return render_template("admin/users.html", accounts=accounts, roles=ROLE_TITLES, form=form), status


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
