"""The JSON API under /api/v1 (this issue: health only; the rest arrives with the web issue)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Liveness for load balancers; needs no sign-in."""
    return jsonify(status="ok")
