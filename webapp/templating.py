"""Jinja helpers: times in the office's time zone, and Indonesian names of statuses and outcomes."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from engine.roles import ROLE_TITLES
from engine.titles import OUTCOME_TITLES, STATUS_TITLES
from webapp.cases import EVENT_TITLES
from webapp.web import ctx

DAYS = ["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def when(moment: datetime | None) -> str:
    """A moment as people in the office read it: "Sel, 17 Mar 2026 09.00"."""
    if moment is None:
        return "-"
    local = moment.astimezone(ctx().settings.zone)
    return f"{DAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year} {local:%H.%M}"


def age(now: datetime, since: datetime) -> str:
    """How long something has waited, roughly: "3 hari", "2 jam", "baru saja"."""
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("hari", 86400), ("jam", 3600), ("menit", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return "baru saja"


def register_templating(app: Flask) -> None:
    """Make the helpers available to every template."""
    app.jinja_env.globals.update(
        when=when,
        age=age,
        status_title=lambda s: STATUS_TITLES.get(s, s),
        outcome_title=lambda o: OUTCOME_TITLES.get(o, o),
        event_title=lambda t: EVENT_TITLES.get(t, t),
    )
    app.jinja_env.filters["role_title"] = lambda r: ROLE_TITLES.get(r, r)
