"""Every outcome path end to end, with the engine reloaded from the database between steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import CaseTask
from engine.services import cases as case_service
from engine.services import queries as case_queries
from tests.builders import ACCEPTED_TO_END, TIM, TO_DECISION, Step, application, screening, steps, walk

REFER = Step("Task_catat_rujukan")
NOT_ELIGIBLE = {"memenuhi_syarat_mediasi": False, "pilihan_korban_sendiri": False}

# name: (start form overrides, path, expected outcome, expected value of a variable)
PATHS: dict[str, tuple[dict[str, Any], list[Step], str]] = {
    "mediated, after one incomplete file": (
        {},
        steps(
            Step("Task_periksa_kelengkapan", {"berkas_lengkap": False, "catatan_kelengkapan": "Lampirkan KTP."}),
            "Task_lengkapi_berkas",
            *TO_DECISION,
            *ACCEPTED_TO_END,
        ),
        "mediated",
    ),
    "mediated without agreement": (
        {},
        steps(
            *TO_DECISION,
            *ACCEPTED_TO_END[:-3],
            Step("Task_laksanakan_mediasi", {"hasil_mediasi": "tidak_sepakat", "klausul_kesepakatan": None}),
            "Task_dokumentasi",
        ),
        "mediated",
    ),
    "rejected by the Kepala Dinas": (
        {},
        steps(
            *TO_DECISION,
            Step("Task_keputusan_kadin", {"keputusan": "ditolak", "kode_alasan_keputusan": "bukan_kewenangan"}),
        ),
        "rejected",
    ),
    "rejected: psychological assessment not eligible (R7)": (
        {},
        steps(
            "Task_periksa_kelengkapan",
            "Task_telaah_permohonan",
            Step("Task_pendapat_psikologis", NOT_ELIGIBLE),
            *TIM[1:],
            Step(
                "Task_rekomendasi_ketua",
                {
                    "rekomendasi_ketua": "tolak",
                    "kode_alasan_rekomendasi": "tidak_memenuhi_syarat",
                    "alasan_rekomendasi": "Asesmen psikologis belum memenuhi syarat.",
                },
            ),
            "Task_tetapkan_penolakan",
        ),
        "rejected",
    ),
    "parties decline (steps 5-6)": (
        {},
        steps(
            *TO_DECISION,
            "Task_keputusan_kadin",
            "Task_undangan_mediasi",
            Step(
                "Task_koordinasi", {"pihak_terkait_bersedia": False, "kode_alasan_tidak_bersedia": "tidak_kooperatif"}
            ),
        ),
        "parties_declined",
    ),
    "referred: sexual violence (R2)": (
        {"jenis_kekerasan": ["fisik", "seksual"]},
        steps(
            "Task_periksa_kelengkapan",
            Step("Task_telaah_permohonan", screening(jenis_kekerasan=["fisik", "seksual"])),
            REFER,
            "Task_laporan_polisi",  # sexual violence: the 3 x 24-hour police report (R2)
        ),
        "referred",
    ),
    "referred: high danger (R9)": (
        {"tingkat_bahaya": "tinggi"},
        steps("Task_periksa_kelengkapan", Step("Task_telaah_permohonan", screening(tingkat_bahaya="tinggi")), REFER),
        "referred",
    ),
    "referred: no consent of the victim (R8)": (
        {"persetujuan_korban": False},
        steps("Task_periksa_kelengkapan", Step("Task_telaah_permohonan", screening(persetujuan_korban=False)), REFER),
        "referred",
    ),
    "referred: category not eligible (R6)": (
        {"kategori_perkara": "lainnya"},
        steps("Task_periksa_kelengkapan", Step("Task_telaah_permohonan", screening(kategori_perkara="lainnya")), REFER),
        "referred",
    ),
    "referred: soft rule not overridden (R4)": (
        {"korban": [{"nama": "Putri", "umur": 15, "jenis_kelamin": "perempuan"}]},
        steps(
            "Task_periksa_kelengkapan",
            "Task_telaah_permohonan",
            Step("Task_tinjau_pengecualian", {"pengecualian_disetujui": False}),
            REFER,
        ),
        "referred",
    ),
    "joint session without the victim's choice refused (R10), invitation issued again, then mediated": (
        {},
        steps(
            *TO_DECISION,
            "Task_keputusan_kadin",
            Step("Task_undangan_mediasi", {"sesi_bersama": True}),
            "Task_tinjau_sesi_bersama",
            "Task_undangan_mediasi",
            *ACCEPTED_TO_END[2:],
        ),
        "mediated",
    ),
    "joint session without the victim's choice approved by the Ketua (R10)": (
        {},
        steps(
            *TO_DECISION,
            "Task_keputusan_kadin",
            Step("Task_undangan_mediasi", {"sesi_bersama": True}),
            Step("Task_tinjau_sesi_bersama", {"sesi_bersama_disetujui": True}),
            *ACCEPTED_TO_END[2:],
        ),
        "mediated",
    ),
    "soft rule overridden (R9 sedang), then mediated": (
        {"tingkat_bahaya": "sedang"},
        steps(
            "Task_periksa_kelengkapan",
            Step("Task_telaah_permohonan", screening(tingkat_bahaya="sedang")),
            "Task_tinjau_pengecualian",
            *TO_DECISION[2:],
            *ACCEPTED_TO_END,
        ),
        "mediated",
    ),
}


def run_path(
    make_ctx: Callable[[], EngineContext],
    people: dict[str, Actor],
    overrides: dict[str, Any],
    path: list[Step],
    *,
    fresh: bool,
) -> tuple[Any, ...]:
    ctx = make_ctx()
    case = case_service.start_case(ctx, actor=people["ani"], data=application(**overrides))
    view = walk(make_ctx if fresh else lambda: ctx, people, case, path)
    final_ctx = make_ctx() if fresh else ctx
    events = [(e.type, e.element, e.actor, e.data) for e in case_queries.case_events(final_ctx, case.number)]
    data = case_queries.case_data(final_ctx, case.number)
    return view.status, view.outcome, view.tasks, events, data


@pytest.mark.parametrize("name", list(PATHS))
def test_path_reaches_its_outcome_and_reloads_identically(
    name: str, make_ctx: Callable[[], EngineContext], people: dict[str, Actor]
) -> None:
    overrides, path, outcome = PATHS[name]
    fresh = run_path(make_ctx, people, overrides, path, fresh=True)
    same = run_path(make_ctx, people, overrides, path, fresh=False)

    status, final_outcome, tasks, events, data = fresh
    assert (status, final_outcome, tasks) == ("completed", outcome, [])
    agreed = outcome == "mediated" and any(s.element == "Task_tinjau_kesepakatan" for s in path)
    owed = [e[3] for e in events if e[0] == "follow_up_scheduled"]
    assert owed == ([{"due_on": "2026-04-16"}] if agreed else [])  # R12: 30 days after the case ended
    events = [e for e in events if e[0] != "follow_up_scheduled"]
    assert [e[0] for e in events] == ["case_started"] + ["task_completed"] * len(path) + ["case_completed"]
    assert [e[1] for e in events[1:-1]] == [s.element for s in path]
    assert events[-1][3] == {"outcome": outcome}
    assert [e[3] for e in events[1:-1]] == [s.payload() for s in path]  # data exactly as submitted
    assert same[:3] == fresh[:3]
    assert [e[:3] for e in same[3] if e[0] != "follow_up_scheduled"] == [e[:3] for e in events] and same[4] == data


def test_every_outcome_of_the_diagram_has_a_path() -> None:
    assert {outcome for _, _, outcome in PATHS.values()} | {"withdrawn"} == {
        "mediated",
        "rejected",
        "parties_declined",
        "referred",
        "withdrawn",
    }


def test_a_finished_case_leaves_no_ready_task(ctx: EngineContext, people: dict[str, Actor]) -> None:
    overrides, path, _ = PATHS["parties decline (steps 5-6)"]
    case = case_service.start_case(ctx, actor=people["ani"], data=application(**overrides))
    walk(lambda: ctx, people, case, path)
    with ctx.unit_of_work(write=False) as uow:
        states = dict(
            uow.session.execute(
                select(CaseTask.state, func.count()).where(CaseTask.case_id == case.id).group_by(CaseTask.state)
            ).all()
        )
    assert states == {"completed": len(path)}


def test_notification_step_records_which_letter_is_due(ctx: EngineContext, people: dict[str, Actor]) -> None:
    overrides, path, _ = PATHS["rejected by the Kepala Dinas"]
    case = case_service.start_case(ctx, actor=people["ani"], data=application(**overrides))
    walk(lambda: ctx, people, case, path)
    assert case_queries.case_data(ctx, case.number)["surat_pemberitahuan"] == "penolakan"


def test_soft_rule_warnings_are_listed_for_the_ketua(ctx: EngineContext, people: dict[str, Actor]) -> None:
    child = [{"nama": "Putri", "umur": 15, "jenis_kelamin": "perempuan"}]
    case = case_service.start_case(
        ctx,
        actor=people["ani"],
        data=application(
            korban=child, tingkat_bahaya="sedang", hubungan_korban_terlapor="suami_istri", jenis_kekerasan=["fisik"]
        ),
    )
    walk(
        lambda: ctx,
        people,
        case,
        steps(
            "Task_periksa_kelengkapan",
            Step("Task_telaah_permohonan", screening(tingkat_bahaya="sedang", jenis_kekerasan=["fisik"])),
        ),
    )
    view = case_queries.get_case(ctx, case.number)
    assert [t.element for t in view.tasks] == ["Task_tinjau_pengecualian"]
    warnings = case_queries.case_data(ctx, case.number)["peringatan_aturan"]
    assert [w[:3] for w in warnings] == ["R9:", "R4:", "R5:"]
