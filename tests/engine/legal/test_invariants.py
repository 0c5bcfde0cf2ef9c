"""The law holds against insiders: every bypass of issue 12, refused by the engine on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.bpmn.catalog import CONFIRM_CORRECTION
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.errors import DeploymentInvalid, FormInvalid, NotInLane, PermissionDenied, TaskNotReady
from engine.legal import conformance, screening
from engine.legal.corrections import correction_views
from engine.legal.guard import LegalRefusal
from engine.persistence.models import Case, CaseTask
from engine.services import audit, migration, replays, users
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from engine.settings import PROJECT_ROOT
from tests.builders import (
    ACCEPTED_TO_END,
    ATTESTED,
    CLAUSES,
    FORMS,
    TIM,
    TO_DECISION,
    Step,
    application,
    ready_task,
    steps,
    walk,
)
from tests.builders import screening as review
from tests.conftest import OPERATOR
from tests.engine.legal.test_agreement import FORBIDDEN
from tests.engine.test_deploy import LANES, ORIGINAL, deploy_bytes, mutated
from tests.snapshots import snapshot

People = dict[str, Actor]
SEXUAL = ["seksual", "psikis"]
CORRECTION = {"kode_alasan_koreksi": "klarifikasi_korban", "alasan_koreksi": "Korban mengklarifikasi langsung."}
SEXUAL_CHECK = '"seksual" not in jenis_kekerasan and '


def complete(ctx: EngineContext, actor: Actor, case: CaseView, element: str, data: dict[str, Any]) -> CaseView:
    return task_service.complete_task(ctx, actor=actor, task_id=ready_task(ctx, case.id, element), data=data)


def record(ctx: EngineContext, case: CaseView) -> dict[str, Any]:
    with ctx.unit_of_work(write=False) as uow:
        found = uow.session.scalar(select(Case.screening).where(Case.id == case.id))
    assert found is not None
    return dict(found)


def task_state(ctx: EngineContext, task_id: Any) -> str:
    with ctx.unit_of_work(write=False) as uow:
        return str(uow.session.scalar(select(CaseTask.state).where(CaseTask.id == task_id)))


def refused_unchanged(ctx: EngineContext, call: Any, error: type[Exception] = FormInvalid) -> Any:
    before = snapshot(ctx)
    with pytest.raises(error) as caught:
        call()
    assert snapshot(ctx) == before
    return caught.value


def sexual_case(ctx: EngineContext, people: People) -> CaseView:
    case = case_service.start_case(ctx, actor=people["ani"], data=application(jenis_kekerasan=SEXUAL))
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
    return case


def permissive(ctx: EngineContext, monkeypatch: pytest.MonkeyPatch) -> int:
    """A version whose screening gateway lets sexual violence through, stored as an older release would have
    been: before conformance existed (its check is switched off for this one deploy)."""
    xml, _ = mutated(SEXUAL_CHECK, "")
    with monkeypatch.context() as patch:
        patch.setattr(conformance, "ensure_lawful", lambda *_args: None)
        version: int = deploy_bytes(ctx, xml).version  # type: ignore[attr-defined]
    return version


# -- the Ketua's edit: four eyes -----------------------------------------------------------------------------------


def test_unticking_sexual_violence_needs_a_reason_and_a_second_persons_confirmation(
    ctx: EngineContext, people: People
) -> None:
    case = sexual_case(ctx, people)
    untick = review(jenis_kekerasan=["psikis"])
    error = refused_unchanged(ctx, lambda: complete(ctx, people["rina"], case, "Task_telaah_permohonan", untick))
    assert {"jenis_kekerasan", "kode_alasan_koreksi", "alasan_koreksi"} <= set(error.errors)

    held = complete(ctx, people["rina"], case, "Task_telaah_permohonan", {**untick, **CORRECTION})
    assert [t.element for t in held.tasks] == [CONFIRM_CORRECTION]
    assert screening.answers(record(ctx, case))["jenis_kekerasan"] == SEXUAL  # not softened yet
    rows = {r.element: r for r in _rows(ctx, case)}
    assert rows["Task_telaah_permohonan"].state == "held"
    refused_unchanged(
        ctx,
        lambda: task_service.complete_task(
            ctx, actor=people["rina"], task_id=rows["Task_telaah_permohonan"].id, data=untick
        ),
        TaskNotReady,
    )
    confirm = rows[CONFIRM_CORRECTION].id
    decision = {"keputusan_koreksi": "ditolak", "catatan_konfirmasi": "Korban menyebut kekerasan seksual di BAP."}
    refused_unchanged(
        ctx, lambda: task_service.complete_task(ctx, actor=people["rina"], task_id=confirm, data=decision), NotInLane
    )
    # The Kepala Dinas refuses: the Ketua's task is hers again, the record still says "seksual".
    back = task_service.complete_task(ctx, actor=people["kadin"], task_id=confirm, data=decision)
    assert [t.element for t in back.tasks] == ["Task_telaah_permohonan"]
    assert task_state(ctx, rows["Task_telaah_permohonan"].id) == "ready"
    assert screening.answers(record(ctx, case))["jenis_kekerasan"] == SEXUAL
    [correction] = correction_views(record(ctx, case), {})
    assert (correction.status, correction.requested_by, correction.decided_by) == ("ditolak", "rina", "kadin")
    assert [c.field for c in correction.changes] == ["jenis_kekerasan"] and correction.code == "klarifikasi_korban"
    # Submitted as recorded, the case goes to the referral, never to the Tim Teknis.
    after = complete(ctx, people["rina"], case, "Task_telaah_permohonan", review(jenis_kekerasan=SEXUAL))
    assert [t.element for t in after.tasks] == ["Task_catat_rujukan"]
    types = [e.type for e in case_queries.case_events(ctx, case.number)]
    assert "screening_correction_requested" in types and "screening_correction_refused" in types
    assert audit.verify(ctx, case_ref=case.number).ok
    assert replays.replay_case(ctx, case_ref=case.number).result.ok


def _rows(ctx: EngineContext, case: CaseView) -> list[CaseTask]:
    with ctx.unit_of_work(write=False) as uow:
        rows = list(uow.session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)))
        uow.session.expunge_all()
    return rows


def test_consent_and_danger_flipped_by_the_ketua_wait_for_the_kepala_dinas_and_then_go_on(
    ctx: EngineContext, people: People
) -> None:
    filed = application(persetujuan_korban=False, tingkat_bahaya="tinggi")
    case = case_service.start_case(ctx, actor=people["ani"], data=filed)
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
    held = complete(ctx, people["rina"], case, "Task_telaah_permohonan", {**review(), **CORRECTION})
    [confirm] = [t.id for t in held.tasks if t.element == CONFIRM_CORRECTION]
    assert {c.field for c in correction_views(record(ctx, case), {})[0].changes} == {
        "persetujuan_korban",
        "tingkat_bahaya",
    }
    # Nothing else of the case moves meanwhile; the requester, even holding the role, cannot confirm.
    users.add_user(
        ctx, actor=OPERATOR, username="ganda", full_name="Ganda", roles=["ketua_lppar", "kepala_dinas"], password=None
    )
    ganda = users.actor_for(ctx, "ganda")
    other = sexual_case(ctx, people)
    own = complete(ctx, ganda, other, "Task_telaah_permohonan", {**review(jenis_kekerasan=["psikis"]), **CORRECTION})
    [own_confirm] = [t.id for t in own.tasks if t.element == CONFIRM_CORRECTION]
    decision = {"keputusan_koreksi": "dikonfirmasi", "catatan_konfirmasi": "Sudah diklarifikasi dengan korban."}
    error = refused_unchanged(
        ctx,
        lambda: task_service.complete_task(ctx, actor=ganda, task_id=own_confirm, data=decision),
        PermissionDenied,
    )
    assert "empat mata" in error.message
    # The Kepala Dinas confirms: the held completion runs as the Ketua sent it.
    view = task_service.complete_task(ctx, actor=people["kadin"], task_id=confirm, data=decision)
    assert {t.element for t in view.tasks} == set(TIM)
    answers = screening.answers(record(ctx, case))
    assert (answers["persetujuan_korban"], answers["tingkat_bahaya"]) == (True, "rendah")
    events = case_queries.case_events(ctx, case.number)
    kinds = [(e.type, e.actor) for e in events]
    at = kinds.index(("screening_correction_confirmed", "kadin"))
    assert kinds[at + 1] == ("task_completed", "rina")
    [correction] = correction_views(record(ctx, case), {})
    assert (correction.status, correction.decided_by) == ("dikonfirmasi", "kadin")
    assert audit.verify(ctx, case_ref=case.number).ok
    assert replays.replay_case(ctx, case_ref=case.number).result.ok


def test_while_a_correction_waits_the_case_does_not_move_and_ending_the_case_lapses_it(
    ctx: EngineContext, people: People
) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application(tingkat_bahaya="tinggi"))
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
    complete(ctx, people["rina"], case, "Task_telaah_permohonan", {**review(), **CORRECTION})
    plan = migration.plan_migration(
        ctx, actor=OPERATOR, key="mediasi_kekerasan", from_version=1, to_version=_new_version(ctx)
    )
    assert not plan[0].can_migrate and "koreksi skrining" in (plan[0].reason or "")
    case_service.withdraw_case(ctx, actor=people["ani"], case_ref=case.number, reason="Korban mencabut.")
    assert {r.state for r in _rows(ctx, case) if r.element in (CONFIRM_CORRECTION, "Task_telaah_permohonan")} == {
        "cancelled"
    }
    [correction] = correction_views(record(ctx, case), {})
    assert correction.status == "gugur"


def _new_version(ctx: EngineContext) -> int:
    xml = ORIGINAL.replace('name="Catat rujukan"', 'name="Catat rujukan kasus"', 1)
    return int(deploy_bytes(ctx, xml.encode()).version)  # type: ignore[attr-defined]


# -- R7 ------------------------------------------------------------------------------------------------------------


def test_an_assessment_that_contradicts_itself_is_refused_beside_its_fields(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    data = {**FORMS["Task_pendapat_psikologis"], "kapasitas_korban": False, "tanpa_paksaan": False}
    error = refused_unchanged(ctx, lambda: complete(ctx, people["tono"], case, "Task_pendapat_psikologis", data))
    assert {"memenuhi_syarat_mediasi", "kapasitas_korban", "tanpa_paksaan"} <= set(error.errors)


def test_recommending_mediation_against_a_tidak_layak_needs_a_reason(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(
        lambda: ctx,
        people,
        case,
        [
            *steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM[:1]),
            Step("Task_pendapat_hukum", {"rekomendasi_hukum": "tidak_layak"}),
            *steps(*TIM[2:]),
        ],
    )
    data = FORMS["Task_rekomendasi_ketua"]
    error = refused_unchanged(ctx, lambda: complete(ctx, people["rina"], case, "Task_rekomendasi_ketua", data))
    assert (
        list(error.errors) == ["alasan_menyimpang_pendapat"] and "hukum" in error.errors["alasan_menyimpang_pendapat"]
    )
    reason = {"alasan_menyimpang_pendapat": "Pendapat hukum menyangkut harta bersama, bukan nafkah anak."}
    view = complete(ctx, people["rina"], case, "Task_rekomendasi_ketua", {**data, **reason})
    assert [t.element for t in view.tasks] == ["Task_keputusan_kadin"]


# -- a child victim, trafficking: screening and referral -----------------------------------------------------------


def test_a_child_victims_violence_cannot_be_excepted_into_mediation(ctx: EngineContext, people: People) -> None:
    child = application(
        korban=[{"nama": "Dina", "umur": 15, "jenis_kelamin": "perempuan"}],
        hubungan_korban_terlapor="orang_tua_anak",
        kategori_perkara="delik_aduan",
        jenis_kekerasan=["fisik"],
    )
    case = case_service.start_case(ctx, actor=people["ani"], data=child)
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
    complete(
        ctx,
        people["rina"],
        case,
        "Task_telaah_permohonan",
        review(kategori_perkara="delik_aduan", jenis_kekerasan=["fisik"]),
    )
    exception = FORMS["Task_tinjau_pengecualian"]
    error = refused_unchanged(ctx, lambda: complete(ctx, people["rina"], case, "Task_tinjau_pengecualian", exception))
    assert "pengecualian_disetujui" in error.errors or "kategori_perkara" in error.errors


def test_trafficking_is_a_hard_referral_with_police_companion_and_report(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application(jenis_kekerasan=["perdagangan_orang"]))
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
    view = complete(ctx, people["rina"], case, "Task_telaah_permohonan", review(jenis_kekerasan=["perdagangan_orang"]))
    assert [t.element for t in view.tasks] == ["Task_catat_rujukan"]
    referral = FORMS["Task_catat_rujukan"]  # gives "kekerasan seksual" as its reason
    error = refused_unchanged(ctx, lambda: complete(ctx, people["rina"], case, "Task_catat_rujukan", referral))
    assert "perdagangan orang" in error.errors["alasan_rujukan"]
    no_companion = {**referral, "alasan_rujukan": ["perdagangan_orang"], "pendampingan": False}
    error = refused_unchanged(ctx, lambda: complete(ctx, people["rina"], case, "Task_catat_rujukan", no_companion))
    assert "pendampingan" in error.errors
    view = complete(
        ctx, people["rina"], case, "Task_catat_rujukan", {**referral, "alasan_rujukan": ["perdagangan_orang"]}
    )
    assert [t.element for t in view.tasks] == ["Task_laporan_polisi"]
    no_report = {"laporan_dibuat": False, "korban_didampingi": True}
    error = refused_unchanged(ctx, lambda: complete(ctx, people["rina"], case, "Task_laporan_polisi", no_report))
    assert "alasan_tanpa_laporan" in error.errors
    why = {**no_report, "alasan_tanpa_laporan": "Korban dirujuk ke Bareskrim yang menangani TPPO."}
    assert complete(ctx, people["rina"], case, "Task_laporan_polisi", why).outcome == "referred"


# -- the process owner's version, and the migration ------------------------------------------------------------


def test_a_version_that_lets_sexual_violence_through_is_refused_at_deploy(ctx: EngineContext) -> None:
    xml, _ = mutated(SEXUAL_CHECK, "")
    error = refused_unchanged(ctx, lambda: deploy_bytes(ctx, xml), DeploymentInvalid)
    messages = [str(p) for p in error.problems]
    assert any("Kekerasan seksual" in m and "dapat mencapai mediasi" in m for m in messages), messages
    assert all(p.line for p in error.problems)


def test_on_a_permissive_older_version_the_engine_still_refuses_the_invitation(
    ctx: EngineContext, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    permissive(ctx, monkeypatch)
    case = sexual_case(ctx, people)
    walk(lambda: ctx, people, case, [Step("Task_telaah_permohonan", review(jenis_kekerasan=SEXUAL)), *steps(*TIM)])
    walk(lambda: ctx, people, case, steps("Task_rekomendasi_ketua", *ACCEPTED_TO_END[:1]))
    data = FORMS["Task_undangan_mediasi"]
    error = refused_unchanged(
        ctx, lambda: complete(ctx, people["kadin"], case, "Task_undangan_mediasi", data), LegalRefusal
    )
    assert "kekerasan seksual" in error.errors["jenis_kekerasan"] and "_form" in error.errors


def test_a_migration_onto_an_unlawful_version_or_toward_mediation_is_refused_in_the_dry_run(
    ctx: EngineContext, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = sexual_case(ctx, people)
    walk(lambda: ctx, people, running, [Step("Task_telaah_permohonan", review(jenis_kekerasan=SEXUAL))])
    unlawful = permissive(ctx, monkeypatch)
    [plan] = migration.plan_migration(ctx, actor=OPERATOR, key="mediasi_kekerasan", from_version=1, to_version=unlawful)
    assert not plan.can_migrate and "melanggar aturan hukum" in (plan.reason or "")
    # A sexual-violence case that an older permissive version let reach the Tim Teknis cannot move onto a
    # lawful version from which it could still be mediated.
    stranded = sexual_case(ctx, people)
    walk(lambda: ctx, people, stranded, [Step("Task_telaah_permohonan", review(jenis_kekerasan=SEXUAL))])
    lawful = _new_version(ctx)
    plans = migration.plan_migration(
        ctx, actor=OPERATOR, key="mediasi_kekerasan", from_version=unlawful, to_version=lawful
    )
    [stranded_plan] = [p for p in plans if p.number == stranded.number]
    assert not stranded_plan.can_migrate and "dapat mencapai mediasi" in (stranded_plan.reason or "")
    results = migration.migrate_cases(
        ctx, actor=OPERATOR, key="mediasi_kekerasan", from_version=unlawful, to_version=lawful
    )
    assert [r.migrated for r in results if r.number == stranded.number] == [False]


# -- R13 -----------------------------------------------------------------------------------------------------------


def to_agreement(ctx: EngineContext, people: People) -> CaseView:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION, *ACCEPTED_TO_END[:-3]))
    return case


def test_every_forbidden_phrasing_is_refused_unless_acknowledged(ctx: EngineContext, people: People) -> None:
    case = to_agreement(ctx, people)
    data = FORMS["Task_laksanakan_mediasi"]
    for clause, _rule in FORBIDDEN:
        clauses = [*CLAUSES, clause]
        error = refused_unchanged(
            ctx,
            lambda clauses=clauses: complete(
                ctx, people["tono"], case, "Task_laksanakan_mediasi", {**data, "klausul_kesepakatan": clauses}
            ),
        )
        assert "klausul_kesepakatan.2" in error.errors and "r13_peringatan_ditinjau" in error.errors, clause


def test_the_agreement_is_issued_only_after_the_mediator_and_the_ketua_attest_it(
    ctx: EngineContext, people: People
) -> None:
    case = to_agreement(ctx, people)
    unattested = {k: v for k, v in FORMS["Task_laksanakan_mediasi"].items() if k not in ATTESTED}
    error = refused_unchanged(ctx, lambda: complete(ctx, people["tono"], case, "Task_laksanakan_mediasi", unattested))
    assert set(error.errors) == set(ATTESTED)
    walk(lambda: ctx, people, case, steps("Task_laksanakan_mediasi"))
    approve = {"kesepakatan_disetujui": True}
    error = refused_unchanged(ctx, lambda: complete(ctx, people["rina"], case, "Task_tinjau_kesepakatan", approve))
    assert set(error.errors) == set(ATTESTED)
    rework = {"kesepakatan_disetujui": False, "catatan_tinjauan": "Butir kedua perlu jadwal yang jelas."}
    view = complete(ctx, people["rina"], case, "Task_tinjau_kesepakatan", rework)
    assert [t.element for t in view.tasks] == ["Task_perbaiki_kesepakatan"]
    reworded = {"klausul_kesepakatan": [*CLAUSES, "Pertemuan ayah dan anak setiap Sabtu pukul 10.00."], **ATTESTED}
    complete(ctx, people["tono"], case, "Task_perbaiki_kesepakatan", reworded)
    agreement = record(ctx, case)["agreement"]
    assert [a["by"] for a in agreement["attested"]] == ["tono"]  # the new wording starts a new attestation
    view = complete(ctx, people["rina"], case, "Task_tinjau_kesepakatan", {**approve, **ATTESTED})
    assert [t.element for t in view.tasks] == ["Task_dokumentasi"]
    assert [a["by"] for a in record(ctx, case)["agreement"]["attested"]] == ["tono", "rina"]


def test_the_drafter_cannot_be_the_second_attestation_even_holding_the_ketua_role(
    ctx: EngineContext, people: People
) -> None:
    users.add_user(
        ctx, actor=OPERATOR, username="wulan", full_name="Wulan", roles=["ketua_lppar", "tim_teknis"], password=None
    )
    wulan = users.actor_for(ctx, "wulan")
    case = to_agreement(ctx, people)
    complete(ctx, wulan, case, "Task_laksanakan_mediasi", FORMS["Task_laksanakan_mediasi"])
    approve = {"kesepakatan_disetujui": True, **ATTESTED}
    error = refused_unchanged(ctx, lambda: complete(ctx, wulan, case, "Task_tinjau_kesepakatan", approve), LegalRefusal)
    assert "dua orang" in error.errors["r13_tanpa_janji_tidak_melapor"]
    view = complete(ctx, people["rina"], case, "Task_tinjau_kesepakatan", approve)
    assert [t.element for t in view.tasks] == ["Task_dokumentasi"]


# -- a case on a version older than the rules ---------------------------------------------------------------------


def _older_forms(name: str) -> bytes | None:
    """The shipped forms, except an agreement written as one text with no attestations (as before R13 clauses)."""
    path = PROJECT_ROOT / "forms" / name
    if name != "laksanakan_mediasi.json":
        return path.read_bytes() if path.is_file() else None
    schema = json.loads(path.read_text())
    for field in ["klausul_kesepakatan", *ATTESTED, "r13_peringatan_ditinjau", "alasan_peringatan_r13"]:
        schema["properties"].pop(field)
    schema["properties"]["isi_kesepakatan"] = {"type": "string", "title": "Isi kesepakatan", "maxLength": 5000}
    schema.pop("if"), schema.pop("then")
    return json.dumps(schema).encode()


def _older_version(ctx: EngineContext) -> bytes:
    xml = ORIGINAL.replace('value="berita_acara_mediasi" />', 'value="berita_acara_mediasi, kesepakatan" />', 1)
    return xml.replace("hasil_mediasi == &quot;sepakat&quot;", "False").replace('hasil_mediasi == "sepakat"', "False")


def test_a_case_on_an_older_version_keeps_its_history_but_cannot_issue_the_agreement(
    ctx: EngineContext, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    xml = _older_version(ctx).encode()
    deploy = lambda: deploy_service.deploy(  # noqa: E731
        ctx, actor=OPERATOR, xml=xml, filename="lama.bpmn", lane_roles=LANES, forms=_older_forms
    )
    error = refused_unchanged(ctx, deploy, DeploymentInvalid)  # today such forms are refused at deploy
    assert any("hasil_mediasi" in p.message and "klausul_kesepakatan" in p.message for p in error.problems)
    with monkeypatch.context() as patch:  # as it was deployed before the rule existed
        patch.setattr(conformance, "ensure_lawful", lambda *_args: None)
        deploy()
    case = to_agreement(ctx, people)
    agreed = {
        k: v for k, v in FORMS["Task_laksanakan_mediasi"].items() if k not in ATTESTED and k != "klausul_kesepakatan"
    }
    agreed["isi_kesepakatan"] = "Terlapor membayar nafkah anak setiap bulan."
    error = refused_unchanged(ctx, lambda: complete(ctx, people["tono"], case, "Task_laksanakan_mediasi", agreed))
    assert set(ATTESTED) <= set(error.errors) and "versi proses terbaru" in error.errors["_form"]
    # Without an agreement the older version still ends the case: its history is its own.
    no_agreement = {**agreed, "hasil_mediasi": "tidak_sepakat"}
    no_agreement.pop("isi_kesepakatan")
    complete(ctx, people["tono"], case, "Task_laksanakan_mediasi", no_agreement)
    assert complete(ctx, people["sari"], case, "Task_dokumentasi", FORMS["Task_dokumentasi"]).outcome == "mediated"
    assert replays.replay_case(ctx, case_ref=case.number).result.ok
