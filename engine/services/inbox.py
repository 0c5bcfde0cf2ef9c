"""The inbox a page at a time: ready tasks in the order of the inbox index, filtered, read and paged in SQL.

The order is the task's due moment (the nearest first, tasks without one last), then when it became
ready, then its id, so that pages never overlap or skip a task. The partial index on ready rows
(`ix_case_task_inbox`: due_at, created_at) serves it on both databases (ascending puts NULLs last
on PostgreSQL; SQLite reads NULLS LAST along an index since 3.30), so page 1 reads about one page
of rows however many tasks are open. The lane filter is the one of engine.services.tasks.

The filters (process, lane, due state, claim, a search text) are conditions of the same query:
a due state becomes bounds on `due_at` (engine.sla.due_soon_until), a lane the (version, task)
pairs of the catalogs that place a task in it, so that paging and counting stay in SQL. A suspended
case's tasks are judged at the moment it was suspended, as its clocks stand (engine.services.suspension):
its due moments move out only when it resumes, so the wait does not make them overdue meanwhile. Each card
carries what tells two cases apart (the victim's initials, the applicant, who took the task),
joined in the same query; the inbox lists only tasks the actor may work, so these names are shown
to no one who could not open the task.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.actors import Actor
from engine.bpmn.catalog import TaskInfo
from engine.calendar import WorkingCalendar
from engine.casework.views import SlaJudge, TaskView, task_view
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import FormInvalid
from engine.persistence.case_store import CALENDAR_STAMP, calendar_stamp
from engine.persistence.models import Case, CaseTask, ProcessDefinition, User
from engine.policy import lane_roles_of
from engine.roles import Role
from engine.services.queries import MAX_SEARCH, Page, applicant_label, bounded_count, check_paging
from engine.services.tasks import _workable_by
from engine.sla import SlaState, due_soon_until
from engine.status import CaseStatus, TaskStatus

PER_PAGE = 50
MAX_PER_PAGE = 200

ALL, MINE, UNCLAIMED = "all", "mine", "unclaimed"
CLAIM_TITLES = {ALL: "Semua", MINE: "Diambil saya", UNCLAIMED: "Belum diambil"}
NO_DUE = "tanpa_tenggat"
DUE_TITLES = {
    SlaState.OVERDUE.value: "Terlambat",
    SlaState.DUE_SOON.value: "Mendekati tenggat (1 hari kerja)",
    SlaState.ON_TIME.value: "Tepat waktu",
    NO_DUE: "Tanpa tenggat",
}
_APPLICANT = aliased(User, name="applicant_account")
_CLAIMER = aliased(User, name="claimer")
_INITIALS_NOISE = re.compile(r"[.\s]")


@dataclass(frozen=True)
class InboxFilter:
    """What narrows an inbox; an empty field (ALL for `claimed`) narrows nothing."""

    process: str = ""  # a process key
    lane: str = ""  # a lane's name, as the versions' catalogs have it ("Tim Teknis")
    due: str = ""  # a SlaState value, or NO_DUE
    claimed: str = ALL  # ALL, MINE or UNCLAIMED
    search: str = ""  # part of a case number, of the applicant's name, or of the victim's initials

    @property
    def active(self) -> bool:
        """Whether anything is narrowed."""
        return bool(self.process or self.lane or self.due or self.search.strip()) or self.claimed != ALL


@dataclass(frozen=True)
class InboxChoices:
    """What an inbox's filters offer: processes as (key, name), and lanes by name."""

    processes: list[tuple[str, str]]
    lanes: list[str]


NO_FILTER = InboxFilter()


def inbox_page(
    ctx: EngineContext,
    *,
    actor: Actor | None = None,
    filters: InboxFilter = NO_FILTER,
    page: int = 1,
    per_page: int = PER_PAGE,
    count_limit: int | None = None,
) -> Page[TaskView]:
    """One page of ready tasks, most urgent first: `actor`'s inbox, or every ready task for the operator.

    With `count_limit` the total is counted only that far (engine.services.queries.bounded_count).

    :raises InvalidInput: when `page` or `per_page` (at most MAX_PER_PAGE) is out of range.
    :raises FormInvalid: a filter value that is not one of its choices, by field (process, lane, due, claimed, q).
    """
    page, per_page = check_paging(page, per_page, MAX_PER_PAGE)
    errors = _value_errors(filters)
    now = ctx.clock.now()
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        scope = None
        try:
            scope = _in_scope(ctx, session, filters.process, filters.lane) if filters.process or filters.lane else None
        except FormInvalid as refused:  # said together with the other fields' errors
            errors.update(refused.errors)
        if errors:
            raise FormInvalid(errors)
        query = _filtered(ctx, session, actor, filters, scope, now)
        total, exact = bounded_count(session, query, limit=count_limit, page=page, per_page=per_page)
        page_query = query.with_only_columns(
            CaseTask,
            Case.number,
            Case.definition_id,
            Case.victim_initials,
            Case.walkin_name,
            Case.suspended_at,
            _APPLICANT.full_name.label("applicant_name"),
            _CLAIMER.username.label("claimer_username"),
            _CLAIMER.full_name.label("claimer_name"),
            *CALENDAR_STAMP,
        )
        if not filters.search.strip():  # a search has joined the applicant's account already
            page_query = page_query.outerjoin(_APPLICANT, _APPLICANT.id == Case.applicant_user_id)
        rows = session.execute(
            page_query.outerjoin(_CLAIMER, _CLAIMER.id == CaseTask.claimed_by_id)
            .order_by(CaseTask.due_at.asc().nulls_last(), CaseTask.created_at, CaseTask.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        stamp = calendar_stamp(rows[0]) if rows else None
        judge = SlaJudge(now, lambda: ctx.calendar(session, stamp))
        items = [_item(ctx.definitions.get(session, row.definition_id), row, judge) for row in rows]
    return Page(items, total, page, per_page, exact)


def inbox_choices(ctx: EngineContext, *, actor: Actor | None = None) -> InboxChoices:
    """The processes deployed and the lanes of their latest versions that `actor` may work (all for the operator)."""
    with ctx.unit_of_work(write=False) as uow:
        latest = [ctx.definitions.get(uow.session, i) for i in _latest_versions(uow.session).values()]
    names = {d.key: d.catalog.name for d in latest}
    lanes = {info.lane: None for d in latest for info in d.catalog.tasks.values() if _may_work_lane(actor, info)}
    return InboxChoices(sorted(names.items(), key=lambda kv: (kv[1], kv[0])), list(lanes))


def _item(definition: LoadedDefinition, row: Any, judge: SlaJudge) -> TaskView:
    task = row.CaseTask
    return task_view(
        definition.catalog,
        task,
        row.number,
        row.claimer_username,
        judge.state(task.due_at, row.suspended_at),  # a suspended case stands as it stood when suspended
        victim_initials=row.victim_initials,
        applicant=applicant_label(row.walkin_name, row.applicant_name),
        claimed_by_name=row.claimer_name,
    )


def _value_errors(filters: InboxFilter) -> dict[str, str]:
    """What is wrong with the filter values that need no database to check, by field."""
    errors = {}
    if filters.due and filters.due not in DUE_TITLES:
        errors["due"] = f"Tenggat harus salah satu dari: {', '.join(DUE_TITLES)}."
    if filters.claimed not in CLAIM_TITLES:
        errors["claimed"] = f"Diambil harus salah satu dari: {', '.join(CLAIM_TITLES)}."
    if len(filters.search) > MAX_SEARCH:
        errors["q"] = f"Teks pencarian terlalu panjang (maksimal {MAX_SEARCH} karakter)."
    return errors


def _filtered(
    ctx: EngineContext, session: Session, actor: Actor | None, filters: InboxFilter, scope: Any, now: datetime
) -> Select[Any]:
    """The ids of the ready tasks in `actor`'s inbox that pass `filters` (`scope`: their process and lane)."""
    query = select(CaseTask.id).join(Case, Case.id == CaseTask.case_id).where(CaseTask.state == TaskStatus.READY)
    if actor is not None:
        query = query.where(_workable_by(actor))
    if scope is not None:
        query = query.where(scope)
    if filters.due:
        query = query.where(*_due_bounds(filters.due, now, lambda: ctx.calendar(session), lambda: _held(session)))
    if filters.claimed != ALL:
        query = query.where(_claim_condition(filters.claimed, actor))
    if filters.search.strip():
        query = query.outerjoin(_APPLICANT, _APPLICANT.id == Case.applicant_user_id)
        query = query.where(_search_condition(filters.search))
    return query


def _in_scope(ctx: EngineContext, session: Session, process: str, lane: str) -> Any:
    """The tasks of the versions of `process` (any, if empty) that sit in `lane` (any, if empty).

    A task name that means the same in every version that has it is matched by name alone, so the
    query still walks the inbox index (a condition on the case's version would have the planner read
    every case of that version first); only a name some versions place elsewhere is tied to its versions.

    :raises FormInvalid: no such process, or no version of it has that lane.
    """
    keys = dict(session.execute(select(ProcessDefinition.id, ProcessDefinition.key)).all())
    if process and process not in keys.values():
        raise FormInvalid({"process": f"Proses {process!r} tidak dikenal."})
    wanted: dict[str, set[int]] = {}  # task name -> the versions in which it is in scope
    having: dict[str, set[int]] = {}  # task name -> the versions that have it
    for version, key in keys.items():
        for element, info in ctx.definitions.get(session, version).catalog.tasks.items():
            having.setdefault(element, set()).add(version)
            if (not process or key == process) and (not lane or info.lane == lane):
                wanted.setdefault(element, set()).add(version)
    if not wanted:
        where = f" pada proses {process!r}" if process else ""
        raise FormInvalid({"lane": f"Lajur {lane!r} tidak dikenal{where}."})
    everywhere = sorted(e for e, versions in wanted.items() if versions == having[e])
    tied: dict[tuple[int, ...], list[str]] = {}
    for element, versions in sorted(wanted.items()):
        if versions != having[element]:
            tied.setdefault(tuple(sorted(versions)), []).append(element)
    conditions: list[Any] = [CaseTask.element.in_(everywhere)] if everywhere else []
    conditions += [and_(Case.definition_id.in_(v), CaseTask.element.in_(e)) for v, e in tied.items()]
    return or_(*conditions)


def _due_bounds(
    due: str, now: datetime, calendar: Callable[[], WorkingCalendar], held: Callable[[], list[tuple[Any, datetime]]]
) -> list[Any]:
    """Conditions that hold exactly for the tasks engine.sla.sla_state judges `due` at `now`, or, for a
    task of a suspended case (`held`: each open suspended case's id and since when), when it was suspended.

    A case is suspended no later than now, so the bounds at now stay outer bounds of the whole filter
    that the inbox index serves; only the suspended cases need a condition of their own.
    """
    if due == NO_DUE:
        return [CaseTask.due_at.is_(None)]
    if due == SlaState.OVERDUE:
        return [CaseTask.due_at < now, or_(Case.suspended_at.is_(None), CaseTask.due_at < Case.suspended_at)]
    office, cases = calendar(), held()
    running = and_(Case.suspended_at.is_(None), *_due_window(due, now, office))
    judged = or_(running, *(and_(Case.id == case_id, *_due_window(due, since, office)) for case_id, since in cases))
    if due == SlaState.DUE_SOON:  # the latest moment due soon, as seen now or when any of them was suspended
        latest = max(due_soon_until(at, office) for at in [now, *(since for _, since in cases)])
        return [CaseTask.due_at <= latest, judged]
    return [judged]


def _due_window(due: str, at: datetime, calendar: WorkingCalendar) -> list[Any]:
    """Bounds on `due_at` that hold exactly for the due moments sla_state judges `due` (due soon or on time) at `at`."""
    soon = due_soon_until(at, calendar)
    if due == SlaState.DUE_SOON:
        return [CaseTask.due_at >= at, CaseTask.due_at <= soon]
    return [CaseTask.due_at >= at, CaseTask.due_at > soon]


def _held(session: Session) -> list[tuple[Any, datetime]]:
    """The open suspended cases, each with the moment it was suspended."""
    query = select(Case.id, Case.suspended_at).where(Case.suspended_at.is_not(None), Case.status == CaseStatus.OPEN)
    return [(row.id, row.suspended_at) for row in session.execute(query)]


def _claim_condition(claimed: str, actor: Actor | None) -> Any:
    if claimed == UNCLAIMED:
        return CaseTask.claimed_by_id.is_(None)
    if actor is None or actor.user_id is None:  # the operator claims nothing
        return false()
    return CaseTask.claimed_by_id == actor.user_id


def _search_condition(text: str) -> Any:
    """Part of the case number, of the applicant's (account or walk-in) name, or of the victim's initials.

    Initials are compared without dots and spaces, so that "AB" finds "A.B." and the other way round.
    """
    term = text.strip().lower()
    found = [
        func.lower(Case.number).contains(term, autoescape=True),
        func.lower(Case.walkin_name).contains(term, autoescape=True),
        func.lower(_APPLICANT.full_name).contains(term, autoescape=True),
    ]
    compact = _INITIALS_NOISE.sub("", term)
    if compact:
        initials = func.replace(func.replace(func.lower(Case.victim_initials), ".", ""), " ", "")
        found.append(initials.contains(compact, autoescape=True))
    return or_(*found)


def _latest_versions(session: Session) -> dict[str, int]:
    """The id of the newest version of every process, by key."""
    rows = session.execute(
        select(ProcessDefinition.key, ProcessDefinition.id).order_by(ProcessDefinition.key, ProcessDefinition.version)
    ).all()
    return {row.key: row.id for row in rows}  # each key's last row, its newest version, wins


def _may_work_lane(actor: Actor | None, info: TaskInfo) -> bool:
    """Whether a task like `info` could be in `actor`'s inbox (the applicant's lane: for those who file cases)."""
    if actor is None:
        return True
    if info.for_applicant:
        return actor.has_any(Role.PEMOHON, Role.FULLTIMER)
    return bool(set(info.roles) & set(lane_roles_of(actor)))
