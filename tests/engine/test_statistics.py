"""The management dashboard: every figure against a recomputation from the raw rows, the period's
boundaries in office time, and who may see it.

The cases are made through the services with a fixed clock moved across January to April 2026, so
that clocks are met, late, paused, running and overdue. The recomputation below reads the tables and
decodes each case's variables one by one, and counts working days day by day: it shares no code with
engine.services.statistics.
"""

from __future__ import annotations

import json
import statistics
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import null, select, update

from engine import runtime
from engine.actors import Actor
from engine.calendar import WorkingCalendar
from engine.casework.record import case_variables
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import InvalidInput, PermissionDenied
from engine.persistence.models import Case, CaseFinalRecord, CaseState, CaseTask, ProcessDefinition
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import statistics as statistics_service
from engine.services import tasks as task_service
from engine.services import users as user_service
from engine.services.statistics import Dashboard
from engine.settings import PROJECT_ROOT
from tests.builders import ACCEPTED_TO_END, TO_DECISION, Step, application, ready_task, screening, steps, walk
from tests.conftest import OPERATOR

WIB = ZoneInfo("Asia/Jakarta")
BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
LANES = json.loads((PROJECT_ROOT / "processes" / "mediasi_kekerasan.lanes.json").read_text())
INCOMPLETE = {"berkas_lengkap": False, "catatan_kelengkapan": "Lampirkan fotokopi KTP."}
SEXUAL = ["fisik", "seksual"]
AS_OF = datetime(2026, 4, 20, 10, tzinfo=WIB)  # a Monday, when the dashboard is read


def wib(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of 2026 in office time."""
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


@dataclass
class Seeded:
    """The cases made for the dashboard, by the letter the scenario gives them."""

    ctx: EngineContext
    clock: FixedClock
    people: dict[str, Actor]
    numbers: dict[str, str]


def seed_cases(ctx: EngineContext, clock: FixedClock, people: dict[str, Actor]) -> Seeded:
    """Ten mediation cases filed from January to April 2026, ending or waiting in every way the figures count.

    A  5 Jan, decided 8 Jan (3 working days), mediated 13 Jan (6)
    B  2 Feb, rejected 11 Feb (7: the response clock is late)
    C  2 Mar, sexual violence referred 4 Mar (2); waits on the police report, completion overdue
    D  17 Mar, waits on the Kepala Dinas' decision: both clocks overdue by 20 April
    E  3 Mar, withdrawn 5 Mar (2 and 2)
    F1 31 Jan 23.30 WIB and F2 1 Feb 00.00 WIB (both 31 Jan in UTC): filed, not yet checked
    then a version whose clocks start at the completeness check, so a file sent back pauses them:
    G1 6 Apr, sent back, returned 8 Apr (paused 2 days), mediated 9 Apr (3 - 2 = 1)
    G2 6 Apr, sent back and still with the applicant: paused, not overdue
    H  10 Apr, filed: its response clock is overdue by 20 April
    """
    numbers: dict[str, str] = {}

    def file(name: str, at: datetime, **overrides: Any) -> Any:
        clock.set(at)
        case = case_service.start_case(ctx, actor=people["ani"], data=application(**overrides))
        numbers[name] = case.number
        return case

    def go(case: Any, at: datetime, path: list[Step]) -> None:
        clock.set(at)
        walk(lambda: ctx, people, case, path)

    a = file("A", wib(1, 5))
    go(a, wib(1, 5), steps(*TO_DECISION))
    go(a, wib(1, 8), steps(ACCEPTED_TO_END[0]))
    go(a, wib(1, 13), steps(*ACCEPTED_TO_END[1:]))
    b = file("B", wib(2, 2))
    go(b, wib(2, 2), steps(*TO_DECISION))
    go(
        b,
        wib(2, 11),
        [Step("Task_keputusan_kadin", {"keputusan": "ditolak", "kode_alasan_keputusan": "bukan_kewenangan"})],
    )
    c = file("C", wib(3, 2), jenis_kekerasan=SEXUAL)
    go(
        c,
        wib(3, 2),
        [Step("Task_periksa_kelengkapan"), Step("Task_telaah_permohonan", screening(jenis_kekerasan=SEXUAL))],
    )
    go(c, wib(3, 4), steps("Task_catat_rujukan"))
    d = file("D", wib(3, 17, 9))
    go(d, wib(3, 17, 9), steps(*TO_DECISION))
    e = file("E", wib(3, 3))
    go(e, wib(3, 3), steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    clock.set(wib(3, 5))
    case_service.withdraw_case(ctx, actor=people["ani"], case_ref=e.number, reason="Korban mencabut persetujuan")
    file("F1", wib(1, 31, 23, 30), jenis_kekerasan=["fisik"])
    file("F2", wib(2, 1, 0, 0), jenis_kekerasan=["penelantaran"])

    start = '<spiffworkflow:property name="slaStart" value="respons:5 penyelesaian:14" />'
    due = '<spiffworkflow:property name="slaDue" value="kelengkapan" />'
    xml = BPMN.read_text().replace(start, "").replace(due, due + start)
    deploy_service.deploy(ctx, actor=OPERATOR, xml=xml.encode(), filename="jeda.bpmn", lane_roles=LANES)
    g1 = file("G1", wib(4, 6, 9))
    go(g1, wib(4, 6, 9), [Step("Task_periksa_kelengkapan", INCOMPLETE)])
    go(g1, wib(4, 8), steps("Task_lengkapi_berkas"))
    go(g1, wib(4, 9), steps(*TO_DECISION, *ACCEPTED_TO_END))
    g2 = file("G2", wib(4, 6, 9, 30))
    go(g2, wib(4, 6, 9, 30), [Step("Task_periksa_kelengkapan", INCOMPLETE)])
    file("H", wib(4, 10, 9))
    clock.set(AS_OF)
    return Seeded(ctx, clock, people, numbers)


def reader(ctx: EngineContext, username: str, role: str) -> Actor:
    """An account holding `role`."""
    user_service.add_user(ctx, actor=OPERATOR, username=username, full_name=username, roles=[role], password=None)
    return user_service.actor_for(ctx, username)


@pytest.fixture
def seeded(ctx: EngineContext, clock: FixedClock, people: dict[str, Actor]) -> Seeded:
    return seed_cases(ctx, clock, people)


# -- the independent recomputation ------------------------------------------------------------------


def recompute(ctx: EngineContext, start: date | None, end: date | None) -> dict[str, Any]:
    """Every figure from the raw rows: cases and their process keys, ready tasks, variables case by case."""
    now = ctx.clock.now()
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        rows = session.execute(select(Case, ProcessDefinition.key).join(ProcessDefinition)).all()
        ready = session.execute(select(CaseTask.case_id, CaseTask.element).where(CaseTask.state == "ready")).all()

        def filed_in(case: Case) -> bool:
            day = case.created_at.astimezone(WIB).date()
            return (start is None or day >= start) and (end is None or day <= end)

        mediation = [case for case, key in rows if key == "mediasi_kekerasan" and filed_in(case)]
        complaints = [case for case, key in rows if key == "pengaduan_layanan" and filed_in(case)]
        variables = {
            case.id: case_variables(session, ctx.definitions.get(session, case.definition_id), case)
            for case in mediation
        }
        calendar = ctx.calendar(session)
    open_ids = {case.id for case in mediation if case.status == "open"}
    by_step: dict[str, set[uuid.UUID]] = {}
    for case_id, element in ready:
        if case_id in open_ids:
            by_step.setdefault(element, set()).add(case_id)
    violence: Counter[str] = Counter()
    for data in variables.values():
        violence.update(set(data.get("jenis_kekerasan", [])))
    return {
        "cases": len(mediation),
        "open_cases": len(open_ids),
        "open_by_step": {element: len(ids) for element, ids in by_step.items()},
        "clocks": {name: clock_figures(mediation, name, now, calendar) for name in ("respons", "penyelesaian")},
        "outcomes": dict(Counter(c.outcome for c in mediation if c.status != "open" and c.outcome)),
        "violence_types": dict(violence),
        "months": dict(Counter(c.created_at.astimezone(WIB).strftime("%Y-%m") for c in mediation)),
        "complaints_by_status": dict(Counter(c.status for c in complaints)),
        "complaints_by_outcome": dict(Counter(c.outcome for c in complaints if c.status != "open" and c.outcome)),
    }


def clock_figures(cases: list[Case], name: str, now: datetime, calendar: WorkingCalendar) -> dict[str, Any]:
    clocks = [case.sla[name] for case in cases if case.sla and name in case.sla]
    stopped = [c for c in clocks if "stopped" in c]
    running = [c for c in clocks if "stopped" not in c]
    days = [days_taken(c, calendar) for c in stopped]
    overdue = [
        c
        for c in running
        if datetime.fromisoformat(c.get("paused") or now.isoformat()) > datetime.fromisoformat(c["due"])
    ]
    return {
        "stopped": len(stopped),
        "met": sum(1 for c in stopped if c["met"] is True),
        "running": len(running),
        "overdue": len(overdue),
        "median_days": statistics.median(days) if days else None,
    }


def days_taken(clock: dict[str, Any], calendar: WorkingCalendar) -> int:
    """Count, one local date at a time, the working days after the clock's first day up to its stop's."""
    started = datetime.fromisoformat(clock["started"]).astimezone(WIB)
    first = started.date()
    # Started on a day off or after closing: the count starts from the next working day.
    if not calendar.is_working_day(first) or _after_closing(started):
        first += timedelta(days=1)
        while not calendar.is_working_day(first):
            first += timedelta(days=1)
    last = datetime.fromisoformat(clock["stopped"]).astimezone(WIB).date()
    working = sum(1 for n in range(1, (last - first).days + 1) if calendar.is_working_day(first + timedelta(n)))
    return max(0, working - clock.get("paused_days", 0))


def _after_closing(moment: datetime) -> bool:
    """True once the day's service is over (from 14.00, or 10.30 on a Friday, office time)."""
    closing = (10, 30) if moment.weekday() == 4 else (14, 0)
    return (moment.hour, moment.minute) >= closing


def as_figures(board: Dashboard) -> dict[str, Any]:
    """The dashboard in the recomputation's shape."""
    return {
        "cases": board.cases,
        "open_cases": board.open_cases,
        "open_by_step": {c.key: c.count for c in board.open_by_step},
        "clocks": {
            c.name: {
                "stopped": c.stopped,
                "met": c.met,
                "running": c.running,
                "overdue": c.overdue,
                "median_days": c.median_days,
            }
            for c in board.clocks
        },
        "outcomes": {c.key: c.count for c in board.outcomes},
        "violence_types": {c.key: c.count for c in board.violence_types},
        "months": {c.key: c.count for c in board.months if c.count},
        "complaints_by_status": {c.key: c.count for c in board.complaints_by_status if c.count},
        "complaints_by_outcome": {c.key: c.count for c in board.complaints_by_outcome},
    }


# -- the figures ------------------------------------------------------------------------------------


PERIODS = [
    (None, None),
    (date(2026, 2, 1), date(2026, 3, 31)),
    (None, date(2026, 1, 31)),
    (date(2026, 2, 1), None),
    (date(2026, 3, 17), date(2026, 3, 17)),
    (date(2026, 5, 1), date(2026, 5, 31)),
]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_every_figure_equals_a_recomputation_from_the_rows(
    seeded: Seeded, start: date | None, end: date | None
) -> None:
    ctx = seeded.ctx
    board = statistics_service.dashboard(ctx, actor=seeded.people["kadin"], start=start, end=end)
    assert as_figures(board) == recompute(ctx, start, end)
    assert (board.start, board.end, board.as_of) == (start, end, AS_OF.astimezone(UTC))


def test_the_figures_of_the_whole_period(seeded: Seeded) -> None:
    board = statistics_service.dashboard(seeded.ctx, actor=seeded.people["rina"], start=None, end=None)
    assert (board.cases, board.open_cases) == (10, 6)
    assert [(c.key, c.count) for c in board.open_by_step] == [
        ("Task_periksa_kelengkapan", 3),  # F1, F2, H
        ("Task_keputusan_kadin", 1),  # D
        ("Task_laporan_polisi", 1),  # C
        ("Task_lengkapi_berkas", 1),  # G2
    ]  # in the order the version's catalog lists its tasks, as case pages list them
    assert board.open_by_step[0].title == "Periksa kelengkapan berkas"
    respons, penyelesaian = board.clocks
    # Stopped response clocks took A 3, B 7 (late), C 2, E 2, G1 3 - 2 paused = 1 working day.
    assert (respons.name, respons.days, respons.stopped, respons.met, respons.share) == ("respons", 5, 5, 4, 0.8)
    assert (respons.running, respons.overdue, respons.median_days) == (3, 2, 2.0)  # D, H overdue; G2 paused
    # Completion: A 6, B 7, E 2, G1 1; running C and D overdue, G2 paused, H on time.
    assert (penyelesaian.stopped, penyelesaian.met, penyelesaian.running, penyelesaian.overdue) == (4, 4, 4, 2)
    assert (board.median_days_to_decision, board.median_days_to_outcome) == (2.0, 4.0)
    assert [(c.key, c.count) for c in board.outcomes] == [("mediated", 2), ("rejected", 1), ("withdrawn", 1)]
    assert [(c.key, c.count, c.title) for c in board.violence_types] == [
        ("ekonomi", 7, "Kekerasan ekonomi"),
        ("psikis", 7, "Kekerasan psikis"),
        ("fisik", 2, "Kekerasan fisik"),
        ("penelantaran", 1, "Penelantaran"),
        ("seksual", 1, "Kekerasan seksual"),
    ]
    assert [(c.key, c.count) for c in board.months] == [("2026-01", 2), ("2026-02", 2), ("2026-03", 3), ("2026-04", 3)]


def test_the_period_is_in_office_dates_both_ends_included(seeded: Seeded) -> None:
    kadin = seeded.people["kadin"]

    def filed(start: date | None, end: date | None) -> Counter[str]:
        board = statistics_service.dashboard(seeded.ctx, actor=kadin, start=start, end=end)
        return Counter({c.key: c.count for c in board.violence_types})

    # F1 (31 Jan 23.30 WIB) and F2 (1 Feb 00.00 WIB) share a UTC date; the office's dates tell them apart.
    assert filed(None, date(2026, 1, 31))["fisik"] == 1 and filed(None, date(2026, 1, 31))["penelantaran"] == 0
    assert filed(date(2026, 2, 1), None)["penelantaran"] == 1 and filed(date(2026, 2, 1), None)["fisik"] == 1  # C
    assert filed(date(2026, 1, 31), date(2026, 1, 31)) == Counter({"fisik": 1})
    assert filed(date(2026, 2, 1), date(2026, 2, 1)) == Counter({"penelantaran": 1})
    board = statistics_service.dashboard(seeded.ctx, actor=kadin, start=date(2026, 1, 31), end=date(2026, 2, 1))
    assert [(c.key, c.count) for c in board.months] == [("2026-01", 1), ("2026-02", 1)]
    board = statistics_service.dashboard(seeded.ctx, actor=kadin, start=date(2026, 5, 1), end=None)
    assert (board.cases, board.months, board.outcomes, board.violence_types, board.open_by_step) == (0, [], [], [], [])
    assert [(c.name, c.stopped, c.median_days, c.share) for c in board.clocks] == [
        ("respons", 0, None, None),
        ("penyelesaian", 0, None, None),
    ]


def test_months_without_cases_between_two_that_have_some_count_zero(seeded: Seeded) -> None:
    board = statistics_service.dashboard(
        seeded.ctx, actor=seeded.people["kadin"], start=date(2026, 1, 5), end=date(2026, 1, 5)
    )
    assert [(c.key, c.count) for c in board.months] == [("2026-01", 1)]
    seeded.clock.set(wib(6, 1))
    case_service.start_case(seeded.ctx, actor=seeded.people["ani"], data=application())
    board = statistics_service.dashboard(seeded.ctx, actor=seeded.people["kadin"], start=date(2026, 4, 1), end=None)
    assert [(c.key, c.count) for c in board.months] == [("2026-04", 3), ("2026-05", 0), ("2026-06", 1)]


def test_end_before_start_is_refused(seeded: Seeded) -> None:
    with pytest.raises(InvalidInput, match="tidak boleh sebelum"):
        statistics_service.dashboard(
            seeded.ctx, actor=seeded.people["kadin"], start=date(2026, 3, 2), end=date(2026, 3, 1)
        )


# -- beside the state -------------------------------------------------------------------------------


def test_the_figures_never_come_from_a_saved_workflow(seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every saved workflow and final record unreadable, and the runtime refusing to restore one: the same figures."""
    kadin = seeded.people["kadin"]
    before = as_figures(statistics_service.dashboard(seeded.ctx, actor=kadin, start=None, end=None))
    with seeded.ctx.unit_of_work() as uow:
        assert uow.session.execute(update(CaseState).values(state=b"bukan alur kerja")).rowcount == 6
        uow.session.execute(update(CaseFinalRecord).values(record=b"bukan catatan akhir"))

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the dashboard read a workflow")

    for name in ("load_state", "load_final", "current_data"):
        monkeypatch.setattr(runtime, name, refuse)
    after = statistics_service.dashboard(seeded.ctx, actor=kadin, start=None, end=None)
    assert as_figures(after) == before
    assert sum(c.count for c in after.violence_types) == 18


def test_a_case_filed_before_screening_records_counts_the_types_its_history_gives(seeded: Seeded) -> None:
    kadin = seeded.people["kadin"]
    before = as_figures(statistics_service.dashboard(seeded.ctx, actor=kadin, start=None, end=None))
    with seeded.ctx.unit_of_work() as uow:
        uow.session.execute(update(Case).where(Case.number == seeded.numbers["C"]).values(screening=null()))
        uow.session.execute(update(Case).where(Case.number == seeded.numbers["F2"]).values(screening=null()))
    assert as_figures(statistics_service.dashboard(seeded.ctx, actor=kadin, start=None, end=None)) == before


# -- complaints -------------------------------------------------------------------------------------


COMPLAINT = {"saluran": "langsung", "perihal": "Belum ada kabar", "uraian": "Belum ada pemberitahuan atas berkas."}
ANSWER = {"tanggapan": "Dijelaskan tahap layanan."}
RESULT = {
    "hasil_penanganan": "selesai",
    "cara_pemberitahuan": "telepon",
    "informasi_kepada_pemohon": "Sudah dijelaskan.",
}
KETUA = {
    "tanggapan_ketua": "Dijadwalkan ulang.",
    "hasil_tindak_lanjut_ketua": "belum_selesai",
    "cara_pemberitahuan_ketua": "langsung",
}
KADIN = {
    "tanggapan_kepala_dinas": "Petugas pengganti ditetapkan.",
    "hasil_putusan_kepala_dinas": "tidak_selesai",
    "cara_pemberitahuan_kepala_dinas": "surat",
}


def file_complaints(seeded: Seeded) -> None:
    """Through the complaint process: one waits for an answer, two are resolved, one is not, one is cancelled."""
    ctx, people = seeded.ctx, seeded.people

    def work(case: Any, *steps: tuple[str, str, dict[str, Any]]) -> None:
        for user, element, data in steps:
            task_service.complete_task(ctx, actor=people[user], task_id=ready_task(ctx, case.id, element), data=data)

    def complaint(at: datetime) -> Any:
        seeded.clock.set(at)
        return case_service.start_case(ctx, actor=people["ani"], data=COMPLAINT, process_key="pengaduan_layanan")

    complaint(wib(2, 3))
    for day in (10, 11):
        work(complaint(wib(3, day)), ("dewi", "Task_tanggapi_pengaduan", ANSWER), ("dewi", "Task_catat_hasil", RESULT))
    work(
        complaint(wib(4, 1)),
        ("dewi", "Task_tanggapi_pengaduan", ANSWER),
        ("dewi", "Task_catat_hasil", {**RESULT, "hasil_penanganan": "belum_selesai"}),
        ("rina", "Task_tindak_lanjut_ketua", KETUA),
        ("kadin", "Task_putusan_kadin", KADIN),
    )
    cancelled = complaint(wib(3, 12))
    case_service.cancel_case(ctx, actor=OPERATOR, case_ref=cancelled.number, reason="Pengaduan ganda")
    seeded.clock.set(AS_OF)


def test_without_complaints_every_status_counts_zero(seeded: Seeded) -> None:
    board = statistics_service.dashboard(seeded.ctx, actor=seeded.people["kadin"], start=None, end=None)
    assert board.complaints == 0 and board.complaints_by_outcome == []
    assert [(c.key, c.count) for c in board.complaints_by_status] == [("open", 0), ("completed", 0), ("cancelled", 0)]


def test_complaints_count_by_status_and_outcome_and_stay_out_of_the_mediation_figures(seeded: Seeded) -> None:
    file_complaints(seeded)
    kadin = seeded.people["kadin"]
    board = statistics_service.dashboard(seeded.ctx, actor=kadin, start=None, end=None)
    assert board.complaints == 5 and board.cases == 10
    assert [(c.key, c.count) for c in board.complaints_by_status] == [("open", 1), ("completed", 3), ("cancelled", 1)]
    assert [(c.key, c.count) for c in board.complaints_by_outcome] == [("resolved", 2), ("unresolved", 1)]
    assert as_figures(board) == recompute(seeded.ctx, None, None)
    march = statistics_service.dashboard(seeded.ctx, actor=kadin, start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert as_figures(march) == recompute(seeded.ctx, date(2026, 3, 1), date(2026, 3, 31))
    assert march.complaints == 3 and march.cases == 3


# -- who may see it ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "role"), [("kepala", "kepala_dinas"), ("ketua", "ketua_lppar"), ("pemeriksa", "auditor")]
)
def test_the_kepala_dinas_the_ketua_and_auditors_see_the_dashboard(
    ctx: EngineContext, people: dict[str, Actor], username: str, role: str
) -> None:
    board = statistics_service.dashboard(ctx, actor=reader(ctx, username, role), start=None, end=None)
    assert board.cases == 0 and board.open_by_step == [] and board.median_days_to_decision is None


@pytest.mark.parametrize("role", ["pemohon", "fulltimer", "tim_teknis", "sekretaris", "process_owner", "dpo", "admin"])
def test_other_roles_are_refused(ctx: EngineContext, people: dict[str, Actor], role: str) -> None:
    with pytest.raises(PermissionDenied, match="Dasbor hanya untuk"):
        statistics_service.dashboard(ctx, actor=reader(ctx, f"x_{role}", role), start=None, end=None)
    with pytest.raises(PermissionDenied):
        statistics_service.dashboard(ctx, actor=Actor.operator("cli:uji"), start=None, end=None)
