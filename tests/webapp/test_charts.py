"""The dashboard's SVG bar charts are laid out so that no label or value runs past the drawing's edge.

The browser test (tests/browser/test_accessibility_browser.py) measures the drawn text in Chromium;
these check the layout rules themselves, with no database.
"""

from __future__ import annotations

import re

import pytest

from webapp.charts import BOLD_CHAR_EM, FONT_SIZE, LABEL_CHARS, WIDTH, Bar, bar_chart, label_lines

LONG_LABEL = "Terbitkan surat keputusan Kepala Dinas tentang pemberian bantuan mediasi kasus kekerasan"


def texts(svg: str) -> list[tuple[float, str]]:
    """Each text element as (x, content)."""
    return [(float(x), body) for x, body in re.findall(r'<text x="([\d.]+)"[^>]*>([^<]*)</text>', svg)]


def test_a_long_label_wraps_between_words_onto_lines_that_fit() -> None:
    lines = label_lines(LONG_LABEL)
    assert len(lines) == 3
    assert " ".join(lines) == LONG_LABEL  # every word, in order, none cut
    assert all(len(line) <= LABEL_CHARS for line in lines)
    assert label_lines("Maret 2026") == ["Maret 2026"]


def test_every_line_of_a_label_is_its_own_text_and_the_rows_grow_to_hold_them() -> None:
    short = bar_chart("a", "Judul", [Bar("Maret 2026", 3, "3")])
    long = bar_chart("b", "Judul", [Bar(LONG_LABEL, 3, "3")])
    assert [body for _, body in texts(long)][:3] == label_lines(LONG_LABEL)

    def height(svg: str) -> int:
        return int(re.search(r'viewBox="0 0 \d+ (\d+)"', svg).group(1))  # type: ignore[union-attr]

    assert height(long) > height(short)


def test_the_longest_value_ends_inside_the_drawing() -> None:
    svg = bar_chart(
        "sla",
        "Jam layanan yang berhenti tepat waktu",
        [Bar("Respons (5 hari kerja)", 1.0, "100% (120 dari 120)"), Bar("Penyelesaian", 0.5, "50% (1 dari 2)")],
        maximum=1,
    )
    x, value = next((x, body) for x, body in texts(svg) if body.startswith("100%"))
    assert x + len(value) * BOLD_CHAR_EM * FONT_SIZE <= WIDTH
    widths = [float(w) for w in re.findall(r'<rect x="1" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[1] == pytest.approx(
        widths[0] / 2, abs=0.1
    )  # the room for values does not change the scale between bars
