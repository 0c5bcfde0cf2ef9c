"""Signing in and out, and self-service registration of applicants."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from engine.actors import Actor
from engine.errors import InvalidInput, MediasiError, Unauthenticated
from engine.services import users as user_service
from webapp.extensions import login_manager
from webapp.ratelimit import FailureLimiter
from webapp.web import ctx

bp = Blueprint("auth", __name__)
by_name = FailureLimiter(limit=5, window=15 * 60)
by_address = FailureLimiter(limit=30, window=15 * 60)


class WebUser(UserMixin):
    """The signed-in person, as Flask-Login sees them."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    def get_id(self) -> str:
        return str(self.actor.user_id)


@login_manager.user_loader
def load_user(user_id: str) -> WebUser | None:
    """The session's user, if still active."""
    try:
        return WebUser(user_service.actor_by_id(ctx(), int(user_id)))
    except (MediasiError, ValueError):
        return None


@bp.route("/masuk", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with a user name and password."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    if request.method == "GET":
        return render_template("auth/login.html")
    username = request.form.get("username", "").strip().lower()
    address = request.remote_addr or "?"
    wait = max(by_name.retry_after(username), by_address.retry_after(address))
    if wait:
        minutes = (wait + 59) // 60
        flash(f"Terlalu banyak percobaan masuk. Coba lagi dalam {minutes} menit.", "galat")
        return render_template("auth/login.html", username=username), 429
    try:
        actor = user_service.authenticate_password(ctx(), username, request.form.get("password", ""))
    except Unauthenticated as error:
        by_name.failed(username)
        by_address.failed(address)
        flash(error.message, "galat")
        return render_template("auth/login.html", username=username), 401
    by_name.succeeded(username)
    login_user(WebUser(actor))
    return redirect(_next_page())


def _next_page() -> str:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else url_for("pages.home")


@bp.post("/keluar")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out."""
    logout_user()
    flash("Anda telah keluar.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/daftar", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """An applicant creates an account."""
    if request.method == "GET":
        return render_template("auth/register.html", form={})
    form: dict[str, Any] = {k: request.form.get(k, "") for k in ("username", "full_name")}
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        flash("Kedua kata sandi tidak sama.", "galat")
        return render_template("auth/register.html", form=form), 422
    try:
        actor = user_service.register_applicant(
            ctx(), username=form["username"].strip().lower(), full_name=form["full_name"], password=password
        )
    except InvalidInput as error:
        flash(error.message, "galat")
        return render_template("auth/register.html", form=form), 422
    login_user(WebUser(actor))
    flash("Akun Anda sudah dibuat.", "info")
    return redirect(url_for("pages.home"))
