"""Health and the OpenAPI document: no sign-in needed."""

from __future__ import annotations

from flask import Response

from webapp.api import bp
from webapp.api.openapi import document
from webapp.api.support import json_response


@bp.get("/health")
def health() -> Response:
    """Liveness for load balancers."""
    return json_response({"status": "ok"})


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return json_response(document())
