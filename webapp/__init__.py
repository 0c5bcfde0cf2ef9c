"""The web app: a thin Flask layer over the engine's services."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, request

from engine.context import EngineContext
from engine.settings import Settings


def create_app(test_config: Mapping[str, Any] | None = None, *, ctx: EngineContext | None = None) -> Flask:
    """Build the Flask app around an engine context (made from the environment when not given)."""
    if ctx is None:
        ctx = EngineContext.create(Settings.from_environ(os.environ))
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    app.config.update(
        SECRET_KEY=ctx.settings.secret_key or _instance_secret(Path(app.instance_path)),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["mediasi"] = ctx

    from webapp import api, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    _api_errors_outside_routes(app)
    _security_headers(app)
    return app


def _api_errors_outside_routes(app: Flask) -> None:
    """Unknown URLs, wrong methods and oversized bodies under /api answer with JSON too."""
    from werkzeug.exceptions import HTTPException

    from webapp.api.support import error_response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            return error_response(error)
        return error


def _instance_secret(folder: Path) -> str:
    """A random key kept in instance/secret_key, so sessions survive a restart on one machine."""
    path = folder / "secret_key"
    if path.exists():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Any) -> Any:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def engine_context(app: Flask) -> EngineContext:
    """The engine context of an app."""
    ctx: EngineContext = app.extensions["mediasi"]
    return ctx
