"""The caller's substitute while away: who works the tasks they claimed, and until when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response

from engine.errors import FormInvalid
from engine.services import substitutes
from engine.services.substitutes import Substitution
from webapp.api import bp
from webapp.api.openapi import MAYBE_WHEN, _errors, _json, _obj, _op, _ref
from webapp.api.support import body, caller, ctx, json_response


def substitution_json(value: Substitution | None) -> dict[str, Any]:
    """A substitution as the API shows it (`substitute` null when none is named)."""
    if value is None:
        return {"substitute": None, "away_until": None, "in_force": False}
    person = {"username": value.substitute.username, "full_name": value.substitute.full_name}
    return {"substitute": person, "away_until": value.away_until, "in_force": value.in_force}


@bp.get("/me/substitute")
def get_substitute() -> Response:
    """The caller's substitute, and the people they may name."""
    actor = caller()
    choices = [{"username": p.username, "full_name": p.full_name} for p in substitutes.choices(ctx(), actor=actor)]
    return json_response({**substitution_json(substitutes.current(ctx(), actor=actor)), "choices": choices})


@bp.put("/me/substitute")
def set_substitute() -> Response:
    """Name the caller's substitute, optionally until a moment (ISO 8601 with an offset)."""
    actor = caller()
    data = body(required=["substitute"], optional=["away_until"])
    name = data["substitute"]
    if not isinstance(name, str):
        raise FormInvalid({"substitute": "Harus berupa teks (nama pengguna)."})
    chosen = substitutes.set_substitute(ctx(), actor=actor, substitute=name, away_until=_moment(data.get("away_until")))
    return json_response(substitution_json(chosen))


@bp.delete("/me/substitute")
def clear_substitute() -> Response:
    """The caller is back: their substitute no longer works their tasks."""
    substitutes.clear_substitute(ctx(), actor=caller())
    return json_response(substitution_json(None))


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise FormInvalid({"away_until": "Tulis saat ISO 8601 dengan zona waktu, misalnya 2026-03-20T17:00:00+07:00."})
    return moment


def openapi_schemas() -> dict[str, Any]:
    """The schemas of these endpoints, for the OpenAPI document."""
    person = _obj({"username": {"type": "string"}, "full_name": {"type": "string"}})
    return {
        "Substitution": _obj(
            {
                "substitute": {"anyOf": [person, {"type": "null"}]},
                "away_until": MAYBE_WHEN,
                "in_force": {"type": "boolean", "description": "false setelah away_until lewat"},
            }
        ),
        "SubstituteChoice": person,
        "NewSubstitution": _obj(
            {
                "substitute": {"type": "string", "description": "nama pengguna; memegang sedikitnya satu peran lajur"},
                "away_until": {**MAYBE_WHEN, "description": "akhir masa tidak di tempat; null: sampai dihapus"},
            },
            required=["substitute"],
            extra=False,
        ),
    }


def openapi_paths() -> dict[str, Any]:
    """The paths of these endpoints, for the OpenAPI document."""
    shown = _json(_ref("Substitution"), "OK")
    listed = {"allOf": [_ref("Substitution"), _obj({"choices": {"type": "array", "items": _ref("SubstituteChoice")}})]}
    body = {"required": True, "content": {"application/json": {"schema": _ref("NewSubstitution")}}}
    return {
        "/me/substitute": {
            "get": _op(
                "Pengganti pemanggil selama tidak di tempat, dan siapa yang dapat ditunjuk",
                {"200": _json(listed, "OK"), **_errors(401, 403)},
            ),
            "put": _op(
                "Tunjuk pengganti (dicatat sebagai substitute_set pada rantai sistem)",
                {"200": shown, **_errors(400, 401, 403, 413, 422)},
                body=body,
            ),
            "delete": _op(
                "Hapus pengganti: pemanggil sudah kembali (substitute_cleared pada rantai sistem)",
                {"200": shown, **_errors(401, 403, 409)},
            ),
        }
    }
