"""R12: follow-up monitoring after an agreement, owed by the engine and started exactly once.

The fixed clock starts on Tuesday 2026-03-17 09:00 WIB; a case walked to its end at once ends that
day, so its default follow-up is due 30 days later, on Thursday 16 April 2026, when service opens
at 09:00 WIB (02:00 UTC).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import ConcurrentUpdate, FormInvalid, NotInLane, PermissionDenied
from engine.legal import follow_up, screening
from engine.legal.guard import LegalRefusal
from engine.persistence.models import Case, FollowUp, ProcessDefinition, Timer
from engine.scheduler import Scheduler
from engine.services import audit, exports, follow_ups, replays, statistics
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from engine.services import users as user_service
from engine.services.timers import fire_due
from engine.status import CaseStatus
from tests.builders import ACCEPTED_TO_END, CLAUSES, TO_DECISION, Step, application, payloads, ready_task, steps, walk
from tests.conftest import OPERATOR, PEOPLE

People = dict[str, Actor]
PROCESSES = Path(__file__).resolve().parents[2] / "processes"
DEFAULT_DUE = date(2026, 4, 16)
OPENS = datetime(2026, 4, 16, 2, 0, tzinfo=UTC)  # 09:00 WIB on the due day
KEPT = {
    "tanggal_dipantau": "2026-04-16",
    "cara_pemantauan": "kunjungan",
    "kesepakatan_dipatuhi": "dipatuhi",
    "kekerasan_berulang": False,
    "catatan_pemantauan": "Nafkah dibayar tepat waktu; korban merasa aman.",
}
RECURRED = KEPT | {
    "kesepakatan_dipatuhi": "tidak_dipatuhi",
    "kekerasan_berulang": True,
    "uraian_kekerasan_berulang": "Terlapor kembali memukul korban pada 10 April 2026.",
}
SAFETY = {
    "lembaga_rujukan": ["kepolisian", "uptd_ppa"],
    "pendampingan": True,
    "pendamping": "Wati Lestari, pendamping UPTD PPA",
    "rencana_keselamatan": "Korban tinggal sementara di rumah aman; kontak darurat UPTD PPA.",
}


def mediated(ctx: EngineContext, people: People, *changes: Step) -> Any:
    """A case walked to its end with an agreement (each of `changes` replaces its step's default)."""
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    changed = {c.element: c for c in changes}
    return walk(lambda: ctx, people, case, [changed.get(s.element, s) for s in steps(*TO_DECISION, *ACCEPTED_TO_END)])


def owed(ctx: EngineContext, case_id: object) -> FollowUp | None:
    with ctx.unit_of_work(write=False) as uow:
        row = uow.session.get(FollowUp, case_id)
        if row is not None:
            uow.session.expunge(row)
        return row


def follow_up_cases(ctx: EngineContext) -> list[Case]:
    with ctx.unit_of_work(write=False) as uow:
        rows = list(
            uow.session.scalars(
                select(Case)
                .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
                .where(ProcessDefinition.key == follow_up.PROCESS)
                .order_by(Case.number)
            )
        )
        uow.session.expunge_all()
        return rows


def started(ctx: EngineContext, clock: FixedClock, people: People, *changes: Step) -> tuple[Any, Case]:
    """A mediated case and its follow-up, started by the scheduler and waiting on its date."""
    case = mediated(ctx, people, *changes)
    Scheduler(ctx).tick()
    (follow,) = follow_up_cases(ctx)
    return case, follow


def due(ctx: EngineContext, clock: FixedClock, follow: Case) -> Any:
    """Move the clock to the follow-up's date and let its timer fire; its monitoring task."""
    clock.set(OPENS + timedelta(seconds=1))  # a timer fires once its moment has passed
    fire_due(ctx)
    return ready_task(ctx, follow.id, "Task_pantau_kesepakatan")


def test_a_case_ending_with_an_agreement_owes_a_follow_up_30_days_later_on_its_chain(
    ctx: EngineContext, people: People
) -> None:
    case = mediated(ctx, people)
    assert case.status == CaseStatus.COMPLETED
    row = owed(ctx, case.id)
    assert row is not None and (row.due_on, row.case_id) == (DEFAULT_DUE, None)
    assert payloads(ctx, case.id, follow_up.SCHEDULED) == [{"due_on": "2026-04-16"}]
    assert audit.verify(ctx, case_ref=case.number).ok


def test_the_scheduler_starts_one_follow_up_case_waiting_for_the_date(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    case = mediated(ctx, people)
    tick = Scheduler(ctx).tick()
    (follow,) = follow_up_cases(ctx)
    assert tick.follow_ups == [follow.number] and follow.number.startswith("PMK-2026-")
    assert (follow.applicant_user_id, follow.status, follow.victim_initials) == (None, CaseStatus.OPEN, "S. A.")
    row = owed(ctx, case.id)
    assert row is not None and row.case_id == follow.id
    (start,) = payloads(ctx, follow.id, "case_started")
    assert start[follow_up.STARTED] == case.number
    assert start["data"]["tanggal_pemantauan"] == "2026-04-16"
    assert start["data"]["butir_kesepakatan"] == CLAUSES
    with ctx.unit_of_work(write=False) as uow:
        timers = list(uow.session.scalars(select(Timer.due_at).where(Timer.case_id == follow.id)))
    assert timers == [OPENS]
    assert case_queries.get_case(ctx, follow.number).tasks == []  # nothing to do before the date
    assert Scheduler(ctx).tick().follow_ups == []  # exactly once
    assert follow_ups.start(ctx, case.id) is None
    assert len(follow_up_cases(ctx)) == 1


def test_a_start_that_lost_the_race_rolls_back_whole(
    ctx: EngineContext, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = mediated(ctx, people)
    with ctx.unit_of_work(write=False) as uow:
        stale = follow_ups._pending(ctx, uow.session, case.id)
        assert stale is not None
        uow.session.expunge_all()
    assert follow_ups.start(ctx, case.id) is not None
    monkeypatch.setattr(follow_ups, "_pending", lambda *_args: stale)  # read before the winner committed
    with pytest.raises(ConcurrentUpdate):
        follow_ups.start(ctx, case.id)
    assert len(follow_up_cases(ctx)) == 1
    with ctx.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 2  # the loser's case is gone


def test_the_agreement_sets_the_follow_up_date(ctx: EngineContext, people: People) -> None:
    case = mediated(ctx, people, Step("Task_laksanakan_mediasi", {"tanggal_pemantauan": "2026-05-04"}))
    row = owed(ctx, case.id)
    assert row is not None and row.due_on == date(2026, 5, 4)


def test_a_follow_up_date_before_the_mediation_is_refused_beside_its_field(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION, *ACCEPTED_TO_END[:5]))
    task_id = ready_task(ctx, case.id, "Task_laksanakan_mediasi")
    data = Step("Task_laksanakan_mediasi", {"tanggal_pemantauan": "2026-03-16"}).payload(ctx.clock.now())
    with pytest.raises(FormInvalid) as refused:
        task_service.complete_task(ctx, actor=people["tono"], task_id=task_id, data=data)
    assert "sesudah tanggal mediasi" in refused.value.errors["tanggal_pemantauan"]
    assert ready_task(ctx, case.id, "Task_laksanakan_mediasi") == task_id


def test_a_mediation_without_agreement_owes_no_follow_up(ctx: EngineContext, people: People) -> None:
    no_agreement = Step(
        "Task_laksanakan_mediasi",
        {"hasil_mediasi": "tidak_sepakat", "klausul_kesepakatan": None}
        | dict.fromkeys(("r13_tanpa_janji_tidak_melapor", "r13_tanpa_perkawinan", "r13_tanpa_uang_tutup_mulut")),
    )
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    path = [no_agreement if s.element == no_agreement.element else s for s in steps(*TO_DECISION, *ACCEPTED_TO_END)]
    view = walk(lambda: ctx, people, case, [s for s in path if s.element != "Task_tinjau_kesepakatan"])
    assert view.status == CaseStatus.COMPLETED
    assert owed(ctx, case.id) is None
    Scheduler(ctx).tick()
    assert follow_up_cases(ctx) == []


def test_the_tim_teknis_records_an_agreement_kept_on_the_date(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    _case, follow = started(ctx, clock, people)
    task_id = due(ctx, clock, follow)
    view = task_service.complete_task(ctx, actor=people["tono"], task_id=task_id, data=KEPT)
    assert (view.status, view.outcome) == (CaseStatus.COMPLETED, "agreement_kept")
    assert replays.replay_case(ctx, case_ref=follow.number).result.ok
    assert audit.verify(ctx, case_ref=follow.number).ok


def test_a_follow_up_counts_in_no_mediation_figure_and_no_export(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    """The dashboard and the SIMFONI export count cases of violence: a follow-up is a step of one, not another.
    The dashboard counts the follow-ups apart, by the period of the case they follow up."""
    kadin = people["kadin"]

    def follow_up_figures(start: date | None = None) -> tuple[int, int, list[tuple[str, int]]]:
        board = statistics.dashboard(ctx, actor=kadin, start=start, end=None)
        return board.follow_ups, board.follow_ups_open, [(o.key, o.count) for o in board.follow_ups_by_outcome]

    mediated(ctx, people)
    assert follow_up_figures() == (1, 1, [])  # owed, not started yet
    Scheduler(ctx).tick()
    (follow,) = follow_up_cases(ctx)
    assert follow_up_figures() == (1, 1, [])  # waiting for its date
    task_service.complete_task(ctx, actor=people["tono"], task_id=due(ctx, clock, follow), data=KEPT)
    assert follow_up_figures() == (1, 0, [("agreement_kept", 1)])
    assert follow_up_figures(start=date(2026, 3, 18)) == (0, 0, [])  # its mediation was filed on 17 March
    board = statistics.dashboard(ctx, actor=kadin, start=None, end=None)
    assert (board.cases, board.open_cases) == (1, 0)
    assert [(o.key, o.count) for o in board.outcomes] == [("mediated", 1)]
    rows = exports.case_statistics_rows(ctx, actor=kadin, start=None, end=None).rows
    assert len(rows) == 1 and follow.number not in str(rows)  # the mediation alone


def test_a_recurrence_opens_the_safety_path_to_the_ketua(ctx: EngineContext, clock: FixedClock, people: People) -> None:
    _case, follow = started(ctx, clock, people)
    task_id = due(ctx, clock, follow)
    with pytest.raises(FormInvalid) as refused:
        task_service.complete_task(
            ctx, actor=people["tono"], task_id=task_id, data=RECURRED | {"uraian_kekerasan_berulang": None}
        )
    assert "uraian_kekerasan_berulang" in refused.value.errors
    task_service.complete_task(ctx, actor=people["tono"], task_id=task_id, data=RECURRED)
    safety = ready_task(ctx, follow.id, "Task_tindak_lanjut_keselamatan")
    with pytest.raises(NotInLane):  # the safety path is the Ketua's
        task_service.complete_task(ctx, actor=people["tono"], task_id=safety, data=SAFETY)
    with pytest.raises(FormInvalid) as refused:
        task_service.complete_task(ctx, actor=people["rina"], task_id=safety, data=SAFETY | {"pendamping": None})
    assert "pendamping" in refused.value.errors
    unnamed = {k: v for k, v in SAFETY.items() if k != "pendamping"}
    with pytest.raises(FormInvalid) as refused:  # accompanied: by whom must be said
        task_service.complete_task(ctx, actor=people["rina"], task_id=safety, data=unnamed)
    assert list(refused.value.errors) == ["pendamping"]
    alone = task_service.get_task(ctx, actor=people["rina"], task_id=safety, with_data=False)
    assert alone.task.state == "ready"
    view = task_service.complete_task(ctx, actor=people["rina"], task_id=safety, data=SAFETY)
    assert (view.status, view.outcome) == (CaseStatus.COMPLETED, follow_up.RECURRED)
    assert replays.replay_case(ctx, case_ref=follow.number).result.ok


def test_a_diagram_without_the_safety_path_cannot_close_a_recurrence(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    xml = (PROCESSES / f"{follow_up.PROCESS}.bpmn").read_text()
    edited = xml.replace("kekerasan_berulang == True</bpmn", "False</bpmn")  # a recurrence ends the case "kept"
    assert edited != xml
    lanes = json.loads((PROCESSES / f"{follow_up.PROCESS}.lanes.json").read_text())
    deploy_service.deploy(ctx, actor=OPERATOR, xml=edited.encode(), filename="tanpa_keselamatan.bpmn", lane_roles=lanes)
    _case, follow = started(ctx, clock, people)
    task_id = due(ctx, clock, follow)
    with pytest.raises(LegalRefusal) as refused:
        task_service.complete_task(ctx, actor=people["tono"], task_id=task_id, data=RECURRED)
    assert "tindak lanjut keselamatan" in refused.value.errors["kekerasan_berulang"]
    assert case_queries.get_case(ctx, follow.number).status == CaseStatus.OPEN
    assert ready_task(ctx, follow.id, "Task_pantau_kesepakatan") == task_id
    kept = task_service.complete_task(ctx, actor=people["tono"], task_id=task_id, data=KEPT)
    assert kept.outcome == "agreement_kept"  # without a recurrence the edited diagram still closes


def test_nobody_files_a_follow_up_by_hand(ctx: EngineContext, people: People) -> None:
    for who in ("ani", "dewi"):
        with pytest.raises(PermissionDenied):
            case_service.start_case(ctx, actor=people[who], data={}, process_key=follow_up.PROCESS)
    assert follow_up_cases(ctx) == []


def test_the_applicant_does_not_read_the_follow_up_the_lanes_do(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    _case, follow = started(ctx, clock, people)
    due(ctx, clock, follow)
    mine = case_queries.list_cases(ctx, actor=people["ani"]).items
    assert follow.number not in [c.number for c in mine]
    assert follow.number in [c.number for c in case_queries.list_cases(ctx, actor=people["tono"]).items]


def test_follow_ups_wait_while_their_process_is_not_deployed(ctx: EngineContext) -> None:
    deploy_service.deploy_file(ctx, PROCESSES / "mediasi_kekerasan.bpmn", actor=OPERATOR)
    for username, (name, roles) in PEOPLE.items():
        user_service.add_user(ctx, actor=OPERATOR, username=username, full_name=name, roles=roles, password=None)
    people = {username: user_service.actor_for(ctx, username) for username in PEOPLE}
    case = mediated(ctx, people)
    assert Scheduler(ctx).tick().follow_ups == []
    row = owed(ctx, case.id)
    assert row is not None and row.case_id is None
    deploy_service.deploy_file(ctx, PROCESSES / f"{follow_up.PROCESS}.bpmn", actor=OPERATOR)
    (number,) = Scheduler(ctx).tick().follow_ups  # once deployed, the waiting row starts
    assert [c.number for c in follow_up_cases(ctx)] == [number]


def test_the_guard_reads_a_recurrence_and_its_safety_follow_up_from_the_record() -> None:
    assert follow_up.gaps({"recurrence": True}, None) == {}  # not ending: nothing to refuse yet
    assert set(follow_up.gaps({"recurrence": True}, "agreement_kept")) == {"kekerasan_berulang"}
    assert set(follow_up.gaps({"recurrence": True}, follow_up.RECURRED)) == {"lembaga_rujukan", "rencana_keselamatan"}
    record = screening.fold({"recurrence": True}, SAFETY)
    assert follow_up.gaps(record, follow_up.RECURRED) == {}
    assert follow_up.gaps({"recurrence": False}, "agreement_not_kept") == {}
    assert follow_up.due_on({}, date(2026, 3, 17)) is None  # no agreement issued
