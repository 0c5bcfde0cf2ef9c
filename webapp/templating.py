"""Jinja helpers: times in the office's time zone, Indonesian names of statuses and outcomes, people by name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from flask import Flask, g

from engine.letters.dates import long_date
from engine.roles import ROLE_TITLES
from engine.services import people as people_service
from engine.titles import outcome_title, status_title
from webapp.cases import event_title
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


def people(actors: Iterable[str | None]) -> Mapping[str, str]:
    """Full names of every actor a page will show, in one query per page; `person` then reads them from memory.

    In a template: `{% set names = people(events | map(attribute='actor')) %}` before a loop of `e.actor | person`.
    """
    known: dict[str, str] = g.setdefault("people_names", {})
    missing = {a for a in actors if a and a not in known}
    if missing:
        known.update(people_service.display_names(ctx(), missing))
    return known


def person(actor: str | None) -> str:
    """Who acted, as people read it: a user's full name, "Sistem (…)" for the CLI and the scheduler."""
    if not actor:
        return "-"
    return people([actor]).get(actor, actor)


def register_templating(app: Flask) -> None:
    """Make the helpers available to every template."""
    app.jinja_env.globals.update(
        when=when,
        age=age,
        long_date=long_date,
        status_title=status_title,
        outcome_title=outcome_title,
        people=people,
        event_title=event_title,
    )
    app.jinja_env.filters["role_title"] = lambda r: ROLE_TITLES.get(r, r)
    app.jinja_env.filters["person"] = person
