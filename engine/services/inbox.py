"""The inbox a page at a time: ready tasks in the order of the inbox index, read and paged in SQL.

The order is the task's due moment (the nearest first, tasks without one last), then when it became
ready, then its id, so that pages never overlap or skip a task. The partial index on ready rows
(`ix_case_task_inbox`: due_at, created_at) serves it on both databases (ascending puts NULLs last
on PostgreSQL; SQLite reads NULLS LAST along an index since 3.30), so page 1 reads about one page
of rows however many tasks are open. The lane filter is the one of engine.services.tasks.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.actors import Actor
from engine.casework.record import usernames
from engine.casework.views import TaskView, task_view
from engine.context import EngineContext
from engine.persistence.case_store import CALENDAR_STAMP, calendar_stamp
from engine.persistence.models import Case, CaseTask
from engine.services.queries import Page, bounded_count, check_paging, sla_judge
from engine.services.tasks import _workable_by
from engine.status import TaskStatus

PER_PAGE = 50
MAX_PER_PAGE = 200


def inbox_page(
    ctx: EngineContext,
    *,
    actor: Actor | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    count_limit: int | None = None,
) -> Page[TaskView]:
    """One page of ready tasks, most urgent first: `actor`'s inbox, or every ready task for the operator.

    With `count_limit` the total is counted only that far (engine.services.queries.bounded_count).

    :raises InvalidInput: when `page` or `per_page` (at most MAX_PER_PAGE) is out of range.
    """
    page, per_page = check_paging(page, per_page, MAX_PER_PAGE)
    query = select(CaseTask.id).join(Case, Case.id == CaseTask.case_id).where(CaseTask.state == TaskStatus.READY)
    if actor is not None:
        query = query.where(_workable_by(actor))
    with ctx.unit_of_work(write=False) as uow:
        total, exact = bounded_count(uow.session, query, limit=count_limit, page=page, per_page=per_page)
        rows = uow.session.execute(
            query.with_only_columns(CaseTask, Case.number, Case.definition_id, *CALENDAR_STAMP)
            .order_by(CaseTask.due_at.asc().nulls_last(), CaseTask.created_at, CaseTask.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        names = usernames(uow.session, {row.CaseTask.claimed_by_id for row in rows})
        judge = sla_judge(ctx, uow.session, calendar_stamp(rows[0]) if rows else None)
        items = [
            task_view(
                ctx.definitions.get(uow.session, row.definition_id).catalog,
                row.CaseTask,
                row.number,
                names.get(row.CaseTask.claimed_by_id or -1),
                judge.state(row.CaseTask.due_at),
            )
            for row in rows
        ]
    return Page(items, total, page, per_page, exact)
