"""The management dashboard: counts over cases for the Kepala Dinas, the Ketua LP-PAR and auditors.

Only counts leave this module: never a name, a number of a case or anything typed into a form. The
figures cover the cases filed (`cases.created_at`) on the office's local dates from `start` to `end`,
both included; either may be open.

- Mediation figures are over cases of the process `mediasi_kekerasan` (every version); complaints
  (`pengaduan_layanan`) are counted apart, by status and outcome, and may not exist at all. A case
  closed as a duplicate of another (outcome `duplikat`) counts nowhere: its original already does.
- Working days to decision and to outcome are counted on each stopped clock (engine.sla) as the
  clock itself counts its due moment: the working days after the day the clock started (a clock
  started outside service hours starts at the next opening) up to and including the day it
  stopped, less the working days it was paused waiting on the applicant. So a clock that stops on
  its due day took exactly its length, and one stopped the day it started took 0.
- A running clock is overdue when its due moment has passed, judged now, or at the moment it was
  paused while it waits on the applicant (as the case page judges it).

Every figure comes from what is kept beside a case's workflow, never from the workflow itself:
the case row (status, outcome, filing moment, the clocks in `sla`, and the violence types in the
legal screening record `screening`, engine.legal.screening) and the ready `case_task` rows. The
screening record holds the types as submitted (a type removed only by a confirmed correction), so
it names the same types as the process variable, and finished and open cases cost alike. Queries
are few and bounded: one for the mediation cases, one for the steps open cases wait on, one for
the complaints, and the calendar's; a case filed before screening records existed has its record
rebuilt from its events, once per such case (see bench/list_bench.py).
"""

from __future__ import annotations

import statistics as stats
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.actors import Actor
from engine.calendar import OFFICE_ZONE, WorkingCalendar
from engine.casework import screening_records
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import InvalidInput, PermissionDenied
from engine.legal import screening
from engine.persistence.models import Case, CaseTask, FollowUp, ProcessDefinition
from engine.roles import Role
from engine.sla import CLOCK_TITLES, days_taken
from engine.status import CaseOutcome, CaseStatus, TaskStatus

MEDIATION = "mediasi_kekerasan"
COMPLAINTS = "pengaduan_layanan"
READERS = (Role.KEPALA_DINAS, Role.KETUA_LPPAR, Role.AUDITOR)
DECISION, OUTCOME = "respons", "penyelesaian"  # the SOP's clocks: to the Kepala Dinas' decision, to an outcome
VIOLENCE = "jenis_kekerasan"
STATUSES = CaseStatus.ALL


@dataclass(frozen=True)
class Count:
    """How many cases have `key`; `title` is set where the engine knows one (steps, violence types)."""

    key: str
    count: int
    title: str | None = None


@dataclass(frozen=True)
class ClockFigures:
    """One service-level clock over the cases: compliance of the stopped ones, the running ones now."""

    name: str
    title: str
    days: int | None  # the clock's length in working days (None when no case has it)
    stopped: int
    met: int
    running: int
    overdue: int  # running clocks past their due moment
    median_days: float | None  # median working days of the stopped clocks; None when none stopped

    @property
    def share(self) -> float | None:
        """The share of stopped clocks that met their due moment (0 to 1); None when none stopped."""
        return self.met / self.stopped if self.stopped else None


@dataclass(frozen=True)
class Dashboard:
    """Every figure of the dashboard, for the cases filed from `start` to `end` (local dates)."""

    start: date | None
    end: date | None
    as_of: datetime
    cases: int  # mediation cases filed in the period
    open_cases: int
    suspended: int = 0  # open cases suspended now, waiting on a third party ("Ditangguhkan")
    open_by_step: list[Count] = field(default_factory=list)
    clocks: list[ClockFigures] = field(default_factory=list)
    outcomes: list[Count] = field(default_factory=list)
    violence_types: list[Count] = field(default_factory=list)
    months: list[Count] = field(default_factory=list)  # "YYYY-MM", gaps between the first and last filled
    complaints: int = 0
    complaints_by_status: list[Count] = field(default_factory=list)
    complaints_by_outcome: list[Count] = field(default_factory=list)
    follow_ups: int = 0  # follow-ups owed by the period's mediation cases (R12, engine.services.follow_ups)
    follow_ups_open: int = 0  # of them, not ended yet: waiting for their date, or at their task
    follow_ups_by_outcome: list[Count] = field(default_factory=list)

    def clock(self, name: str) -> ClockFigures | None:
        """The figures of one clock by name."""
        return next((c for c in self.clocks if c.name == name), None)

    @property
    def median_days_to_decision(self) -> float | None:
        """Median working days from complete file to the Kepala Dinas' decision (the response clock)."""
        figures = self.clock(DECISION)
        return figures.median_days if figures else None

    @property
    def median_days_to_outcome(self) -> float | None:
        """Median working days from complete file to the case's outcome (the completion clock)."""
        figures = self.clock(OUTCOME)
        return figures.median_days if figures else None


def dashboard(ctx: EngineContext, *, actor: Actor, start: date | None, end: date | None) -> Dashboard:
    """The dashboard's figures over the cases filed from `start` to `end` (Kepala Dinas, Ketua LP-PAR, auditor).

    :raises PermissionDenied: for any other role.
    :raises InvalidInput: when `end` is before `start`.
    """
    ensure_reader(actor)
    if start is not None and end is not None and end < start:
        raise InvalidInput("Tanggal akhir tidak boleh sebelum tanggal awal.")
    now = ctx.clock.now()
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        cases = _mediation_cases(session, start, end)
        definitions = {i: ctx.definitions.get(session, i) for i in sorted({c.definition_id for c in cases})}
        calendar = ctx.calendar(session)
        by_status, by_outcome = _complaints(session, start, end)
        follow_ups = _follow_ups(session, start, end)
        return Dashboard(
            start=start,
            end=end,
            as_of=now,
            cases=len(cases),
            open_cases=sum(1 for c in cases if c.status == CaseStatus.OPEN),
            suspended=sum(1 for c in cases if c.status == CaseStatus.OPEN and c.suspended_at is not None),
            open_by_step=_open_by_step(session, definitions, start, end),
            clocks=_clock_figures([c.sla or {} for c in cases], now, calendar),
            outcomes=_tally(c.outcome for c in cases if c.status != CaseStatus.OPEN and c.outcome),
            violence_types=_violence_types(session, definitions, start, end),
            months=_months(c.created_at for c in cases),
            complaints=sum(by_status.values()),
            complaints_by_status=[Count(s, by_status.get(s, 0)) for s in _statuses(by_status)],
            complaints_by_outcome=_tally(by_outcome.elements()),
            follow_ups=len(follow_ups),
            follow_ups_open=sum(1 for status, _ in follow_ups if status in (None, CaseStatus.OPEN)),
            follow_ups_by_outcome=_tally(o for status, o in follow_ups if status == CaseStatus.COMPLETED and o),
        )


def ensure_reader(actor: Actor) -> None:
    """Raise PermissionDenied unless `actor` may see the dashboard."""
    if not actor.has_any(*READERS):
        raise PermissionDenied("Dasbor hanya untuk Kepala Dinas, Ketua LP-PAR dan auditor.")


# -- the rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CaseRow:
    definition_id: int
    status: str
    outcome: str | None
    created_at: datetime
    sla: Mapping[str, Mapping[str, Any]] | None
    suspended_at: datetime | None = None


def filed_between(start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    """Conditions on `cases.created_at` for local dates `start` to `end`, both included."""
    conditions: list[ColumnElement[bool]] = []
    if start is not None:
        conditions.append(Case.created_at >= datetime.combine(start, time(), OFFICE_ZONE))
    if end is not None:
        conditions.append(Case.created_at < datetime.combine(end + timedelta(days=1), time(), OFFICE_ZONE))
    return conditions


def _scope(key: str, start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    """Cases of every version of process `key` filed in the period; a case closed as a duplicate is none."""
    versions = select(ProcessDefinition.id).where(ProcessDefinition.key == key)
    counted = or_(Case.outcome.is_(None), Case.outcome != CaseOutcome.DUPLICATE)
    return [Case.definition_id.in_(versions), counted, *filed_between(start, end)]


def _mediation_cases(session: Session, start: date | None, end: date | None) -> list[_CaseRow]:
    """The mediation cases of the period with their status, outcome, filing moment, clocks and suspension,
    in one query."""
    query = select(Case.definition_id, Case.status, Case.outcome, Case.created_at, Case.sla, Case.suspended_at).where(
        *_scope(MEDIATION, start, end)
    )
    return [
        _CaseRow(r.definition_id, r.status, r.outcome, r.created_at, r.sla, r.suspended_at)
        for r in session.execute(query)
    ]


def _open_by_step(
    session: Session, definitions: Mapping[int, LoadedDefinition], start: date | None, end: date | None
) -> list[Count]:
    """Open mediation cases per step they wait on; a case waiting on two steps counts in both."""
    query = (
        select(CaseTask.element, func.count(func.distinct(Case.id)))
        .join(Case, Case.id == CaseTask.case_id)
        .where(CaseTask.state == TaskStatus.READY, Case.status == CaseStatus.OPEN, *_scope(MEDIATION, start, end))
        .group_by(CaseTask.element)
    )
    counts = {element: count for element, count in session.execute(query)}
    titles: dict[str, str] = {}
    order: dict[str, int] = {}
    # The newest version names and orders the steps; an element only older versions have keeps theirs.
    for definition in sorted(definitions.values(), key=lambda d: d.id):
        for position, (element, info) in enumerate(definition.catalog.tasks.items()):
            titles[element], order[element] = info.title, position
    ranked = sorted(counts, key=lambda e: (order.get(e, len(order)), e))
    return [Count(e, counts[e], titles.get(e, e)) for e in ranked]


def _complaints(session: Session, start: date | None, end: date | None) -> tuple[Counter[str], Counter[str]]:
    """Complaint cases of the period by status, and the finished ones by outcome."""
    query = (
        select(Case.status, Case.outcome, func.count())
        .where(*_scope(COMPLAINTS, start, end))
        .group_by(Case.status, Case.outcome)
    )
    by_status: Counter[str] = Counter()
    by_outcome: Counter[str] = Counter()
    for status, outcome, count in session.execute(query):
        by_status[status] += count
        if status != CaseStatus.OPEN and outcome:
            by_outcome[outcome] += count
    return by_status, by_outcome


# -- the figures ------------------------------------------------------------------------------------


_FOLLOW_UP = aliased(Case, name="follow_up_case")


def _follow_ups(session: Session, start: date | None, end: date | None) -> list[tuple[str | None, str | None]]:
    """(status, outcome) of the follow-up case of each follow-up the period's mediation cases owe;
    (None, None) for one the scheduler has not started yet."""
    query = (
        select(_FOLLOW_UP.status, _FOLLOW_UP.outcome)
        .select_from(FollowUp)
        .join(Case, Case.id == FollowUp.source_case_id)
        .outerjoin(_FOLLOW_UP, _FOLLOW_UP.id == FollowUp.case_id)
        .where(*_scope(MEDIATION, start, end))
    )
    return [(row.status, row.outcome) for row in session.execute(query)]


def _tally(keys: Iterable[str]) -> list[Count]:
    """Counts per key, the largest first (then by key, so the order is stable)."""
    counts = Counter(keys)
    return [Count(k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _statuses(counts: Mapping[str, int]) -> list[str]:
    return [*STATUSES, *sorted(set(counts) - set(STATUSES))]


def _months(moments: Iterable[datetime]) -> list[Count]:
    """Cases per local month, every month from the first to the last with a case."""
    counts = Counter(m.astimezone(OFFICE_ZONE).strftime("%Y-%m") for m in moments)
    if not counts:
        return []
    year, month = map(int, min(counts).split("-"))
    last = max(counts)
    result: list[Count] = []
    while (key := f"{year:04d}-{month:02d}") <= last:
        result.append(Count(key, counts.get(key, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def _violence_types(
    session: Session, definitions: Mapping[int, LoadedDefinition], start: date | None, end: date | None
) -> list[Count]:
    """Cases per violence type, as their screening records hold them; a case counts once for each type it has.

    The database reads the one answer out of each record and groups the cases by it, so each
    distinct answer is decoded once. A case without a record (filed before records existed) has
    its record rebuilt from its events.
    """
    answer = Case.screening[("answers", VIOLENCE)]
    recorded = Case.screening["v"].as_integer()  # every record has its version; NULL: no record
    counts: Counter[str] = Counter()
    grouped = select(answer.label("answer"), func.count().label("cases")).where(
        recorded.is_not(None), *_scope(MEDIATION, start, end)
    )
    for row in session.execute(grouped.group_by(answer)):
        for kind in violence_of({VIOLENCE: row.answer}):
            counts[kind] += row.cases
    for case_id in session.scalars(select(Case.id).where(recorded.is_(None), *_scope(MEDIATION, start, end))):
        counts.update(violence_of(screening.answers(screening_records.rebuild(session, case_id))))
    titles: dict[str, str] = {}
    for definition in sorted(definitions.values(), key=lambda d: d.id):  # the newest version names them
        titles.update(definition.value_titles.get(VIOLENCE, {}))
    return [Count(c.key, c.count, titles.get(c.key, c.key)) for c in _tally(counts.elements())]


def violence_of(variables: Mapping[str, Any]) -> set[str]:
    """The violence types among a case's variables or screening answers (a list; a single value is one type)."""
    value = variables.get(VIOLENCE)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return {v for v in value if isinstance(v, str)}
    return set()


def _clock_figures(
    all_clocks: list[Mapping[str, Mapping[str, Any]]], now: datetime, calendar: WorkingCalendar
) -> list[ClockFigures]:
    """Each clock's figures, the SOP's two first, then any other clock a diagram declares."""
    names = {name for clocks in all_clocks for name in clocks}
    ordered = [DECISION, OUTCOME, *sorted(names - {DECISION, OUTCOME})]
    return [_one_clock(name, [c[name] for c in all_clocks if name in c], now, calendar) for name in ordered]


def _one_clock(name: str, clocks: list[Mapping[str, Any]], now: datetime, calendar: WorkingCalendar) -> ClockFigures:
    stopped = [c for c in clocks if c.get("stopped")]
    running = [c for c in clocks if not c.get("stopped")]
    days = [days_taken(c, calendar) for c in stopped]
    return ClockFigures(
        name=name,
        title=CLOCK_TITLES.get(name, name.replace("_", " ").capitalize()),
        days=int(clocks[0]["days"]) if clocks else None,
        stopped=len(stopped),
        met=sum(1 for c in stopped if c.get("met")),
        running=len(running),
        overdue=sum(1 for c in running if _judged_at(c, now) > datetime.fromisoformat(c["due"])),
        median_days=float(stats.median(days)) if days else None,
    )


def _judged_at(clock: Mapping[str, Any], now: datetime) -> datetime:
    """A paused clock stands where it stood when it paused; a running one, now."""
    paused = clock.get("paused")
    return datetime.fromisoformat(paused) if paused else now
