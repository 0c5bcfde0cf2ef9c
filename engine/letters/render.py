"""Versioned HTML templates filled in and turned into PDF by WeasyPrint.

Each kind's body is `templates/<kind>/vN.html`; the frame (letterhead, number block, signature
block, stylesheet) is `templates/kop/vN/`. A new letter uses the highest version of each, and the
document records which (`surat_keputusan/v1+kop/v1`): an issued PDF never changes, so a new
wording is a new file. Templates are `string.Template`s: every value is HTML-escaped unless it is
an `Html` fragment built from escaped parts, and a template naming a value nobody supplies fails.
"""

from __future__ import annotations

import html
import re
import string
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parent / "templates"
FRAME = "kop"
_VERSION = re.compile(r"^v(\d+)(?:\.html)?$")
# WeasyPrint (Pango, fontconfig) is not documented as thread-safe, and the font configuration is
# shared: one letter at a time per process.
_RENDERING = threading.Lock()


class Html(str):
    """Markup that is already safe to put into a template as it is."""

    __slots__ = ()


def escape(value: Any) -> Html:
    """A value as HTML text (Html fragments pass unchanged)."""
    return value if isinstance(value, Html) else Html(html.escape(str(value), quote=True))


def paragraphs(text: str) -> Html:
    """Free text from a form: escaped, its line breaks kept."""
    lines = [html.escape(line.strip()) for line in str(text).strip().splitlines()]
    return Html("<br>".join(lines))


def latest_version(folder: str) -> str:
    """The newest template version ("v1", "v2", ...) in `templates/<folder>`."""
    return _latest_version(folder)


@cache
def _latest_version(folder: str) -> str:
    found = [int(m.group(1)) for p in (TEMPLATES / folder).iterdir() if (m := _VERSION.match(p.name))]
    if not found:
        raise LookupError(f"no template versions in {TEMPLATES / folder}")
    return f"v{max(found)}"


@cache
def _template(relative: str) -> string.Template:
    return string.Template((TEMPLATES / relative).read_text(encoding="utf-8"))


def fill(relative: str, values: Mapping[str, Any]) -> Html:
    """The template at `relative` with `values` escaped into it."""
    return Html(_template(relative).substitute({k: escape(v) for k, v in values.items()}))


def frame_part(part: str, values: Mapping[str, Any]) -> Html:
    """A part of the current frame (header.html, signature.html) filled in."""
    return fill(f"{FRAME}/{latest_version(FRAME)}/{part}", values)


def template_version(kind: str) -> str:
    """What a letter of `kind` made now is made from, as stored with the document."""
    return f"{kind}/{latest_version(kind)}+{FRAME}/{latest_version(FRAME)}"


def page(kind: str, values: Mapping[str, Any], *, title: str, created: str, logo: str | None = None) -> str:
    """The whole HTML page of a letter of `kind`; `logo`, a `data:` URI, heads the letterhead."""
    body = fill(f"{kind}/{latest_version(kind)}.html", values)
    emblem = Html(f'<img class="kop-lambang" src="{escape(logo)}" alt="Lambang daerah">') if logo else Html("")
    frame = {"judul": title, "dibuat": created, "isi": body, "lambang": emblem}
    return str(frame_part("page.html", {**frame, "kop_kelas": " kop-dengan-lambang" if logo else ""}))


@cache
def _styling() -> tuple[Any, Any]:
    """The stylesheet and the font configuration, made once (fonts are looked up once per process)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = (TEMPLATES / FRAME / latest_version(FRAME) / "letter.css").read_text(encoding="utf-8")
    return CSS(string=css, font_config=fonts), fonts


def to_pdf(page_html: str) -> bytes:
    """Render a letter's page as PDF; nothing outside the page (no URL, no file) is ever loaded:
    the only resource a page may name is a `data:` URI it carries (the logo)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    with _RENDERING:
        stylesheet, fonts = _styling()
        document = HTML(string=page_html, url_fetcher=URLFetcher(allowed_protocols=("data",)))
        pdf: bytes = document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
    return pdf
