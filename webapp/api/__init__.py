"""The JSON API under /api/v1: bearer tokens, JSON errors, one module per resource."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from webapp.api import (  # noqa: E402,F401 - the routes register on `bp`
    audit,
    cases,
    exports,
    incidents,
    meta,
    migrations,
    notifications,
    processes,
    statistics,
    substitutes,
    tasks,
)
from webapp.api.support import register_error_handlers  # noqa: E402

register_error_handlers(bp)
