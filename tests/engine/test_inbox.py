"""The inbox a page at a time: the order of the inbox, pages that neither overlap nor skip, a bounded count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.persistence.models import CaseTask
from engine.services import cases as case_service
from engine.services import inbox as inbox_service
from engine.services import tasks as task_service
from engine.services.queries import find_case
from tests.builders import application

People = dict[str, Actor]


def file_cases(ctx: EngineContext, clock: FixedClock, people: People, count: int) -> list[str]:
    """`count` requests filed a minute apart; each puts its completeness check in the Ketua's inbox."""
    numbers = []
    for _ in range(count):
        clock.advance(timedelta(minutes=1))
        numbers.append(case_service.start_case(ctx, actor=people["ani"], data=application()).number)
    return numbers


def set_due(ctx: EngineContext, number: str, days: int | None) -> None:
    """Give a case's ready task a due moment `days` from now (None: none), as the inbox projection holds it."""
    due = None if days is None else ctx.clock.now() + timedelta(days=days)
    with ctx.unit_of_work() as uow:
        case_id = find_case(uow.session, number).id
        uow.session.execute(update(CaseTask).where(CaseTask.case_id == case_id).values(due_at=due))


def test_pages_follow_the_inbox_order_and_neither_overlap_nor_skip(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    a, b, c, d, e = file_cases(ctx, clock, people, 5)
    set_due(ctx, c, 1)  # the nearest due moment comes first
    set_due(ctx, a, None)  # a task without one comes last, however old
    set_due(ctx, e, 2)
    set_due(ctx, b, 2)  # the same due moment as e: the older first
    pages = [inbox_service.inbox_page(ctx, actor=people["rina"], page=n, per_page=2) for n in (1, 2, 3)]
    assert [[t.case_number for t in p.items] for p in pages] == [[c, b], [e, d], [a]]
    assert [(p.total, p.exact, p.has_next) for p in pages] == [(5, True, True), (5, True, True), (5, True, False)]
    unpaged = [t.case_number for t in task_service.list_tasks(ctx, actor=people["rina"])]
    assert [t.case_number for p in pages for t in p.items] == unpaged  # the order of the whole inbox
    assert inbox_service.inbox_page(ctx, actor=people["rina"], page=4, per_page=2).items == []


def test_the_inbox_page_is_the_callers_lane_only(ctx: EngineContext, clock: FixedClock, people: People) -> None:
    file_cases(ctx, clock, people, 2)
    assert inbox_service.inbox_page(ctx, actor=people["tono"]).items == []
    assert len(inbox_service.inbox_page(ctx, actor=people["rina"]).items) == 2
    assert len(inbox_service.inbox_page(ctx).items) == 2  # the operator sees every ready task


def test_a_bounded_count_says_more_than_and_always_knows_the_next_page(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    file_cases(ctx, clock, people, 5)
    rina = people["rina"]
    first = inbox_service.inbox_page(ctx, actor=rina, per_page=1, count_limit=2)
    assert (len(first.items), first.total, first.exact, first.has_next) == (1, 2, False, True)
    fourth = inbox_service.inbox_page(ctx, actor=rina, page=4, per_page=1, count_limit=2)  # counts up to row 5
    assert (fourth.total, fourth.exact, fourth.has_next) == (5, True, True)
    last = inbox_service.inbox_page(ctx, actor=rina, page=5, per_page=1, count_limit=2)
    assert (len(last.items), last.total, last.exact, last.has_next) == (1, 5, True, False)
    assert inbox_service.inbox_page(ctx, actor=rina, per_page=5, count_limit=2).exact  # a page counts to its end


@pytest.mark.parametrize(("page", "per_page"), [(0, 50), (1, 0), (1, inbox_service.MAX_PER_PAGE + 1), (1_000_001, 50)])
def test_pages_out_of_range_are_refused(ctx: EngineContext, people: People, page: int, per_page: int) -> None:
    with pytest.raises(InvalidInput, match="per_page antara 1 dan 200"):
        inbox_service.inbox_page(ctx, actor=people["rina"], page=page, per_page=per_page)
