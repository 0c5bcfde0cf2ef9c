"""Security headers, and the HTML answer to errors outside the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import Flask, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, InvalidInput, MediasiError, NotFound, PermissionDenied, Unauthenticated

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PAGE_STATUS = [(NotFound, 404), (PermissionDenied, 403), (Unauthenticated, 401), (Conflict, 409), (InvalidInput, 422)]
HTTP_TITLES = {
    400: "Permintaan tidak sah",
    403: "Tidak diizinkan",
    404: "Halaman tidak ditemukan",
    405: "Metode tidak diizinkan",
    413: "Berkas terlalu besar",
    429: "Terlalu banyak percobaan",
}


def security_headers(app: Flask) -> None:
    """A strict Content-Security-Policy (no inline scripts or styles) and the usual headers."""

    @app.after_request
    def add_headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_page_errors(app: Flask) -> None:
    """Engine and HTTP errors on pages become a page in Indonesian; under /api they stay JSON."""
    from webapp.api.support import error_response

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return error_response(error)
        return _page(400, "Formulir kedaluwarsa atau tidak sah", "Muat ulang halaman lalu kirim formulir sekali lagi.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return error_response(error)
        code = error.code or 500
        return _page(code, HTTP_TITLES.get(code, "Terjadi kesalahan"), "")

    @app.errorhandler(MediasiError)
    def engine_error(error: MediasiError) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return error_response(error)
        status = next((code for kind, code in PAGE_STATUS if isinstance(error, kind)), 500)
        back = _same_site_referrer()
        if status in (409, 422) and request.method == "POST" and back:
            flash(error.message, "galat")
            return redirect(back)
        return _page(status, HTTP_TITLES.get(status, "Tidak dapat diproses"), error.message)


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if referrer and urlparse(referrer).netloc == request.host:
        return referrer
    return None


def _page(status: int, title: str, message: str) -> ResponseReturnValue:
    return render_template("error.html", title=title, message=message, status=status), status
