"""De-identified exports over the API: case statistics and SIMFONI-PPA rows, CSV or XLSX, by filing date."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from engine.errors import FormInvalid
from engine.services import exports
from webapp.api import bp
from webapp.api.openapi import _errors, _op
from webapp.api.support import caller, ctx, json_response
from webapp.exports import file_response


def download(kind: str, fmt: str) -> Response:
    """One export as a file; the export is logged with its SHA-256 (kepala_dinas, ketua_lppar, auditor)."""
    person = caller()
    exports.check_may_export(person)  # a wrong role is told so before its query string is judged
    try:
        period = exports.parse_period(request.args.get("dari", ""), request.args.get("sampai", ""))
    except FormInvalid as invalid:
        message = "Penyaring tanggal tidak sah."
        return json_response({"error": "bad_request", "message": message, "errors": invalid.errors}, 400)
    return file_response(exports.export(ctx(), actor=person, kind=kind, fmt=fmt, period=period))


def _register() -> None:
    for kind in exports.KINDS:
        for fmt in exports.FORMATS:
            bp.add_url_rule(
                f"/exports/{kind}.{fmt}",
                endpoint=f"export_{kind}_{fmt}",
                view_func=download,
                methods=["GET"],
                defaults={"kind": kind, "fmt": fmt},
            )


_register()

TITLES = {exports.STATISTICS: "Statistik kasus (satu baris per kasus)", exports.SIMFONI: "Baris SIMFONI-PPA"}


def openapi_paths() -> dict[str, Any]:
    """The paths of these endpoints, for the OpenAPI document."""
    day = {"type": "string", "format": "date"}
    params = [
        {"name": "dari", "in": "query", "description": "tanggal pengajuan awal (WIB), termasuk", "schema": day},
        {"name": "sampai", "in": "query", "description": "tanggal pengajuan akhir (WIB), termasuk", "schema": day},
    ]
    return {
        f"/exports/{kind}.{fmt}": {
            "get": _op(
                f"{TITLES[kind]}, dide-identifikasi, sebagai {fmt.upper()}; dicatat di log akses dengan SHA-256 "
                "berkas (kepala dinas, ketua LP-PAR, auditor)",
                {
                    "200": {
                        "description": f"Berkas {fmt.upper()}; X-Content-SHA256 adalah hash yang dicatat",
                        "content": {media.split(";")[0]: {}},
                    },
                    **_errors(400, 401, 403),
                },
                params=params,
            )
        }
        for kind in exports.KINDS
        for fmt, media in exports.FORMATS.items()
    }
