"""The export page: de-identified case statistics and SIMFONI-PPA rows as CSV or XLSX, by filing date."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue

from engine.errors import FormInvalid, NotFound
from engine.services import exports
from engine.simfoni import TABLES, code_tables
from webapp.web import actor, ctx, roles_required

bp = Blueprint("exports", __name__)
FIELDS = ("dari", "sampai")
# What the page offers, by the `berkas` value of its buttons.
FILES = {f"{kind}.{fmt}": (kind, fmt) for kind in exports.KINDS for fmt in exports.FORMATS}
TABLE_TITLES = {
    "kelompok_umur": "Kelompok umur",
    "jenis_kelamin": "Jenis kelamin",
    "hubungan": "Hubungan korban dengan terlapor",
    "jenis_kekerasan": "Jenis kekerasan",
    "tempat_kejadian": "Tempat kejadian",
    "layanan": "Layanan",
}


@bp.app_context_processor
def may_export() -> dict[str, Any]:
    """Whether a person sees the export link in the menu (one list of roles, the engine's)."""
    return {"may_export": lambda person: person.has_any(*exports.EXPORTERS)}


@bp.get("/laporan/ekspor")
@roles_required(*exports.EXPORTERS)
def page() -> ResponseReturnValue:
    """The filter form and the four downloads, with the code tables they use."""
    form = {name: request.args.get(name, "").strip() for name in FIELDS}
    return _render(form, {})


@bp.get("/laporan/ekspor/unduh")
@roles_required(*exports.EXPORTERS)
def download() -> ResponseReturnValue:
    """One export as a file (logged with its SHA-256 before it goes out); the form again if a date is wrong."""
    chosen = FILES.get(request.args.get("berkas", ""))
    if chosen is None:
        raise NotFound("Berkas ekspor tidak dikenal.")
    form = {name: request.args.get(name, "").strip() for name in FIELDS}
    try:
        period = exports.parse_period(form["dari"], form["sampai"])
    except FormInvalid as invalid:
        return _render(form, invalid.errors), 422
    kind, fmt = chosen
    return file_response(exports.export(ctx(), actor=actor(), kind=kind, fmt=fmt, period=period))


def file_response(exported: exports.ExportFile) -> Response:
    """An export as an attachment, with the SHA-256 the access chain recorded."""
    return Response(
        exported.content,
        content_type=exported.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "X-Content-SHA256": exported.sha256,
            "Cache-Control": "no-store",
        },
    )


def _render(form: dict[str, str], errors: dict[str, str]) -> str:
    codes = code_tables()
    tables = [(TABLE_TITLES[name], codes.labels[name]) for name in TABLES]
    return render_template("reports/exports.html", form=form, errors=errors, tables=tables)
