"""Pengaduan Layanan: complaints about the service, their paths, escalation by timer and what they show.

The fixed clock starts on Tuesday 2026-03-17 09:00 WIB; the fifth working day after it is 31 March
(Nyepi, Idul Fitri and their cuti bersama lie between), and the fifth after 31 March's close is
9 April (Good Friday, 3 April, lies between).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.casework.views import CaseView
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import FormInvalid, InvalidInput, NotFound
from engine.persistence.models import CaseTask, Notification, Timer
from engine.services import cases as case_service
from engine.services import evidence, replays
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from engine.services.deploy import Deployment
from engine.services.timers import TIMER_FIRED, fire_due
from tests.builders import application, ready_task

People = dict[str, Actor]
COMPLAINT = "pengaduan_layanan"
CALLER = case_service.WalkInApplicant(nama="Pak Darto", telepon="081234567890")
ANSWER = {"tanggapan": "Dijelaskan bahwa berkas sedang ditelaah Ketua LP-PAR."}
RESOLVED = {
    "hasil_penanganan": "selesai",
    "cara_pemberitahuan": "telepon",
    "informasi_kepada_pemohon": "Pemohon diberi tahu tahap layanan dan perkiraan waktunya.",
}
UNRESOLVED = {**RESOLVED, "hasil_penanganan": "belum_selesai"}
KETUA = {
    "tanggapan_ketua": "Ketua LP-PAR menjadwalkan ulang telaah berkas.",
    "hasil_tindak_lanjut_ketua": "selesai",
    "cara_pemberitahuan_ketua": "langsung",
}
KADIN = {
    "tanggapan_kepala_dinas": "Kepala Dinas menetapkan petugas pengganti.",
    "hasil_putusan_kepala_dinas": "selesai",
    "cara_pemberitahuan_kepala_dinas": "surat",
}
# Close of service (14:00 WIB) on the fifth working day after the complaint, and after that moment.
FIFTH = datetime(2026, 3, 31, 7, tzinfo=UTC)
TENTH = datetime(2026, 4, 9, 7, tzinfo=UTC)


def complaint(**overrides: Any) -> dict[str, Any]:
    """A complaint as its start form takes it, with fields replaced by `overrides`."""
    data: dict[str, Any] = {
        "saluran": "langsung",
        "perihal": "Belum ada kabar atas permohonan",
        "uraian": "Sudah dua minggu sejak berkas diserahkan dan belum ada pemberitahuan.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file_complaint(ctx: EngineContext, actor: Actor, **kwargs: Any) -> CaseView:
    data = kwargs.pop("data", None) or complaint()
    return case_service.start_case(ctx, actor=actor, data=data, process_key=COMPLAINT, **kwargs)


def complete(ctx: EngineContext, actor: Actor, case: CaseView, element: str, data: dict[str, Any]) -> CaseView:
    return task_service.complete_task(ctx, actor=actor, task_id=ready_task(ctx, case.id, element), data=data)


def ready(ctx: EngineContext, case: CaseView) -> list[tuple[str, str]]:
    return [(t.element, t.lane) for t in case_queries.get_case(ctx, case.id).tasks]


def timers_of(ctx: EngineContext, case: CaseView) -> list[tuple[str, datetime]]:
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(Timer.element, Timer.due_at).where(Timer.case_id == case.id))
        return sorted((r.element, r.due_at) for r in rows)


def escalations(ctx: EngineContext) -> list[tuple[str | None, str]]:
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(Notification.role, Notification.text).order_by(Notification.id))
        return [(r.role, r.text) for r in rows]


def task_states(ctx: EngineContext, case: CaseView) -> dict[str, str]:
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(CaseTask.element, CaseTask.state).where(CaseTask.case_id == case.id))
        return {row.element: row.state for row in rows}


def test_init_deploys_the_three_processes(deployed: list[Deployment]) -> None:
    assert sorted(d.key for d in deployed) == ["mediasi_kekerasan", "pemantauan_kesepakatan", COMPLAINT]


def test_a_direct_complaint_is_answered_recorded_and_resolved_by_the_fulltimer(
    ctx: EngineContext, people: People
) -> None:
    case = file_complaint(ctx, people["ani"])
    assert case.number == "ADU-2026-0001"
    assert case.process_key == COMPLAINT
    assert ready(ctx, case) == [("Task_tanggapi_pengaduan", "Fulltimer")]
    assert timers_of(ctx, case) == [("BoundaryEvent_eskalasi_ketua", FIFTH)]
    assert case.sla.due_at is None  # complaints run no SOP clocks; the timer is their deadline

    complete(ctx, people["dewi"], case, "Task_tanggapi_pengaduan", ANSWER)
    assert ready(ctx, case) == [("Task_catat_hasil", "Fulltimer")]
    done = complete(ctx, people["dewi"], case, "Task_catat_hasil", RESOLVED)
    assert (done.status, done.outcome) == ("completed", "resolved")
    assert timers_of(ctx, case) == []
    assert escalations(ctx) == []
    # The applicant follows her complaint; a mediation case number counter is not touched.
    assert case_queries.get_case(ctx, case.id, people["ani"]).outcome == "resolved"
    assert case_service.start_case(ctx, actor=people["ani"], data=application()).number == "MED-2026-0001"


def test_a_phone_complaint_is_recorded_by_the_fulltimer_for_the_caller(ctx: EngineContext, people: People) -> None:
    with pytest.raises(InvalidInput):  # the fulltimer records for someone: who called, and their number
        file_complaint(ctx, people["dewi"], data=complaint(saluran="telepon"))
    case = file_complaint(ctx, people["dewi"], data=complaint(saluran="telepon"), applicant=CALLER)
    assert case_queries.get_case(ctx, case.id, people["dewi"]).applicant == "Pak Darto (datang langsung)"
    assert case_queries.case_data(ctx, case.id)["saluran"] == "telepon"
    with pytest.raises(NotFound):  # another applicant never sees it
        case_queries.get_case(ctx, case.id, people["ani"])
    complete(ctx, people["dewi"], case, "Task_tanggapi_pengaduan", ANSWER)
    done = complete(ctx, people["dewi"], case, "Task_catat_hasil", RESOLVED)
    assert done.outcome == "resolved"


def test_an_unresolved_complaint_goes_up_to_the_ketua_then_the_kepala_dinas(ctx: EngineContext, people: People) -> None:
    case = file_complaint(ctx, people["ani"])
    with pytest.raises(NotFound):  # need-to-know: the Ketua reads a complaint only once it reaches her
        case_queries.get_case(ctx, case.id, people["rina"])
    complete(ctx, people["dewi"], case, "Task_tanggapi_pengaduan", ANSWER)
    complete(ctx, people["dewi"], case, "Task_catat_hasil", UNRESOLVED)
    assert ready(ctx, case) == [("Task_tindak_lanjut_ketua", "Ketua LP-PAR")]
    assert case_queries.get_case(ctx, case.id, people["rina"]).number == case.number
    assert timers_of(ctx, case) == [("BoundaryEvent_eskalasi_kadin", FIFTH)]
    complete(
        ctx, people["rina"], case, "Task_tindak_lanjut_ketua", {**KETUA, "hasil_tindak_lanjut_ketua": "belum_selesai"}
    )
    assert ready(ctx, case) == [("Task_putusan_kadin", "Kepala Dinas")]
    done = complete(
        ctx, people["kadin"], case, "Task_putusan_kadin", {**KADIN, "hasil_putusan_kepala_dinas": "tidak_selesai"}
    )
    assert (done.status, done.outcome) == ("completed", "unresolved")
    assert escalations(ctx) == []  # passed up by hand: the new task tells them, no timer fired


def test_the_timer_moves_an_unresolved_complaint_to_the_ketua_then_the_kepala_dinas(
    ctx: EngineContext, clock: FixedClock, people: People
) -> None:
    case = file_complaint(ctx, people["ani"])
    complete(ctx, people["dewi"], case, "Task_tanggapi_pengaduan", ANSWER)  # answered, but not yet recorded
    clock.set(FIFTH)
    assert fire_due(ctx) == []  # a timer fires once its moment has passed
    clock.set(FIFTH + timedelta(seconds=1))
    assert [f.elements for f in fire_due(ctx)] == [("BoundaryEvent_eskalasi_ketua",)]
    assert ready(ctx, case) == [("Task_tindak_lanjut_ketua", "Ketua LP-PAR")]
    assert task_states(ctx, case)["Task_catat_hasil"] == "cancelled"  # interrupting: the Fulltimer's work ends
    assert escalations(ctx) == [
        ("ketua_lppar", "Eskalasi ke Ketua LP-PAR (ADU-2026-0001)"),
        ("fulltimer", "Eskalasi ke Ketua LP-PAR (ADU-2026-0001)"),
    ]
    assert timers_of(ctx, case) == [("BoundaryEvent_eskalasi_kadin", TENTH)]

    clock.set(TENTH + timedelta(minutes=1))
    assert [f.elements for f in fire_due(ctx)] == [("BoundaryEvent_eskalasi_kadin",)]
    assert ready(ctx, case) == [("Task_putusan_kadin", "Kepala Dinas")]
    assert task_states(ctx, case)["Task_tindak_lanjut_ketua"] == "cancelled"
    assert escalations(ctx)[2:] == [
        ("kepala_dinas", "Eskalasi ke Kepala Dinas (ADU-2026-0001)"),
        ("ketua_lppar", "Eskalasi ke Kepala Dinas (ADU-2026-0001)"),
    ]
    assert timers_of(ctx, case) == []  # the Kepala Dinas is the last level
    assert complete(ctx, people["kadin"], case, "Task_putusan_kadin", KADIN).outcome == "resolved"

    result = replays.replay_case(ctx, case_ref=case.number).result
    assert result.ok, result.divergence
    assert result.final_checked
    assert [s.type for s in result.steps].count(TIMER_FIRED) == 2


def test_a_replayed_and_exported_direct_complaint(ctx: EngineContext, people: People) -> None:
    case = file_complaint(ctx, people["ani"])
    complete(ctx, people["dewi"], case, "Task_tanggapi_pengaduan", ANSWER)
    complete(ctx, people["dewi"], case, "Task_catat_hasil", UNRESOLVED)
    complete(ctx, people["rina"], case, "Task_tindak_lanjut_ketua", KETUA)
    result = replays.replay_case(ctx, case_ref=case.id).result
    assert result.ok and result.final_checked, result.divergence
    package = evidence.export_evidence(ctx, actor=Actor.operator("cli:uji"), case_ref=case.number)
    assert package.filename.startswith("bukti-ADU-2026-0001-")


def test_an_applicant_names_only_her_own_mediation_case(ctx: EngineContext, people: People) -> None:
    own = case_service.start_case(ctx, actor=people["ani"], data=application())
    filed = file_complaint(ctx, people["ani"], data=complaint(nomor_kasus=own.number, nomor_sp4n_lapor="4412345"))
    assert case_queries.case_data(ctx, filed.id)["nomor_kasus"] == own.number
    refused = "Nomor kasus tidak ditemukan di antara kasus Anda."
    for number in (own.number, "MED-2026-0099", filed.number):  # someone else's, none, and not a mediation
        with pytest.raises(FormInvalid) as invalid:
            file_complaint(
                ctx, people["budi"] if number == own.number else people["ani"], data=complaint(nomor_kasus=number)
            )
        assert invalid.value.errors == {"nomor_kasus": refused}, number
    with pytest.raises(FormInvalid) as malformed:
        file_complaint(ctx, people["ani"], data=complaint(nomor_kasus="kasus saya"))
    assert set(malformed.value.errors) == {"nomor_kasus"}


def test_complaint_staff_see_the_number_and_nothing_of_the_mediation_case(ctx: EngineContext, people: People) -> None:
    mediation = case_service.start_case(ctx, actor=people["ani"], data=application())
    # On the phone the fulltimer takes any number as told: it can neither check nor open the case.
    case = file_complaint(
        ctx, people["dewi"], data=complaint(saluran="telepon", nomor_kasus=mediation.number), applicant=CALLER
    )
    task = task_service.get_task(ctx, actor=people["dewi"], task_id=ready_task(ctx, case.id, "Task_tanggapi_pengaduan"))
    assert task.data == complaint(saluran="telepon", nomor_kasus=mediation.number)
    for ref in (mediation.id, mediation.number):
        with pytest.raises(NotFound):
            case_queries.get_case(ctx, ref, people["dewi"])
        with pytest.raises(NotFound):
            case_queries.case_data(ctx, ref, people["dewi"])
    # An applicant's complaint reaches the fulltimer through its lane: the complaint opens, her case does not.
    own = file_complaint(ctx, people["ani"], data=complaint(nomor_kasus=mediation.number))
    assert case_queries.get_case(ctx, own.id, people["dewi"]).number == own.number
    assert case_queries.case_data(ctx, own.id, people["dewi"])["nomor_kasus"] == mediation.number
    assert {c.number for c in case_queries.list_cases(ctx, actor=people["dewi"]).items} == {case.number, own.number}
