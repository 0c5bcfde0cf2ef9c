"""Timers, escalation and SLA clocks, with a fixed clock: no test waits for real time.

The fixed clock starts on Tuesday 2026-03-17 09:00 WIB, just before Nyepi, Idul Fitri and their
cuti bersama, so the working days after it are 25, 26, 27, 30 and 31 March.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.persistence.models import Case, CaseTask, Event, EventPayload, Notification, Timer
from engine.services import calendar_admin, replays
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services.timers import TIMER_FIRED, fire_due
from engine.settings import PROJECT_ROOT
from tests.builders import Step, application, ready_task, screening, steps, walk
from tests.conftest import START

People = dict
BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
LANES = json.loads((PROJECT_ROOT / "processes" / "mediasi_kekerasan.lanes.json").read_text())
INCOMPLETE = {"catatan_kelengkapan": "Lampirkan fotokopi KTP."}
TIM = ("Task_pendapat_psikologis", "Task_pendapat_hukum", "Task_pendapat_medis", "Task_pendapat_sosial")
TO_DECISION = steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM, "Task_rekomendasi_ketua")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Close of service (14:00 WIB Mon-Thu, 10:30 WIB Fri) on the 1st, 2nd and 3rd working day after 17 March.
FIRST, SECOND, THIRD = utc(2026, 3, 25, 7), utc(2026, 3, 26, 7), utc(2026, 3, 27, 3, 30)


def timers_of(ctx: EngineContext, case_id: object) -> list[tuple[str, datetime]]:
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(Timer.element, Timer.due_at).where(Timer.case_id == case_id).order_by(Timer.due_at)
        )
        return [(r.element, r.due_at) for r in rows]


def events_of(ctx: EngineContext, case_id: object, type: str) -> list[Event]:
    with ctx.unit_of_work(write=False) as uow:
        return list(
            uow.session.scalars(select(Event).where(Event.case_id == case_id, Event.type == type).order_by(Event.seq))
        )


def escalations(ctx: EngineContext) -> list[tuple[str | None, str]]:
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(Notification.role, Notification.text).order_by(Notification.id))
        return [(r.role, r.text) for r in rows]


@pytest.fixture
def at_decision(ctx: EngineContext, people: People) -> object:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, TO_DECISION)
    return case


def test_the_decision_task_waits_on_three_working_day_timers(ctx: EngineContext, at_decision: object) -> None:
    assert timers_of(ctx, at_decision.id) == [  # type: ignore[attr-defined]
        ("BoundaryEvent_keputusan_1", FIRST),
        ("BoundaryEvent_keputusan_2", SECOND),
        ("BoundaryEvent_keputusan_3", THIRD),
    ]


def test_a_timer_fires_at_its_moment_and_not_before(
    ctx: EngineContext, clock: FixedClock, people: People, at_decision: object
) -> None:
    case_id = at_decision.id  # type: ignore[attr-defined]
    clock.set(FIRST)  # a timer fires once its moment has passed
    assert fire_due(ctx) == []
    assert events_of(ctx, case_id, TIMER_FIRED) == []
    clock.set(FIRST + timedelta(seconds=1))
    fired = fire_due(ctx)
    assert [f.elements for f in fired] == [("BoundaryEvent_keputusan_1",)]
    (event,) = events_of(ctx, case_id, TIMER_FIRED)
    assert (event.element, event.at, event.actor) == (
        "BoundaryEvent_keputusan_1",
        FIRST + timedelta(seconds=1),
        "sistem:penjadwal",
    )
    assert [e for e, _ in timers_of(ctx, case_id)] == ["BoundaryEvent_keputusan_2", "BoundaryEvent_keputusan_3"]
    # Non-interrupting: the Kepala Dinas still has the decision to make; the reminder went to their role.
    assert ready_task(ctx, case_id, "Task_keputusan_kadin")
    assert escalations(ctx) == [("kepala_dinas", "Pengingat ke Kepala Dinas (MED-2026-0001)")]
    assert fire_due(ctx) == []  # fired once: nothing is left due at this moment


def test_escalation_goes_to_the_lane_then_the_ketua_then_the_kepala_dinas(
    ctx: EngineContext, clock: FixedClock, at_decision: object
) -> None:
    clock.set(THIRD + timedelta(minutes=5))  # the scheduler was down: all three are due at once
    fired = fire_due(ctx)
    assert sorted(e for f in fired for e in f.elements) == [
        "BoundaryEvent_keputusan_1",
        "BoundaryEvent_keputusan_2",
        "BoundaryEvent_keputusan_3",
    ]
    assert [role for role, _ in escalations(ctx)] == ["kepala_dinas", "ketua_lppar", "kepala_dinas"]
    assert timers_of(ctx, at_decision.id) == []  # type: ignore[attr-defined]
    assert len(events_of(ctx, at_decision.id, TIMER_FIRED)) == 3  # type: ignore[attr-defined]


def test_completing_the_task_ends_its_timers(ctx: EngineContext, people: People, at_decision: object) -> None:
    walk(lambda: ctx, people, at_decision, steps("Task_keputusan_kadin"))  # type: ignore[arg-type]
    assert [e for e, _ in timers_of(ctx, at_decision.id)] == []  # type: ignore[attr-defined]
    with ctx.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Timer)) == 0


def test_a_timer_survives_a_restart(
    make_ctx: Callable[[], EngineContext], clock: FixedClock, people: People, at_decision: object
) -> None:
    clock.set(FIRST + timedelta(hours=1))
    fresh = make_ctx()  # a new process: no cached workflow, definition or calendar
    assert [f.elements for f in fire_due(fresh)] == [("BoundaryEvent_keputusan_1",)]


def test_a_case_whose_timers_fired_replays_to_its_stored_state(
    ctx: EngineContext, clock: FixedClock, people: People, at_decision: object
) -> None:
    clock.set(SECOND + timedelta(minutes=1))
    fire_due(ctx)
    clock.set(utc(2026, 3, 30, 3))
    walk(lambda: ctx, people, at_decision, steps("Task_keputusan_kadin"))  # type: ignore[arg-type]
    result = replays.replay_case(ctx, case_ref=at_decision.number).result  # type: ignore[attr-defined]
    assert result.ok, result.divergence
    assert result.final_checked
    assert [s.type for s in result.steps].count(TIMER_FIRED) == 2


def test_two_workers_fire_each_timer_exactly_once(
    make_ctx: Callable[[], EngineContext], clock: FixedClock, people: People, ctx: EngineContext
) -> None:
    cases = []
    for _ in range(3):
        case = case_service.start_case(ctx, actor=people["ani"], data=application())
        walk(lambda: ctx, people, case, TO_DECISION)
        cases.append(case)
    clock.set(THIRD + timedelta(minutes=1))
    workers = [make_ctx(), make_ctx()]
    barrier = threading.Barrier(len(workers))
    results: list[list[object]] = [[] for _ in workers]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i].extend(fire_due(workers[i]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for case in cases:
        fired = [e.element for e in events_of(ctx, case.id, TIMER_FIRED)]
        assert sorted(fired) == ["BoundaryEvent_keputusan_1", "BoundaryEvent_keputusan_2", "BoundaryEvent_keputusan_3"]
    assert len(escalations(ctx)) == 9
    with ctx.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Timer)) == 0


def test_the_sop_clocks_start_when_the_file_is_complete(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    completeness = _task_row(ctx, case.id, "Task_periksa_kelengkapan")
    assert completeness.due_at == FIRST  # 1 working day after receipt
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
    with ctx.unit_of_work(write=False) as uow:
        clocks = uow.session.scalar(select(Case.sla).where(Case.id == case.id))
    assert clocks["respons"]["due"] == utc(2026, 3, 31, 7).isoformat()  # 17 March + 5 working days
    assert clocks["penyelesaian"]["days"] == 14 and "stopped" not in clocks["penyelesaian"]
    assert _task_row(ctx, case.id, "Task_telaah_permohonan").due_at == utc(2026, 3, 31, 7)


def test_the_decision_stops_the_response_clock_and_the_outcome_stops_both(
    ctx: EngineContext, clock: FixedClock, people: People, at_decision: object
) -> None:
    clock.set(utc(2026, 4, 2, 3))  # Thursday 2 April: two working days after the response was due
    walk(lambda: ctx, people, at_decision, steps("Task_keputusan_kadin"))  # type: ignore[arg-type]
    with ctx.unit_of_work(write=False) as uow:
        clocks = uow.session.scalar(select(Case.sla).where(Case.id == at_decision.id))  # type: ignore[attr-defined]
    assert clocks["respons"]["stopped"] == utc(2026, 4, 2, 3).isoformat() and clocks["respons"]["met"] is False
    assert "stopped" not in clocks["penyelesaian"]


def test_a_police_report_task_is_due_three_times_24_hours_after_a_sexual_violence_referral(
    ctx: EngineContext, people: People
) -> None:
    violence = ["fisik", "seksual"]
    case = case_service.start_case(ctx, actor=people["ani"], data=application(jenis_kekerasan=violence))
    path = steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", "Task_catat_rujukan")
    path[1].data.update(screening(jenis_kekerasan=violence))
    walk(lambda: ctx, people, case, path)
    assert _task_row(ctx, case.id, "Task_laporan_polisi").due_at == START + timedelta(hours=72)


def _task_row(ctx: EngineContext, case_id: object, element: str) -> CaseTask:
    with ctx.unit_of_work(write=False) as uow:
        row = uow.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.element == element, CaseTask.state == "ready")
        )
        assert row is not None, element
        uow.session.expunge(row)
        return row


def test_the_clocks_pause_while_the_file_is_back_with_the_applicant(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    # A version whose clocks start at the completeness check, so a file sent back pauses them.
    start = '<spiffworkflow:property name="slaStart" value="respons:5 penyelesaian:14" />'
    due = '<spiffworkflow:property name="slaDue" value="kelengkapan" />'
    xml = BPMN.read_text().replace(start, "").replace(due, due + start)
    deploy_service.deploy(ctx, actor=Actor.operator("uji"), xml=xml.encode(), filename="jeda.bpmn", lane_roles=LANES)
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, [Step("Task_periksa_kelengkapan", {"berkas_lengkap": False, **INCOMPLETE})])
    (paused,) = events_of(ctx, case.id, "sla_paused")
    with ctx.unit_of_work(write=False) as uow:
        payload = json.loads(uow.session.scalar(select(EventPayload.data).where(EventPayload.event_id == paused.id)))
    assert payload == {"clocks": ["respons", "penyelesaian"], "reason": "Menunggu pemohon: Lengkapi berkas permohonan"}
    clock.set(utc(2026, 3, 26, 3))  # two working days later (25 and 26 March)
    walk(lambda: ctx, people, case, steps("Task_lengkapi_berkas"))
    (resumed,) = events_of(ctx, case.id, "sla_resumed")
    assert resumed.actor == "ani"
    with ctx.unit_of_work(write=False) as uow:
        clocks = uow.session.scalar(select(Case.sla).where(Case.id == case.id))
    assert clocks["respons"]["due"] == utc(2026, 4, 2, 7).isoformat()  # 31 March moved out by 2 working days
    assert clocks["respons"]["paused_days"] == 2 and "paused" not in clocks["respons"]
    assert _task_row(ctx, case.id, "Task_periksa_kelengkapan").due_at == utc(2026, 3, 27, 3, 30)  # 1 day: Friday


def test_replay_uses_the_calendar_as_it_stood_when_each_timer_started(
    ctx: EngineContext, clock: FixedClock, people: People, at_decision: object
) -> None:
    # A week later the admin declares 25 March a holiday: the timers already waiting keep their
    # moments, and replay, which builds each step's calendar as of that step, agrees with them.
    clock.set(START + timedelta(days=7))
    calendar_admin.add_override(
        ctx, actor=Actor.operator("uji"), day="2026-03-25", working=False, reference="Keputusan uji 1/2026"
    )
    assert timers_of(ctx, at_decision.id)[0] == ("BoundaryEvent_keputusan_1", FIRST)  # type: ignore[attr-defined]
    clock.set(FIRST + timedelta(minutes=1))
    assert [f.elements for f in fire_due(ctx)] == [("BoundaryEvent_keputusan_1",)]
    result = replays.replay_case(ctx, case_ref=at_decision.number).result  # type: ignore[attr-defined]
    assert result.ok, result.divergence
    assert result.final_checked


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        (utc(2026, 4, 14, 3), utc(2026, 4, 15, 7)),  # Tuesday 10:00 WIB: due Wednesday at close (14:00)
        (utc(2026, 4, 14, 8), utc(2026, 4, 16, 7)),  # Tuesday 15:00, after closing: counts from Wednesday
        (utc(2026, 4, 17, 4), utc(2026, 4, 21, 7)),  # Friday 11:00, after closing: counts from Monday
        (utc(2026, 4, 18, 3), utc(2026, 4, 21, 7)),  # Saturday: counts from Monday
    ],
)
def test_the_completeness_check_is_due_a_working_day_after_receipt_inside_or_outside_service_hours(
    ctx: EngineContext, clock: FixedClock, people: People, filed: datetime, due: datetime
) -> None:
    clock.set(filed)
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    assert _task_row(ctx, case.id, "Task_periksa_kelengkapan").due_at == due
