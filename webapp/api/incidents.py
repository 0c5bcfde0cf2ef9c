"""Incidents: the open ones, and trying one's step again (process owners and administrators)."""

from __future__ import annotations

from typing import Any

from flask import Response

from engine.services import incidents as incident_service
from engine.services.incidents import IncidentView
from webapp.api import bp
from webapp.api.openapi import MAYBE_WHEN, UUID, WHEN, _errors, _json, _obj, _op, _ref
from webapp.api.support import caller, ctx, json_response


def incident_json(incident: IncidentView) -> dict[str, Any]:
    """An incident as the API shows it."""
    return {
        "id": incident.id,
        "case_id": incident.case_id,
        "case_number": incident.case_number,
        "element": incident.element,
        "kind": incident.kind,
        "error": incident.error,
        "first_at": incident.first_at,
        "last_at": incident.last_at,
        "retries": incident.retries,
        "resolved_at": incident.resolved_at,
        "resolved_by": incident.resolved_by,
    }


@bp.get("/incidents")
def list_incidents() -> Response:
    """The open incidents, the most recently failed first."""
    return json_response([incident_json(i) for i in incident_service.list_open(ctx(), caller())])


@bp.post("/incidents/<int:incident_id>/retry")
def retry_incident(incident_id: int) -> Response:
    """Try an open timer incident's step again now."""
    retried = incident_service.retry(ctx(), incident_id, caller())
    return json_response(
        {
            "outcome": retried.outcome,
            "succeeded": retried.succeeded,
            "error": retried.error,
            "incident": incident_json(retried.incident),
        }
    )


def openapi_schemas() -> dict[str, Any]:
    """The schemas of these endpoints, for the OpenAPI document."""
    text, nullable_text = {"type": "string"}, {"type": ["string", "null"]}
    return {
        "Incident": _obj(
            {
                "id": {"type": "integer", "minimum": 1},
                "case_id": UUID,
                "case_number": text,
                "element": {"type": "string", "description": "id elemen BPMN (timer atau tugas)"},
                "kind": {"enum": [incident_service.TIMER, incident_service.TASK]},
                "error": {"type": "string", "description": "pesan galat langkah yang gagal"},
                "first_at": WHEN,
                "last_at": WHEN,
                "retries": {"type": "integer", "minimum": 1, "description": "berapa kali langkah itu gagal"},
                "resolved_at": MAYBE_WHEN,
                "resolved_by": nullable_text,
            }
        ),
        "IncidentRetry": _obj(
            {
                "outcome": {
                    "enum": [incident_service.FIRED, incident_service.FAILED, incident_service.GONE],
                    "description": "berhasil; gagal lagi; atau kasus tidak lagi menunggu langkah itu (insiden ditutup)",
                },
                "succeeded": {"type": "boolean"},
                "error": nullable_text,
                "incident": _ref("Incident"),
            }
        ),
    }


def openapi_paths() -> dict[str, Any]:
    """The paths of these endpoints, for the OpenAPI document."""
    incident_id = {
        "name": "incident_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": incident_service.MAX_ID},
    }
    return {
        "/incidents": {
            "get": _op(
                "Insiden terbuka: langkah otomatis yang gagal (pemilik proses, administrator)",
                {"200": _json({"type": "array", "items": _ref("Incident")}, "OK"), **_errors(401, 403)},
            )
        },
        "/incidents/{incident_id}/retry": {
            "post": _op(
                "Coba lagi langkah timer suatu insiden sekarang (pemilik proses, administrator)",
                {"200": _json(_ref("IncidentRetry"), "OK"), **_errors(401, 403, 404, 409)},
                params=[incident_id],
            )
        },
    }
