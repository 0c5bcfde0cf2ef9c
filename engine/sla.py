"""Service-level clocks and due moments, counted in working days.

Pure: the working-day calendar and the moment come in; plain data goes out. A case keeps its clocks
as JSON on its own row (`cases.sla`), so a step changes them without another statement.

The process declares its clocks on user tasks (see engine.bpmn.catalog):

- `slaStart="respons:5 penyelesaian:14"`: when the task opens, each named clock starts, due at the
  close of service on the n-th working day after (the SOP's clocks start when the file is complete);
- `slaStop="respons"`: when the task is completed, the named clocks stop (the response is given);
- `slaDue="kelengkapan"`: the task is due a set number of working days after it opens
  (the completeness check, `Settings.completeness_days`), `slaDue="72h"`: that many hours after.

Every other staff task is due when the earliest running clock is due. Applicant tasks have no due
moment: while only the applicant has work, the clocks are paused with the reason, and on resuming
every running clock moves out by the working days the pause lasted. A case's end stops them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from engine.calendar import WorkingCalendar

COMPLETENESS = "kelengkapan"


class SlaState(StrEnum):
    """Where a due moment stands as seen at a moment."""

    ON_TIME = "tepat_waktu"
    DUE_SOON = "segera"  # due within one working day
    OVERDUE = "terlambat"

    @property
    def label(self) -> str:
        """The state as users read it."""
        return _LABELS[self]


_LABELS = {
    SlaState.ON_TIME: "Tepat waktu",
    SlaState.DUE_SOON: "Jatuh tempo dalam 1 hari kerja",
    SlaState.OVERDUE: "Terlambat",
}

CLOCK_TITLES = {"respons": "Respons", "penyelesaian": "Penyelesaian"}


def sla_state(due_at: datetime | None, now: datetime, calendar: WorkingCalendar) -> SlaState | None:
    """On time, due within one working day, or overdue; None without a due moment."""
    if due_at is None:
        return None
    if now > due_at:
        return SlaState.OVERDUE
    if due_at <= due_soon_until(now, calendar):
        return SlaState.DUE_SOON
    return SlaState.ON_TIME


def due_soon_until(now: datetime, calendar: WorkingCalendar) -> datetime:
    """The latest due moment that is due soon as seen at `now`: one working day out (engine.services.inbox
    turns a state into bounds on due moments with it, so a filtered inbox agrees with `sla_state`)."""
    return calendar.due_at(now, 1)


@dataclass(frozen=True)
class ClockSpec:
    """A clock a task starts: its name and its length in working days."""

    name: str
    days: int


def parse_clock_specs(text: str) -> list[ClockSpec]:
    """Read `"respons:5 penyelesaian:14"`; raise ValueError on anything else."""
    specs: list[ClockSpec] = []
    for item in text.split():
        name, sep, days = item.partition(":")
        if not sep or not name.isidentifier() or not days.isdigit():
            raise ValueError(f"jam SLA {item!r} harus berbentuk nama:hari, mis. respons:5")
        specs.append(ClockSpec(name, int(days)))
    if not specs:
        raise ValueError("slaStart kosong")
    return specs


def parse_task_due(text: str) -> str | int:
    """`kelengkapan` (the completeness check, a setting) or `<n>h`, a fixed number of hours."""
    value = text.strip()
    if value == COMPLETENESS:
        return COMPLETENESS
    if value.endswith("h") and value[:-1].isdigit() and int(value[:-1]) > 0:
        return int(value[:-1])
    raise ValueError(f"slaDue {text!r} harus 'kelengkapan' atau jumlah jam seperti '72h'")


Clocks = dict[str, dict[str, Any]]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def running(clocks: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Names of the clocks that have started and not stopped."""
    return [name for name, clock in clocks.items() if not clock.get("stopped")]


def paused(clocks: Mapping[str, Mapping[str, Any]]) -> bool:
    """True while the running clocks wait on the applicant."""
    return any(clocks[name].get("paused") for name in running(clocks))


def start(clocks: Clocks, specs: Iterable[ClockSpec], now: datetime, calendar: WorkingCalendar) -> list[str]:
    """Start the clocks that have not run yet; return the names started."""
    started = []
    for spec in specs:
        if spec.name in clocks:
            continue
        # Sparse: "paused", "reason", "paused_days", "stopped" and "met" appear when they apply.
        clocks[spec.name] = {"days": spec.days, "started": _iso(now), "due": _iso(calendar.due_at(now, spec.days))}
        started.append(spec.name)
    return started


def stop(clocks: Clocks, names: Iterable[str], now: datetime, calendar: WorkingCalendar) -> list[str]:
    """Stop the named running clocks; a stopped clock records whether it met its due moment.

    A paused clock first resumes, so the time it waited on the applicant does not count against it.
    """
    wanted = [n for n in names if n in clocks and not clocks[n].get("stopped")]
    if any(clocks[n].get("paused") for n in wanted):
        resume(clocks, now, calendar)
    for name in wanted:
        clock = clocks[name]
        clock["stopped"] = _iso(now)
        clock["met"] = now <= datetime.fromisoformat(clock["due"])
    return wanted


def pause(clocks: Clocks, now: datetime, reason: str) -> list[str]:
    """Pause every running clock with `reason`; return the names paused."""
    names = [n for n in running(clocks) if not clocks[n].get("paused")]
    for name in names:
        clocks[name]["paused"], clocks[name]["reason"] = _iso(now), reason
    return names


def resume(clocks: Clocks, now: datetime, calendar: WorkingCalendar) -> dict[str, int]:
    """Resume paused clocks: each due moment moves out by the working days the pause lasted."""
    moved: dict[str, int] = {}
    for name in running(clocks):
        clock = clocks[name]
        since = _moment(clock.get("paused"))
        if since is None:
            continue
        days = working_days_held(since, now, calendar)
        if days:
            due = datetime.fromisoformat(clock["due"])
            clock["due"] = _iso(calendar.close_of_service(calendar.add_working_days(due, days)))
        del clock["paused"], clock["reason"]
        if days:
            clock["paused_days"] = int(clock.get("paused_days", 0)) + days
        moved[name] = days
    return moved


def working_days_held(since: datetime, now: datetime, calendar: WorkingCalendar) -> int:
    """Working days a pause (or a suspension) from `since` to `now` lasted, as a due moment moves out by them."""
    return max(0, calendar.working_days_between(calendar.next_working_moment(since), now))


def postpone(moment: datetime, days: int, calendar: WorkingCalendar) -> datetime:
    """`moment` moved out by `days` working days: the same local time that many working days later,
    and a close of service stays the close of service (a Friday closes earlier)."""
    if days <= 0:
        return moment
    day = calendar.add_working_days(moment, days)
    own = calendar.local_date(moment)
    if calendar.is_working_day(own) and moment == calendar.close_of_service(own):
        return calendar.close_of_service(day)
    local = moment.astimezone(calendar.zone)
    return datetime.combine(day, local.timetz()).astimezone(moment.tzinfo)


def clock_due(clocks: Mapping[str, Mapping[str, Any]]) -> datetime | None:
    """The earliest due moment among the running clocks (paused ones included)."""
    dues = [datetime.fromisoformat(clocks[n]["due"]) for n in running(clocks)]
    return min(dues) if dues else None


def task_due(
    clocks: Mapping[str, Mapping[str, Any]],
    due_rule: str | int | None,
    opened: datetime,
    calendar: WorkingCalendar,
    completeness_days: int,
) -> datetime | None:
    """A staff task's due moment: by its own rule, else by the earliest running clock."""
    if due_rule == COMPLETENESS:
        return calendar.due_at(opened, completeness_days)
    if isinstance(due_rule, int):
        return opened + timedelta(hours=due_rule)
    return clock_due(clocks)


def days_taken(clock: Mapping[str, Any], calendar: WorkingCalendar) -> int:
    """Working days a stopped clock ran, counted as its due moment is, less the days it was paused.

    A clock stopped on its due day took exactly its length; one stopped the day it started took 0.
    """
    started = calendar.next_working_moment(datetime.fromisoformat(clock["started"]))
    elapsed = calendar.working_days_between(started, datetime.fromisoformat(clock["stopped"]))
    return max(0, elapsed - int(clock.get("paused_days") or 0))
