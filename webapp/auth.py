"""Signing in and out, and self-service registration of applicants."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from engine.actors import Actor
from engine.errors import InvalidInput, MediasiError, Unauthenticated
from engine.services import signin_limits
from engine.services import users as user_service
from webapp.extensions import login_manager
from webapp.ratelimit import client_address, trusted_networks
from webapp.web import ctx

bp = Blueprint("auth", __name__)


class WebUser(UserMixin):
    """The signed-in person, as Flask-Login sees them."""

    def __init__(self, actor: Actor, session_version: int) -> None:
        self.actor = actor
        self.session_version = session_version

    def get_id(self) -> str:
        # The cookie carries the account's session version: bumping it ends this session.
        return f"{self.actor.user_id}:{self.session_version}"


@login_manager.user_loader
def load_user(session_id: str) -> WebUser | None:
    """The session's user, if still active and the session not ended since (sign-out, reset, deactivation)."""
    user_id, _, version = session_id.partition(":")
    try:
        return WebUser(user_service.actor_for_session(ctx(), int(user_id), int(version)), int(version))
    except (MediasiError, ValueError):
        return None


def _sign_in(actor: Actor) -> None:
    assert actor.user_id is not None
    login_user(WebUser(actor, user_service.session_version(ctx(), actor.user_id)))


@bp.route("/masuk", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with a user name and password."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    if request.method == "GET":
        return render_template("auth/login.html")
    username = request.form.get("username", "").strip().lower()
    address = _address()
    wait = signin_limits.wait_seconds(ctx(), address=address, account=username)
    if wait:
        flash(_too_many(wait, "masuk"), "galat")
        return render_template("auth/login.html", username=username), 429, {"Retry-After": str(wait)}
    try:
        actor = user_service.authenticate_password(ctx(), username, request.form.get("password", ""))
    except Unauthenticated as error:
        signin_limits.record_failure(ctx(), address=address, account=username)
        flash(error.message, "galat")
        return render_template("auth/login.html", username=username), 401
    signin_limits.record_success(ctx(), address=address, account=username)
    _sign_in(actor)
    return redirect(_next_page())


def _address() -> str:
    return client_address(request, trusted_networks(ctx().settings.trusted_proxies))


def _too_many(wait: int, what: str) -> str:
    if wait < 60:
        return f"Terlalu banyak percobaan {what}. Coba lagi dalam {wait} detik."
    return f"Terlalu banyak percobaan {what}. Coba lagi dalam {(wait + 59) // 60} menit."


def _next_page() -> str:
    target = request.args.get("next", "")
    return target if is_local_path(target) else url_for("pages.home")


def is_local_path(target: str) -> bool:
    """Whether `target` is a path on this site: one leading slash, no scheme, host, backslash or control character.

    Browsers drop tabs and newlines and read a backslash as a slash, so `/%09/evil` and `/\\evil`
    would leave the site.
    """
    decoded = unquote(target)
    if not target.startswith("/") or "\\" in decoded or _has_control(decoded):
        return False
    if decoded.startswith("//") or target.startswith("//"):
        return False
    parts = urlsplit(decoded)
    return not parts.scheme and not parts.netloc


def _has_control(text: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or (c.isspace() and c != " ") for c in text)


@bp.post("/keluar")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out."""
    user_service.sign_out(ctx(), actor=current_user.actor)
    logout_user()
    flash("Anda telah keluar.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/daftar", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """An applicant creates an account."""
    if request.method == "GET":
        return render_template("auth/register.html", form={})
    form: dict[str, Any] = {k: request.form.get(k, "") for k in ("username", "full_name")}
    address = _address()
    wait = signin_limits.registration_wait(ctx(), address=address)
    if wait:
        flash(_too_many(wait, "pendaftaran"), "galat")
        return render_template("auth/register.html", form=form), 429, {"Retry-After": str(wait)}
    signin_limits.record_registration(ctx(), address=address)
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
    _sign_in(actor)
    flash("Akun Anda sudah dibuat.", "info")
    return redirect(url_for("pages.home"))
