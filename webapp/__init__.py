"""The web app: a thin Flask layer over the engine's services."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from engine.context import EngineContext
from engine.settings import Settings


def create_app(test_config: Mapping[str, Any] | None = None, *, ctx: EngineContext | None = None) -> Flask:
    """Build the Flask app around an engine context (made from the environment when not given)."""
    if ctx is None:
        ctx = EngineContext.create(Settings.from_environ(os.environ))
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    https = os.environ.get("MEDIASI_HTTPS", "") == "1"
    app.config.update(
        SECRET_KEY=ctx.settings.secret_key or _instance_secret(Path(app.instance_path)),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["mediasi"] = ctx

    from webapp import (
        admin,
        api,
        audit,
        auth,
        cases,
        claims,
        exports,
        incidents,
        notifications,
        pages,
        processes,
        reports,
        substitutes,
        tasks,
    )
    from webapp.extensions import csrf, login_manager
    from webapp.limits import register_limits
    from webapp.security import register_page_errors, security_headers
    from webapp.templating import register_templating

    login_manager.init_app(app)
    csrf.init_app(app)
    csrf.exempt(api.bp)  # the API authenticates with bearer tokens, not cookies
    for blueprint in (
        pages.bp,
        auth.bp,
        tasks.bp,
        claims.bp,
        substitutes.bp,
        cases.bp,
        audit.bp,
        processes.bp,
        admin.bp,
        notifications.bp,
        incidents.bp,
        reports.bp,
        exports.bp,
        api.bp,
    ):
        app.register_blueprint(blueprint)
    register_page_errors(app)
    register_limits(app)
    security_headers(app)
    register_templating(app)
    return app


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
