"""Bar charts as SVG drawn on the server: presentation attributes only, no style attribute and no script.

The site's Content-Security-Policy forbids inline styles and scripts, so a chart is plain markup.
Each chart is an image with a title and a description that lists every value in words, and every
bar carries its label and its value as text: nothing is said by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 480
ROW = 46  # a label line, then its bar
LABEL_LINE = 16
BAR_HEIGHT = 18
VALUE_ROOM = 130  # room right of the longest bar for its value
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
    height = ROW * len(bars) + 4
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="grafik" viewBox="0 0 {} {}" role="img" '
            'aria-labelledby="{}-judul {}-uraian" font-family="{}" font-size="15">'
        ).format(WIDTH, height, ident, ident, FONT),
        Markup('<title id="{}-judul">{}</title>').format(ident, title),
        Markup('<desc id="{}-uraian">{}</desc>').format(ident, describe(bars)),
        Markup('<line x1="0.5" y1="0" x2="0.5" y2="{}" stroke="{}" stroke-width="1"/>').format(height, AXIS_COLOUR),
    ]
    for row, bar in enumerate(bars):
        parts.extend(_row(row * ROW, bar, top))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def describe(bars: Sequence[Bar]) -> str:
    """Every bar in words, for readers who do not see the chart."""
    return "; ".join(f"{bar.label}: {bar.text}" for bar in bars) + "." if bars else "Tidak ada data."


def _row(y: int, bar: Bar, top: float) -> list[Markup]:
    """A bar's label on its own line, then the bar, then its value after the bar's end."""
    length = round((WIDTH - VALUE_ROOM) * bar.value / top, 1) if top > 0 else 0.0
    bar_y = y + LABEL_LINE + 6
    return [
        Markup('<text x="6" y="{}" fill="{}">{}</text>').format(y + LABEL_LINE, TEXT_COLOUR, bar.label),
        Markup('<rect x="1" y="{}" width="{}" height="{}" fill="{}"/>').format(bar_y, length, BAR_HEIGHT, BAR_COLOUR),
        Markup('<text x="{}" y="{}" fill="{}" font-weight="600">{}</text>').format(
            length + 8, bar_y + BAR_HEIGHT - 4, TEXT_COLOUR, bar.text
        ),
    ]
