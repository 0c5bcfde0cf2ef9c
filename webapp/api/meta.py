"""Health and the OpenAPI document: no sign-in needed."""

from __future__ import annotations

from flask import Response

from engine.errors import NotFound
from engine.services import processes as process_service
from engine.services.cases import DEFAULT_PROCESS
from webapp.api import bp
from webapp.api.openapi import document
from webapp.api.support import ctx, json_response


@bp.get("/health")
def health() -> Response:
    """Liveness for load balancers."""
    return json_response({"status": "ok"})


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API (with the default process's start form)."""
    try:
        start_form = process_service.get_process(ctx(), DEFAULT_PROCESS).start_form
    except NotFound:
        start_form = None
    return json_response(document(start_form))
