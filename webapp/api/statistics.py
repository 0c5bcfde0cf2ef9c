"""The dashboard's figures as JSON: GET /statistics?dari=YYYY-MM-DD&sampai=YYYY-MM-DD."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Response, request

from engine.errors import FormInvalid
from engine.services import statistics
from engine.services.statistics import ClockFigures, Count, Dashboard
from webapp.api import bp
from webapp.api.openapi import WHEN, _errors, _json, _obj, _op
from webapp.api.support import caller, ctx, json_response
from webapp.reports import PERIOD_FIELDS, month_title, outcome_title, read_period, status_title


@bp.get("/statistics")
def dashboard() -> Response:
    """The dashboard of the cases filed from `dari` to `sampai` (kepala_dinas, ketua_lppar, auditor)."""
    start, end, errors = read_period({name: request.args.get(name, "") for name in PERIOD_FIELDS})
    actor = caller()
    statistics.ensure_reader(actor)  # a person who may not see it is told so before any field error
    if errors:
        raise FormInvalid(errors)
    return json_response(dashboard_json(statistics.dashboard(ctx(), actor=actor, start=start, end=end)))


def dashboard_json(board: Dashboard) -> dict[str, Any]:
    """Every figure of the dashboard, with titles as the page shows them."""
    return {
        "period": {"dari": board.start and board.start.isoformat(), "sampai": board.end and board.end.isoformat()},
        "as_of": board.as_of,
        "cases": board.cases,
        "open_cases": board.open_cases,
        "suspended_cases": board.suspended,
        "open_by_step": _counts(board.open_by_step, "element", lambda c: c.title or c.key),
        "sla": [_clock(c) for c in board.clocks],
        "median_working_days_to_decision": board.median_days_to_decision,
        "median_working_days_to_outcome": board.median_days_to_outcome,
        "outcomes": _counts(board.outcomes, "outcome", lambda c: outcome_title(c.key)),
        "violence_types": _counts(board.violence_types, "type", lambda c: c.title or c.key),
        "months": _counts(board.months, "month", lambda c: month_title(c.key)),
        "complaints": {
            "total": board.complaints,
            "by_status": _counts(board.complaints_by_status, "status", lambda c: status_title(c.key)),
            "by_outcome": _counts(board.complaints_by_outcome, "outcome", lambda c: outcome_title(c.key)),
        },
        "follow_ups": {
            "total": board.follow_ups,
            "open": board.follow_ups_open,
            "by_outcome": _counts(board.follow_ups_by_outcome, "outcome", lambda c: outcome_title(c.key)),
        },
    }


def _counts(counts: Sequence[Count], key: str, title: Callable[[Count], str]) -> list[dict[str, Any]]:
    return [{key: c.key, "title": title(c), "count": c.count} for c in counts]


def _clock(clock: ClockFigures) -> dict[str, Any]:
    return {
        "clock": clock.name,
        "title": clock.title,
        "days": clock.days,
        "stopped": clock.stopped,
        "met": clock.met,
        "share": clock.share,
        "running": clock.running,
        "overdue": clock.overdue,
        "median_working_days": clock.median_days,
    }


def openapi_schemas() -> dict[str, Any]:
    """The schemas of this endpoint, for the OpenAPI document."""
    count = {"type": "integer", "minimum": 0}
    text, maybe_text = {"type": "string"}, {"type": ["string", "null"]}
    maybe_days = {"type": ["number", "null"], "minimum": 0, "description": "median hari kerja; null bila belum ada"}

    def counted(key: str) -> dict[str, Any]:
        return {"type": "array", "items": _obj({key: text, "title": text, "count": count})}

    return {
        "Statistics": _obj(
            {
                "period": _obj({"dari": {**maybe_text, "format": "date"}, "sampai": {**maybe_text, "format": "date"}}),
                "as_of": WHEN,
                "cases": count,
                "open_cases": count,
                "suspended_cases": {**count, "description": "kasus berjalan yang sedang ditangguhkan"},
                "open_by_step": counted("element"),
                "sla": {
                    "type": "array",
                    "items": _obj(
                        {
                            "clock": text,
                            "title": text,
                            "days": {"type": ["integer", "null"]},
                            "stopped": count,
                            "met": count,
                            "share": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                            "running": count,
                            "overdue": count,
                            "median_working_days": maybe_days,
                        }
                    ),
                },
                "median_working_days_to_decision": maybe_days,
                "median_working_days_to_outcome": maybe_days,
                "outcomes": counted("outcome"),
                "violence_types": counted("type"),
                "months": counted("month"),
                "complaints": _obj({"total": count, "by_status": counted("status"), "by_outcome": counted("outcome")}),
                "follow_ups": {
                    **_obj({"total": count, "open": count, "by_outcome": counted("outcome")}),
                    "description": "pemantauan kesepakatan (R12) yang terutang oleh kasus mediasi pada periode ini",
                },
            }
        )
    }


def openapi_paths() -> dict[str, Any]:
    """The path of this endpoint, for the OpenAPI document."""
    day = {"type": "string", "format": "date"}
    return {
        "/statistics": {
            "get": _op(
                "Angka dasbor atas kasus yang diajukan dari tanggal `dari` sampai `sampai` (WIB, keduanya termasuk)",
                {"200": _json({"$ref": "#/components/schemas/Statistics"}, "OK"), **_errors(401, 403, 422)},
                params=[
                    {"name": "dari", "in": "query", "schema": day},
                    {"name": "sampai", "in": "query", "schema": day},
                ],
            )
        }
    }
