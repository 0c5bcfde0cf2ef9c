"""What every API endpoint shares: the caller, the request body, JSON errors, serialization."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from flask import Response, g, request
from werkzeug.exceptions import HTTPException

from engine.actors import Actor
from engine.errors import (
    Conflict,
    DeploymentInvalid,
    FormInvalid,
    InvalidInput,
    MediasiError,
    NotFound,
    PermissionDenied,
    ProcessFailed,
    Unauthenticated,
)
from engine.services import users as user_service
from webapp import limits
from webapp.web import ctx

STATUS = [
    (Unauthenticated, 401, "unauthenticated"),
    (NotFound, 404, "not_found"),
    (PermissionDenied, 403, "forbidden"),
    (Conflict, 409, "conflict"),
    (DeploymentInvalid, 422, "invalid_bpmn"),
    (FormInvalid, 422, "invalid_data"),
    (InvalidInput, 422, "invalid_input"),
    (ProcessFailed, 422, "process_failed"),
]


HTTP_MESSAGES = {
    400: "Permintaan tidak sah.",
    404: "Alamat tidak ditemukan.",
    405: "Metode ini tidak diizinkan untuk alamat ini.",
    413: "Permintaan atau berkas terlalu besar.",
    415: "Jenis isi permintaan tidak didukung.",
}


class BadRequest(Exception):
    """The request itself is malformed (not JSON, wrong content type)."""


def caller() -> Actor:
    """The user of the bearer token on this request (checked once per request)."""
    if "api_actor" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Sertakan header Authorization: Bearer <token>.")
        g.api_actor = user_service.authenticate_token(ctx(), token.strip())
    actor: Actor = g.api_actor
    return actor


def body(*, required: Iterable[str] = (), optional: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON object of the request, with unknown and missing fields refused field by field."""
    if not request.is_json:
        raise BadRequest("Kirim JSON dengan Content-Type: application/json.")
    raw = limits.json_body_bytes()
    try:
        data = limits.parse_json(raw or b"null")
    except limits.JsonRefused as exc:
        raise BadRequest(str(exc)) from None
    except ValueError as exc:  # UnicodeDecodeError included
        raise BadRequest(f"JSON tidak sah: {exc}") from None
    if not isinstance(data, dict):
        raise FormInvalid({"_form": "Isi permintaan harus berupa objek JSON."})
    required, allowed = set(required), set(required) | set(optional)
    errors = {field: "Isian tidak dikenal." for field in data if field not in allowed}
    errors |= {field: "Wajib diisi." for field in required if field not in data}
    if errors:
        raise FormInvalid(errors)
    return data


def query_text(name: str) -> str:
    """A search text from the query string, refused past MAX_QUERY_TEXT characters."""
    value = request.args.get(name, "")
    if len(value) > limits.MAX_QUERY_TEXT:
        raise BadRequest(f"Parameter {name} terlalu panjang (maksimal {limits.MAX_QUERY_TEXT} karakter).")
    return value


def page_args(per_page: int = 20) -> tuple[int, int]:
    """`page` and `per_page` from the query string (`per_page` when it is not given)."""
    try:
        return int(request.args.get("page", 1)), int(request.args.get("per_page", per_page))
    except ValueError:
        raise FormInvalid({"page": "Harus berupa bilangan bulat."}) from None


def plain(value: Any) -> Any:
    """Dataclasses, UUIDs and datetimes as JSON values (datetimes ISO 8601 with an offset)."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def page_response(page: Any, item: Callable[[Any], Any]) -> Response:
    """A paginated list as `{items, total, total_exact, page, per_page}` (`total` a lower bound unless exact)."""
    return json_response(
        {
            "items": [item(v) for v in page.items],
            "total": page.total,
            "total_exact": page.exact,
            "page": page.page,
            "per_page": page.per_page,
        }
    )


def json_response(value: Any, status: int = 200) -> Response:
    """A JSON response of `value`."""
    return Response(json.dumps(plain(value), ensure_ascii=False), status=status, mimetype="application/json")


def error_response(error: BaseException) -> Response:
    """The JSON answer to an error: `{error, message}` and, for input errors, `errors`."""
    if isinstance(error, BadRequest):
        return json_response({"error": "bad_request", "message": str(error)}, 400)
    if isinstance(error, HTTPException):
        code = error.code or 500
        message = HTTP_MESSAGES.get(code, error.description or error.name)
        response = json_response({"error": error.name.lower().replace(" ", "_"), "message": message}, code)
        for name, value in error.get_headers():
            if name.lower() != "content-type":  # e.g. Allow on 405
                response.headers[name] = value
        return response
    for kind, status, code in STATUS:
        if isinstance(error, kind):
            payload: dict[str, Any] = {"error": code, "message": error.message}  # type: ignore[attr-defined]
            if isinstance(error, FormInvalid):
                payload["errors"] = error.errors
            if isinstance(error, DeploymentInvalid):
                payload["errors"] = [
                    {"line": p.line, "element": p.element, "message": p.message} for p in error.problems
                ]
            response = json_response(payload, status)
            if status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            return response
    limits.log.error("Kesalahan mesin tanpa status HTTP: %r", error, exc_info=error)
    return json_response({"error": "internal_error", "message": "Terjadi kesalahan pada server."}, 500)


def register_error_handlers(blueprint: Any) -> None:
    """Answer engine errors, malformed requests and HTTP errors under the API with JSON."""
    blueprint.register_error_handler(MediasiError, error_response)
    blueprint.register_error_handler(BadRequest, error_response)
    blueprint.register_error_handler(HTTPException, error_response)
