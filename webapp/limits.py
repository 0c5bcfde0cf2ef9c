"""Request limits: how big, how deep and how wide a JSON body may be, and how long a search text.

They are checked at the edge, before any service runs, so a hostile request costs a parse and no
transaction; and the last-resort handler turns any error that still escapes into a plain 500.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, render_template, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

MAX_JSON_BYTES = 1024 * 1024  # a JSON body; files go as multipart, up to MAX_CONTENT_LENGTH
MAX_JSON_DEPTH = 32  # nested objects and arrays; the deepest form is a handful of levels
MAX_JSON_ITEMS = 10_000  # keys and array items in the whole body
MAX_QUERY_TEXT = 200  # a search text in the query string (q, actor, task)

log = logging.getLogger(__name__)


class JsonRefused(ValueError):
    """The body is JSON the API will not read: too deep or too wide (a ValueError, as bad JSON is)."""


def parse_json(raw: bytes | str) -> Any:
    """Parse a JSON body within the depth and item caps.

    :raises JsonRefused: too deep (also when the parser itself runs out of stack) or too many items.
    :raises ValueError: not JSON at all (UnicodeDecodeError included).
    """
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise JsonRefused(_too_deep()) from None
    check_shape(value)
    return value


def check_shape(value: Any) -> None:
    """Raise JsonRefused when `value` nests deeper than MAX_JSON_DEPTH or holds more than MAX_JSON_ITEMS."""
    items, pending = 0, [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, str):
            _check_text(node)
            continue
        children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > MAX_JSON_DEPTH:
            raise JsonRefused(_too_deep())
        if isinstance(node, dict):
            for key in node:
                _check_text(key)
        items += len(children)
        if items > MAX_JSON_ITEMS:
            raise JsonRefused(f"JSON terlalu banyak isian (maksimal {MAX_JSON_ITEMS} kunci dan unsur).")
        pending.extend((child, depth + 1) for child in children)


def _check_text(text: str) -> None:
    """Refuse NUL and lone surrogates: no database column stores them, and UTF-8 cannot carry the latter."""
    if "\x00" in text or (not text.isascii() and not _encodes(text)):
        raise JsonRefused("JSON memuat karakter yang tidak diizinkan (NUL atau surrogate tunggal).")


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _too_deep() -> str:
    return f"JSON terlalu dalam (maksimal {MAX_JSON_DEPTH} tingkat)."


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} bukan nilai JSON.")


def json_body_bytes() -> bytes:
    """The raw body of a JSON request, refused with 413 past MAX_JSON_BYTES (unread, when its length is known)."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise RequestEntityTooLarge()
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise RequestEntityTooLarge()
    return raw


class LimitedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading within the caps, so `request.get_json()` anywhere refuses a hostile body."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)


def register_limits(app: Flask) -> None:
    """Read JSON within the caps everywhere, refuse NUL in the address, and answer the unexpected."""
    app.json = LimitedJSONProvider(app)
    app.before_request(_refuse_nul_in_address)
    register_last_resort(app)


def _refuse_nul_in_address() -> None:
    """A NUL in the path or query string is never meant; PostgreSQL would fail on it deep inside."""
    if "\x00" in request.path or any("\x00" in k + v for k, v in request.args.items(multi=True)):
        raise BadRequest("Alamat memuat karakter NUL.")


def register_last_resort(app: Flask) -> None:
    """Any error no other handler took: logged with its traceback, answered without it."""

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):  # e.g. a routing redirect: Flask's own answer
            return error
        log.exception("Kesalahan tak terduga pada %s %s", request.method, request.path)
        if request.path.startswith("/api/"):
            payload = {"error": "internal_error", "message": "Terjadi kesalahan pada server. Coba lagi nanti."}
            return Response(json.dumps(payload), status=500, mimetype="application/json")
        message = "Terjadi kesalahan pada server. Coba lagi nanti; bila berulang, hubungi admin."
        return render_template("error.html", title="Terjadi kesalahan", message=message, status=500), 500
