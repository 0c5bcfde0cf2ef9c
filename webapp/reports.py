"""The management dashboard (/dasbor): counts over the cases of a period, as tables and SVG bar charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from engine.letters.dates import MONTHS
from engine.services import statistics
from engine.services.statistics import ClockFigures, Count, Dashboard
from engine.titles import OUTCOME_TITLES, STATUS_TITLES
from webapp.charts import Bar, bar_chart
from webapp.web import actor, ctx, roles_required

bp = Blueprint("reports", __name__)
PERIOD_FIELDS = {"dari": "Tanggal awal", "sampai": "Tanggal akhir"}
FIRST_YEAR, LAST_YEAR = 2000, 2099


@bp.get("/dasbor")
@roles_required(*statistics.READERS)
def dashboard() -> ResponseReturnValue:
    """The figures of the cases filed in the chosen period (all cases without one)."""
    form = {name: request.args.get(name, "").strip() for name in PERIOD_FIELDS}
    start, end, errors = read_period(form)
    if errors:
        return render_template("reports/dashboard.html", form=form, errors=errors, board=None), 422
    board = statistics.dashboard(ctx(), actor=actor(), start=start, end=end)
    return render_template(
        "reports/dashboard.html",
        form=form,
        errors={},
        board=board,
        tables=tables(board),
        charts=charts(board),
        period=period_text(start, end),
        number=number,
        percent=percent,
    )


# -- the period -------------------------------------------------------------------------------------


def read_period(values: Mapping[str, str]) -> tuple[date | None, date | None, dict[str, str]]:
    """`dari` and `sampai` as dates (empty: open), with an Indonesian message per field at fault."""
    errors: dict[str, str] = {}
    days = {name: _day(values.get(name, "").strip(), name, errors) for name in PERIOD_FIELDS}
    start, end = days["dari"], days["sampai"]
    if start is not None and end is not None and end < start:
        errors["sampai"] = "Tanggal akhir tidak boleh sebelum tanggal awal."
    return start, end, errors


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    label = PERIOD_FIELDS[name]
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[name] = f"{label} harus berupa tanggal berbentuk TTTT-BB-HH, misalnya 2026-03-17."
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR or len(text) != 10:
        errors[name] = f"{label} harus tanggal antara tahun {FIRST_YEAR} dan {LAST_YEAR}, berbentuk TTTT-BB-HH."
        return None
    return day


def period_text(start: date | None, end: date | None) -> str:
    """The period in words: "1 Maret 2026 – 31 Maret 2026", "sejak ...", "sampai ...", or every case."""
    if start and end:
        return f"{day_title(start)} – {day_title(end)}"
    if start:
        return f"sejak {day_title(start)}"
    if end:
        return f"sampai {day_title(end)}"
    return "semua kasus"


# -- titles and numbers -----------------------------------------------------------------------------


def day_title(day: date) -> str:
    """A date as the office writes it: 17 Maret 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_title(key: str) -> str:
    """A month key ("2026-03") as people read it ("Maret 2026")."""
    year, month = key.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def outcome_title(key: str) -> str:
    return OUTCOME_TITLES.get(key, key.replace("_", " ").capitalize())


def status_title(key: str) -> str:
    return STATUS_TITLES.get(key, key.replace("_", " ").capitalize())


def number(value: float | None) -> str:
    """A figure in Indonesian notation ("2", "4,5"); a dash for none."""
    if value is None:
        return "–"
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")


def percent(share: float | None) -> str:
    """A share as a percentage with one decimal at most ("80%", "66,7%"); a dash for none."""
    return "–" if share is None else f"{number(share * 100)}%"


def tables(board: Dashboard) -> dict[str, list[tuple[str, str, int]]]:
    """Each list of counts as (key, title, count) rows, titled for people."""

    def rows(counts: Sequence[Count], title: Any) -> list[tuple[str, str, int]]:
        return [(c.key, title(c), c.count) for c in counts]

    return {
        "steps": rows(board.open_by_step, lambda c: c.title or c.key),
        "outcomes": rows(board.outcomes, lambda c: outcome_title(c.key)),
        "violence": rows(board.violence_types, lambda c: c.title or c.key),
        "months": rows(board.months, lambda c: month_title(c.key)),
        "complaint_statuses": rows(board.complaints_by_status, lambda c: status_title(c.key)),
        "complaint_outcomes": rows(board.complaints_by_outcome, lambda c: outcome_title(c.key)),
        "follow_up_outcomes": rows(board.follow_ups_by_outcome, lambda c: outcome_title(c.key)),
    }


# -- charts -----------------------------------------------------------------------------------------


def charts(board: Dashboard) -> dict[str, Markup]:
    """The bar chart of each figure that has something to show."""
    rows = tables(board)
    drawn = {
        "steps": ("Kasus berjalan per langkah", rows["steps"]),
        "outcomes": ("Hasil kasus yang selesai", rows["outcomes"]),
        "violence": ("Kasus per jenis kekerasan", rows["violence"]),
        "months": ("Kasus per bulan pengajuan", rows["months"]),
        "complaints": ("Pengaduan layanan per status", rows["complaint_statuses"]),
    }
    result = {
        name: bar_chart(f"grafik-{name}", title, [Bar(t, n, str(n)) for _, t, n in counted])
        for name, (title, counted) in drawn.items()
        if any(n for _, _, n in counted)
    }
    clocks = [c for c in board.clocks if c.stopped]
    if clocks:
        result["sla"] = bar_chart("grafik-sla", "Jam layanan yang berhenti tepat waktu", _sla_bars(clocks), maximum=1)
    return result


def _sla_bars(clocks: Sequence[ClockFigures]) -> list[Bar]:
    return [
        Bar(f"{c.title} ({c.days} hari kerja)", c.share or 0.0, f"{percent(c.share)} ({c.met} dari {c.stopped})")
        for c in clocks
    ]
