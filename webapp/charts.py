"""Bar charts as SVG drawn on the server: presentation attributes only, no style attribute and no script.

The site's Content-Security-Policy forbids inline styles and scripts, so a chart is plain markup.
Each chart is an image with a title and a description that lists every value in words, and every
bar carries its label and its value as text: nothing is said by colour alone.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

# A narrow drawing, shown at most a little wider than drawn, keeps its text near 14-17 px from a
# 390 px phone to a wide screen (the .grafik rule in app.css).
WIDTH = 400
FONT_SIZE = 16
LABEL_LINE = 20  # one line of a label
LABEL_CHARS = 38  # a label wraps between words at this many characters, so it never runs past the edge
BAR_HEIGHT = 18
GAP = 10  # between a bar and the next label
# Text widths are estimated generously (wide fonts such as DejaVu Sans; bold digits are 0.7 em), since the
# server does not know the reader's font.
CHAR_EM = 0.62
BOLD_CHAR_EM = 0.72
BAR_COLOUR = "#3b1f5c"
TEXT_COLOUR = "#1f2329"
AXIS_COLOUR = "#8a8f98"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


@dataclass(frozen=True)
class Bar:
    """One bar: what it counts, its size, and the value as people read it ("3", "80% (4 dari 5)")."""

    label: str
    value: float
    text: str


def bar_chart(ident: str, title: str, bars: Sequence[Bar], *, maximum: float | None = None) -> Markup:
    """Horizontal bars, each under its label with its value written after it; `maximum` fixes the scale."""
    top = max([maximum or 0.0, *(bar.value for bar in bars)])
    room = value_room(bars)
    rows: list[Markup] = []
    y = 0
    for bar in bars:
        lines = label_lines(bar.label)
        rows.extend(_row(y, lines, bar, top, room))
        y += row_height(lines)
    height = y + 4
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="grafik" viewBox="0 0 {} {}" role="img" '
            'aria-labelledby="{}-judul {}-uraian" font-family="{}" font-size="{}">'
        ).format(WIDTH, height, ident, ident, FONT, FONT_SIZE),
        Markup('<title id="{}-judul">{}</title>').format(ident, title),
        Markup('<desc id="{}-uraian">{}</desc>').format(ident, describe(bars)),
        Markup('<line x1="0.5" y1="0" x2="0.5" y2="{}" stroke="{}" stroke-width="1"/>').format(height, AXIS_COLOUR),
        *rows,
        Markup("</svg>"),
    ]
    return Markup("").join(parts)


def describe(bars: Sequence[Bar]) -> str:
    """Every bar in words, for readers who do not see the chart."""
    return "; ".join(f"{bar.label}: {bar.text}" for bar in bars) + "." if bars else "Tidak ada data."


def label_lines(label: str) -> list[str]:
    """A label as the lines it is drawn on, broken between words (a longer word keeps a line of its own)."""
    return textwrap.wrap(label, LABEL_CHARS, break_long_words=False, break_on_hyphens=False) or [""]


def value_room(bars: Sequence[Bar]) -> float:
    """The room right of the longest bar that its value (drawn in bold after the bar) needs."""
    longest = max((len(bar.text) for bar in bars), default=0)
    return 8 + longest * BOLD_CHAR_EM * FONT_SIZE + 4


def row_height(lines: Sequence[str]) -> int:
    """The height of a bar's row: its label's lines, then the bar."""
    return LABEL_LINE * len(lines) + 6 + BAR_HEIGHT + GAP


def _row(y: int, lines: Sequence[str], bar: Bar, top: float, room: float) -> list[Markup]:
    """A bar's label on its own lines, then the bar, then its value after the bar's end."""
    length = round(max(WIDTH - room, 0) * bar.value / top, 1) if top > 0 else 0.0
    bar_y = y + LABEL_LINE * len(lines) + 6
    label = [
        Markup('<text x="6" y="{}" fill="{}">{}</text>').format(y + LABEL_LINE * (i + 1) - 4, TEXT_COLOUR, line)
        for i, line in enumerate(lines)
    ]
    return [
        *label,
        Markup('<rect x="1" y="{}" width="{}" height="{}" fill="{}"/>').format(bar_y, length, BAR_HEIGHT, BAR_COLOUR),
        Markup('<text x="{}" y="{}" fill="{}" font-weight="600">{}</text>').format(
            length + 8, bar_y + BAR_HEIGHT - 4, TEXT_COLOUR, bar.text
        ),
    ]
