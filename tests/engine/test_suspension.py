"""Suspending a case waiting on a third party, and resuming it: clocks, timers, guards, replay.

The fixed clock starts on Tuesday 2026-03-17 09:00 WIB, just before Nyepi, Idul Fitri and their
cuti bersama, so the working days after it are 25, 26, 27, 30 and 31 March (tests/engine/test_timers.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import Conflict, FormInvalid, NotFound, PermissionDenied, TaskNotReady
from engine.persistence.models import Case, CaseTask, Notification, Timer
from engine.services import audit, migration, reassignment, replays, statistics, suspension
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import inbox as inbox_service
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from engine.services import users as user_service
from engine.services.inbox import InboxFilter
from engine.services.timers import fire_due
from engine.sla import SlaState
from tests.builders import FORMS, Step, application, payloads, ready_task, steps, walk
from tests.conftest import OPERATOR, START
from tests.engine.test_timers import BPMN, LANES

People = dict[str, Actor]
TIM = ("Task_pendapat_psikologis", "Task_pendapat_hukum", "Task_pendapat_medis", "Task_pendapat_sosial")
TO_DECISION = steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM, "Task_rekomendasi_ketua")
REASON = "Menunggu hasil visum dari RSUD Bendan."


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# The decision's reminders: close of service (14:00 WIB Mon-Thu, 10:30 WIB Fri) on the 1st, 2nd and
# 3rd working day after 17 March; two working days later they are due on 27, 30 and 31 March.
FIRST, SECOND, THIRD = utc(2026, 3, 25, 7), utc(2026, 3, 26, 7), utc(2026, 3, 27, 3, 30)
MOVED = [utc(2026, 3, 27, 3, 30), utc(2026, 3, 30, 7), utc(2026, 3, 31, 7)]
TWO_DAYS_LATER = utc(2026, 3, 26, 3)  # Thursday 26 March 10:00 WIB: 25 and 26 March have passed


@pytest.fixture
def at_decision(ctx: EngineContext, people: People) -> Any:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, TO_DECISION)
    return case


@pytest.fixture
def admin(ctx: EngineContext, people: People) -> Actor:
    user_service.add_user(ctx, actor=OPERATOR, username="adam", full_name="Adam Admin", roles=["admin"], password=None)
    return user_service.actor_for(ctx, "adam")


def case_row(ctx: EngineContext, case_id: object) -> Case:
    with ctx.unit_of_work(write=False) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        uow.session.expunge(case)
        return case


def timers_of(ctx: EngineContext, case_id: object) -> list[datetime]:
    with ctx.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(Timer.due_at).where(Timer.case_id == case_id).order_by(Timer.due_at)))


def task_due(ctx: EngineContext, case_id: object, element: str) -> datetime | None:
    with ctx.unit_of_work(write=False) as uow:
        return uow.session.scalar(
            select(CaseTask.due_at).where(CaseTask.case_id == case_id, CaseTask.element == element)
        )


def notices(ctx: EngineContext) -> int:
    with ctx.unit_of_work(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Notification)) or 0


def test_a_suspension_pauses_the_clocks_and_holds_the_timers_until_it_resumes(
    ctx: EngineContext, clock: FixedClock, people: People, at_decision: Any
) -> None:
    case_id = at_decision.id
    before = case_row(ctx, case_id).sla
    decision_due = task_due(ctx, case_id, "Task_keputusan_kadin")
    assert timers_of(ctx, case_id) == [FIRST, SECOND, THIRD]

    view = suspension.suspend_case(ctx, actor=people["rina"], case_ref=at_decision.number, reason=f"  {REASON} ")
    assert (view.suspended_at, view.suspension_reason) == (START, REASON)
    clocks = case_row(ctx, case_id).sla
    assert {clocks[n]["reason"] for n in ("respons", "penyelesaian")} == {f"Ditangguhkan: {REASON}"}
    assert payloads(ctx, case_id, "case_suspended") == [{"reason": REASON, "clocks": ["respons", "penyelesaian"]}]
    assert payloads(ctx, case_id, "sla_paused")[-1]["reason"] == f"Ditangguhkan: {REASON}"
    assert timers_of(ctx, case_id) == []  # the scheduler sees nothing of a suspended case

    clock.set(TWO_DAYS_LATER)  # the first reminder's moment has passed meanwhile
    assert fire_due(ctx) == [] and notices(ctx) == 0
    waiting = case_queries.get_case(ctx, case_id)
    assert waiting.sla.paused and waiting.sla.state == SlaState.ON_TIME  # judged as it stood when suspended

    view = suspension.resume_case(ctx, actor=people["rina"], case_ref=case_id)
    assert view.suspended_at is None and view.suspension_reason is None
    (resumed,) = payloads(ctx, case_id, "case_resumed")
    assert resumed["days"] == 2
    assert [(t["element"], t["to"]) for t in resumed["timers"]] == [
        ("BoundaryEvent_keputusan_1", MOVED[0].isoformat()),
        ("BoundaryEvent_keputusan_2", MOVED[1].isoformat()),
        ("BoundaryEvent_keputusan_3", MOVED[2].isoformat()),
    ]
    assert payloads(ctx, case_id, "sla_resumed")[-1] == {"days": {"respons": 2, "penyelesaian": 2}}
    after = case_row(ctx, case_id)
    assert after.suspended_at is None and after.suspension_reason is None
    with ctx.unit_of_work(write=False) as uow:
        calendar = ctx.calendar(uow.session)
    for name in ("respons", "penyelesaian"):
        old = datetime.fromisoformat(before[name]["due"])
        assert datetime.fromisoformat(after.sla[name]["due"]) == calendar.close_of_service(
            calendar.add_working_days(old, 2)
        )
        assert after.sla[name]["paused_days"] == 2 and "paused" not in after.sla[name]
    assert decision_due is not None
    assert task_due(ctx, case_id, "Task_keputusan_kadin") == calendar.close_of_service(
        calendar.add_working_days(decision_due, 2)
    )
    assert timers_of(ctx, case_id) == MOVED

    clock.set(utc(2026, 3, 27, 3, 29))  # the first reminder now waits until Friday's close of service
    assert fire_due(ctx) == []
    clock.set(utc(2026, 3, 27, 3, 31))
    assert [f.elements for f in fire_due(ctx)] == [("BoundaryEvent_keputusan_1",)]
    walk(lambda: ctx, people, at_decision, steps("Task_keputusan_kadin"))

    result = replays.replay_case(ctx, case_ref=at_decision.number).result
    assert result.ok, result.divergence
    assert result.final_checked
    assert audit.verify(ctx, case_ref=at_decision.number).ok


def test_the_tasks_of_a_suspended_case_cannot_be_worked_until_it_resumes(
    ctx: EngineContext, people: People, at_decision: Any
) -> None:
    task_id = ready_task(ctx, at_decision.id, "Task_keputusan_kadin")
    suspension.suspend_case(ctx, actor=people["rina"], case_ref=at_decision.id, reason=REASON)
    version = case_row(ctx, at_decision.id).version
    kadin = people["kadin"]
    with pytest.raises(TaskNotReady) as refused:
        task_service.complete_task(ctx, actor=kadin, task_id=task_id, data=FORMS["Task_keputusan_kadin"])
    assert refused.value.message == (
        f"Kasus {at_decision.number} sedang ditangguhkan sejak 17 Maret 2026 09.00 WIB: {REASON}. "
        "Lanjutkan kasus dahulu."
    )
    with pytest.raises(TaskNotReady, match="sedang ditangguhkan"):
        task_service.claim_task(ctx, actor=kadin, task_id=task_id)
    assert case_row(ctx, at_decision.id).version == version  # nothing changed

    suspension.resume_case(ctx, actor=people["rina"], case_ref=at_decision.id)
    task_service.claim_task(ctx, actor=kadin, task_id=task_id)
    view = task_service.complete_task(ctx, actor=kadin, task_id=task_id, data=FORMS["Task_keputusan_kadin"])
    assert "Task_keputusan_kadin" not in {t.element for t in view.tasks}


def test_a_claimed_task_of_a_suspended_case_can_still_be_given_back(
    ctx: EngineContext, people: People, at_decision: Any
) -> None:
    task_id = ready_task(ctx, at_decision.id, "Task_keputusan_kadin")
    task_service.claim_task(ctx, actor=people["kadin"], task_id=task_id)
    suspension.suspend_case(ctx, actor=people["rina"], case_ref=at_decision.id, reason=REASON)
    released = task_service.release_task(ctx, actor=people["kadin"], task_id=task_id)
    assert released.claimed_by is None
    with pytest.raises(TaskNotReady, match="sedang ditangguhkan"):
        task_service.claim_task(ctx, actor=people["kadin"], task_id=task_id)


def test_suspending_twice_resuming_a_running_case_or_a_finished_one_is_refused(
    ctx: EngineContext, people: People, at_decision: Any
) -> None:
    rina = people["rina"]
    with pytest.raises(Conflict, match="tidak sedang ditangguhkan"):
        suspension.resume_case(ctx, actor=rina, case_ref=at_decision.id)
    suspension.suspend_case(ctx, actor=rina, case_ref=at_decision.id, reason=REASON)
    version = case_row(ctx, at_decision.id).version
    with pytest.raises(Conflict, match=r"sudah ditangguhkan sejak 17 Maret 2026 09\.00 WIB"):
        suspension.suspend_case(ctx, actor=rina, case_ref=at_decision.id, reason="Lagi")
    assert case_row(ctx, at_decision.id).version == version
    # The victim's withdrawal remains possible while suspended; then the case is finished.
    case_service.withdraw_case(ctx, actor=people["ani"], case_ref=at_decision.id, reason="Korban mencabut.")
    ended = case_row(ctx, at_decision.id)
    for attempt in (
        lambda: suspension.resume_case(ctx, actor=rina, case_ref=at_decision.id),
        lambda: suspension.suspend_case(ctx, actor=rina, case_ref=at_decision.id, reason=REASON),
    ):
        with pytest.raises(Conflict, match="sudah selesai"):
            attempt()
    assert case_row(ctx, at_decision.id).version == ended.version
    result = replays.replay_case(ctx, case_ref=at_decision.number).result
    assert result.ok, result.divergence


def test_only_the_ketua_lppar_or_the_administrator_suspends_and_a_reason_is_required(
    ctx: EngineContext, people: People, admin: Actor, at_decision: Any
) -> None:
    for who in ("tono", "kadin", "ani", "olga"):
        with pytest.raises(PermissionDenied):
            suspension.suspend_case(ctx, actor=people[who], case_ref=at_decision.id, reason=REASON)
    for reason in ("", "   ", "x" * 501):
        with pytest.raises(FormInvalid) as invalid:
            suspension.suspend_case(ctx, actor=people["rina"], case_ref=at_decision.id, reason=reason)
        assert set(invalid.value.errors) == {"reason"}
    with pytest.raises(NotFound):
        suspension.suspend_case(ctx, actor=admin, case_ref="MED-2026-9999", reason=REASON)
    assert case_row(ctx, at_decision.id).suspended_at is None
    suspension.suspend_case(ctx, actor=admin, case_ref=at_decision.number, reason=REASON)  # no case content needed
    suspension.resume_case(ctx, actor=Actor.operator("cli:root"), case_ref=at_decision.number)
    assert [e["reason"] for e in payloads(ctx, at_decision.id, "case_suspended")] == [REASON]


def test_a_pause_for_the_applicant_outlasts_a_suspension_that_ends_first(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    """A version whose clocks start at the completeness check: the file goes back to the applicant
    (clocks paused for her), the case is suspended, and her answer cannot be given; once resumed the
    pause continues for her, and her answer resumes the clocks for the whole time they waited."""
    start = '<spiffworkflow:property name="slaStart" value="respons:5 penyelesaian:14" />'
    due = '<spiffworkflow:property name="slaDue" value="kelengkapan" />'
    xml = BPMN.read_text().replace(start, "").replace(due, due + start)
    deploy_service.deploy(ctx, actor=Actor.operator("uji"), xml=xml.encode(), filename="jeda.bpmn", lane_roles=LANES)
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    back = {"berkas_lengkap": False, "catatan_kelengkapan": "Lampirkan fotokopi KTP."}
    walk(lambda: ctx, people, case, [Step("Task_periksa_kelengkapan", back)])
    since = {c["paused"] for c in case_row(ctx, case.id).sla.values()}
    assert since == {START.isoformat()}

    suspension.suspend_case(ctx, actor=people["rina"], case_ref=case.id, reason=REASON)
    assert payloads(ctx, case.id, "case_suspended") == [{"reason": REASON, "clocks": []}]  # already paused
    with pytest.raises(TaskNotReady, match="ditangguhkan"):
        walk(lambda: ctx, people, case, steps("Task_lengkapi_berkas"))
    clock.set(utc(2026, 3, 25, 3))
    suspension.resume_case(ctx, actor=people["rina"], case_ref=case.id)
    assert {c["paused"] for c in case_row(ctx, case.id).sla.values()} == since  # still waiting on the applicant
    assert payloads(ctx, case.id, "sla_resumed") == []

    clock.set(TWO_DAYS_LATER)
    walk(lambda: ctx, people, case, steps("Task_lengkapi_berkas"))
    clocks = case_row(ctx, case.id).sla
    assert clocks["respons"]["paused_days"] == 2 and "paused" not in clocks["respons"]
    result = replays.replay_case(ctx, case_ref=case.number).result
    assert result.ok, result.divergence


def test_a_step_while_suspended_leaves_the_clocks_and_the_timers_waiting(
    ctx: EngineContext, people: People, at_decision: Any
) -> None:
    """A migration is a step with staff work ready: for a case waiting on the applicant it would resume
    the clocks; for a suspended one it leaves them (and the timers) waiting until the case resumes."""
    xml = BPMN.read_text().replace('name="Pendapat medis"', 'name="Pendapat medis dan visum"', 1)
    deploy_service.deploy(ctx, actor=OPERATOR, xml=xml.encode(), filename="v2.bpmn", lane_roles=LANES)
    suspension.suspend_case(ctx, actor=people["rina"], case_ref=at_decision.id, reason=REASON)
    paused = case_row(ctx, at_decision.id).sla
    (moved,) = migration.migrate_cases(ctx, actor=people["olga"], key="mediasi_kekerasan", from_version=1, to_version=2)
    assert moved.migrated, moved.reason
    assert case_row(ctx, at_decision.id).sla == paused
    assert payloads(ctx, at_decision.id, "sla_resumed") == [] and timers_of(ctx, at_decision.id) == []
    suspension.resume_case(ctx, actor=people["rina"], case_ref=at_decision.id)
    assert timers_of(ctx, at_decision.id) == [FIRST, SECOND, THIRD]  # resumed the same day: nothing moved
    assert payloads(ctx, at_decision.id, "sla_resumed") == [{"days": {"respons": 0, "penyelesaian": 0}}]
    result = replays.replay_case(ctx, case_ref=at_decision.number).result
    assert result.ok, result.divergence


def test_the_dashboard_counts_the_suspended_cases(
    ctx: EngineContext, clock: FixedClock, people: People, at_decision: Any
) -> None:
    other = case_service.start_case(ctx, actor=people["budi"], data=application())
    board = statistics.dashboard(ctx, actor=people["kadin"], start=None, end=None)
    assert (board.open_cases, board.suspended) == (2, 0)
    suspension.suspend_case(ctx, actor=people["rina"], case_ref=other.id, reason=REASON)
    suspension.suspend_case(ctx, actor=people["rina"], case_ref=at_decision.id, reason=REASON)
    suspension.resume_case(ctx, actor=people["rina"], case_ref=other.id)
    clock.set(utc(2026, 6, 1, 3))  # long after every due moment: a suspended clock is not overdue for it
    board = statistics.dashboard(ctx, actor=people["kadin"], start=None, end=None)
    assert (board.open_cases, board.suspended) == (2, 1)
    respons = board.clock("respons")
    assert respons is not None and (respons.running, respons.overdue) == (1, 0)
    suspension.resume_case(ctx, actor=people["rina"], case_ref=at_decision.id)
    board = statistics.dashboard(ctx, actor=people["kadin"], start=None, end=None)
    assert board.suspended == 0
    respons = board.clock("respons")
    assert respons is not None and respons.overdue == 0  # resumed: its due moment moved out by the whole wait


def test_the_inbox_judges_a_suspended_cases_tasks_as_they_stood_when_it_was_suspended(
    ctx: EngineContext, clock: FixedClock, people: People, admin: Actor, at_decision: Any
) -> None:
    """Its clocks are paused, so its tasks do not run late while it waits; its due moments move out on resuming."""
    kadin = people["kadin"]
    held_early, held_late, running = (
        at_decision,
        *(case_service.start_case(ctx, actor=people["budi"], data=application()) for _ in range(2)),
    )
    for case in (held_late, running):
        walk(lambda: ctx, people, case, TO_DECISION)
    decision = ready_task(ctx, held_early.id, "Task_keputusan_kadin")
    due = task_due(ctx, held_early.id, "Task_keputusan_kadin")
    assert due == utc(2026, 3, 31, 7)  # Tuesday 31 March 14:00 WIB, for all three cases
    assert {task_due(ctx, c.id, "Task_keputusan_kadin") for c in (held_late, running)} == {due}
    task_service.claim_task(ctx, actor=kadin, task_id=decision)
    suspension.suspend_case(ctx, actor=people["rina"], case_ref=held_early.id, reason=REASON)  # on time then

    def states() -> dict[str, SlaState | None]:
        return {t.case_number: t.sla_state for t in inbox_service.inbox_page(ctx, actor=kadin).items}

    def filtered(due: SlaState) -> set[str]:
        page = inbox_service.inbox_page(ctx, actor=kadin, filters=InboxFilter(due=due.value))
        assert page.total == len(page.items)
        return {t.case_number for t in page.items}

    clock.set(utc(2026, 3, 30, 3))  # Monday 30 March 10:00 WIB: due within a working day
    assert states() == {
        held_early.number: SlaState.ON_TIME,
        held_late.number: SlaState.DUE_SOON,
        running.number: SlaState.DUE_SOON,
    }
    suspension.suspend_case(ctx, actor=people["rina"], case_ref=held_late.id, reason=REASON)  # due soon then

    clock.set(utc(2026, 4, 2, 3))  # Thursday 2 April 10:00 WIB: past the due moment of all three
    judged = {
        held_early.number: SlaState.ON_TIME,
        held_late.number: SlaState.DUE_SOON,
        running.number: SlaState.OVERDUE,
    }
    assert states() == judged
    assert {t.case_number: t.sla_state for t in task_service.list_tasks(ctx, actor=kadin)} == judged
    for state in SlaState:
        assert filtered(state) == {number for number, judged_as in judged.items() if judged_as == state}
    assert task_service.get_task(ctx, actor=kadin, task_id=decision, with_data=False).task.sla_state == SlaState.ON_TIME
    assert [t.sla_state for t in reassignment.claimed_tasks(ctx, actor=admin)] == [SlaState.ON_TIME]
    assert reassignment.claimed_task(ctx, actor=admin, task_id=decision).task.sla_state == SlaState.ON_TIME
    assert task_due(ctx, held_early.id, "Task_keputusan_kadin") == due  # nothing moves while it waits

    suspension.resume_case(ctx, actor=people["rina"], case_ref=held_early.id)
    (resumed,) = payloads(ctx, held_early.id, "case_resumed")
    assert resumed["days"] > 0
    with ctx.unit_of_work(write=False) as uow:
        calendar = ctx.calendar(uow.session)
    moved = task_due(ctx, held_early.id, "Task_keputusan_kadin")
    assert moved == calendar.close_of_service(calendar.add_working_days(due, resumed["days"]))
    assert moved is not None and moved > clock.now()  # out by the whole wait, so judged now it is not late
    assert states()[held_early.number] == SlaState.ON_TIME
    assert filtered(SlaState.OVERDUE) == {running.number}
    assert held_early.number in filtered(SlaState.ON_TIME)
