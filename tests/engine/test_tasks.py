"""Completing tasks: who may, what data, and that a refused completion changes nothing."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from engine.actors import Actor
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.errors import Conflict, FormInvalid, InvalidInput, NotFound, NotInLane, PermissionDenied, TaskNotReady
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from tests.builders import TIM, Step, application, ready_task, steps, walk
from tests.snapshots import snapshot

People = dict[str, Actor]


@pytest.fixture
def case(ctx: EngineContext, people: People) -> CaseView:
    return case_service.start_case(ctx, actor=people["ani"], data=application())


def refused(ctx: EngineContext, error: type[Exception], actor: Actor, task_id: uuid.UUID, data: object) -> Exception:
    """Complete and expect `error`, with the database exactly as before."""
    before = snapshot(ctx)
    with pytest.raises(error) as caught:
        task_service.complete_task(ctx, actor=actor, task_id=task_id, data=data)  # type: ignore[arg-type]
    assert snapshot(ctx) == before
    return caught.value


def send_back_to_applicant(ctx: EngineContext, people: People, case: CaseView) -> uuid.UUID:
    """The Ketua finds the file incomplete; return the applicant's "Lengkapi berkas" task."""
    incomplete = {"berkas_lengkap": False, "catatan_kelengkapan": "Lampirkan KTP."}
    walk(lambda: ctx, people, case, steps(Step("Task_periksa_kelengkapan", incomplete)))
    return ready_task(ctx, case.id, "Task_lengkapi_berkas")  # type: ignore[no-any-return]


def test_start_puts_the_completeness_check_in_the_ketuas_inbox(
    ctx: EngineContext, people: People, case: CaseView
) -> None:
    assert case.number == "MED-2026-0001" and case.status == "open"
    assert [(t.element, t.lane) for t in case.tasks] == [("Task_periksa_kelengkapan", "Ketua LP-PAR")]
    assert [t.id for t in task_service.list_tasks(ctx, actor=people["rina"])] == [case.tasks[0].id]
    assert task_service.list_tasks(ctx, actor=people["tono"]) == []
    assert task_service.list_tasks(ctx, actor=people["ani"]) == []


def test_case_numbers_count_up_per_year(ctx: EngineContext, people: People, clock: object) -> None:
    numbers = [case_service.start_case(ctx, actor=people["ani"], data=application()).number for _ in range(3)]
    assert numbers == ["MED-2026-0001", "MED-2026-0002", "MED-2026-0003"]


def test_wrong_lane_is_refused(ctx: EngineContext, people: People, case: CaseView) -> None:
    # Before the Tim Teknis is asked, the case is outside its need to know: the task is not found.
    refused(ctx, NotFound, people["tono"], case.tasks[0].id, {"berkas_lengkap": True})
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM))
    task_id = ready_task(ctx, case.id, "Task_rekomendasi_ketua")
    error = refused(ctx, NotInLane, people["tono"], task_id, Step("Task_rekomendasi_ketua").payload())
    assert "Ketua LP-PAR" in str(error)


def test_pemohon_lane_belongs_to_the_cases_own_applicant(ctx: EngineContext, people: People, case: CaseView) -> None:
    task_id = send_back_to_applicant(ctx, people, case)
    refused(ctx, NotFound, people["budi"], task_id, {"keterangan_tambahan": "bukan kasus saya"})
    refused(ctx, NotInLane, people["rina"], task_id, {"keterangan_tambahan": "Ketua bukan pemohon"})
    assert task_service.list_tasks(ctx, actor=people["budi"]) == []
    assert [t.id for t in task_service.list_tasks(ctx, actor=people["ani"])] == [task_id]
    task_service.complete_task(ctx, actor=people["ani"], task_id=task_id, data={"keterangan_tambahan": "KTP."})


def test_invalid_form_data_gets_field_errors_in_indonesian(ctx: EngineContext, people: People, case: CaseView) -> None:
    error = refused(ctx, FormInvalid, people["rina"], case.tasks[0].id, {"berkas_lengkap": "ya"})
    assert error.errors == {"berkas_lengkap": "Harus berupa ya/tidak."}  # type: ignore[attr-defined]
    error = refused(ctx, FormInvalid, people["rina"], case.tasks[0].id, {"berkas_lengkap": False})
    assert error.errors == {"catatan_kelengkapan": "Wajib diisi."}  # type: ignore[attr-defined]


def test_unknown_field_is_refused(ctx: EngineContext, people: People, case: CaseView) -> None:
    error = refused(
        ctx, FormInvalid, people["rina"], case.tasks[0].id, {"berkas_lengkap": True, "keputusan": "diterima"}
    )
    assert error.errors == {"keputusan": "Isian tidak dikenal."}  # type: ignore[attr-defined]


def test_data_that_is_not_an_object_is_refused(ctx: EngineContext, people: People, case: CaseView) -> None:
    error = refused(ctx, FormInvalid, people["rina"], case.tasks[0].id, ["berkas_lengkap"])
    assert error.errors == {"_form": "Data formulir harus berupa objek JSON."}  # type: ignore[attr-defined]


def test_nested_errors_name_their_field(ctx: EngineContext, people: People) -> None:
    data = application(korban=[{"nama": "", "umur": 200, "jenis_kelamin": "x", "alamat": "?"}], tingkat_bahaya=None)
    del data["tingkat_bahaya"]
    with pytest.raises(FormInvalid) as caught:
        case_service.start_case(ctx, actor=people["ani"], data=data)
    assert caught.value.errors == {
        "korban.0.alamat": "Isian tidak dikenal.",
        "korban.0.jenis_kelamin": "Pilih salah satu: perempuan, laki_laki.",
        "korban.0.nama": "Wajib diisi.",
        "korban.0.umur": "Maksimal 120.",
        "tingkat_bahaya": "Wajib diisi.",
    }


def test_completing_twice_is_refused(ctx: EngineContext, people: People, case: CaseView) -> None:
    task_id = case.tasks[0].id
    task_service.complete_task(ctx, actor=people["rina"], task_id=task_id, data={"berkas_lengkap": True})
    error = refused(ctx, TaskNotReady, people["rina"], task_id, {"berkas_lengkap": True})
    assert "sudah diselesaikan" in str(error)


def test_unknown_task_is_not_found(ctx: EngineContext, people: People, case: CaseView) -> None:
    refused(ctx, NotFound, people["rina"], uuid.uuid4(), {"berkas_lengkap": True})


def test_narrowed_tasks_belong_to_the_secretary(ctx: EngineContext, people: People, case: CaseView) -> None:
    from tests.builders import ACCEPTED_TO_END, TO_DECISION

    walk(lambda: ctx, people, case, steps(*TO_DECISION, *ACCEPTED_TO_END[:4]))
    task_id = ready_task(ctx, case.id, "Task_siapkan_dokumen")
    refused(ctx, NotInLane, people["tono"], task_id, Step("Task_siapkan_dokumen").payload())
    assert [t.element for t in task_service.list_tasks(ctx, actor=people["sari"])] == ["Task_siapkan_dokumen"]
    assert task_service.list_tasks(ctx, actor=people["tono"]) == []


def test_tim_teknis_and_secretary_both_see_the_four_opinions(
    ctx: EngineContext, people: People, case: CaseView
) -> None:
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    for who in ("tono", "sari"):
        assert sorted(t.element for t in task_service.list_tasks(ctx, actor=people[who])) == sorted(TIM)


def test_a_claimed_task_is_completed_only_by_its_claimant(ctx: EngineContext, people: People, case: CaseView) -> None:
    task_id = case.tasks[0].id
    claimed = task_service.claim_task(ctx, actor=people["rina"], task_id=task_id)
    assert claimed.claimed_by == "rina"
    with pytest.raises(Conflict):
        task_service.claim_task(ctx, actor=people["rudi"], task_id=task_id)
    refused(ctx, PermissionDenied, people["rudi"], task_id, {"berkas_lengkap": True})
    task_service.release_task(ctx, actor=people["rina"], task_id=task_id)
    task_service.complete_task(ctx, actor=people["rudi"], task_id=task_id, data={"berkas_lengkap": True})
    events = [e.type for e in case_queries.case_events(ctx, case.number)]
    assert events == ["case_started", "task_claimed", "task_released", "task_completed"]


def test_only_people_of_the_lane_claim(ctx: EngineContext, people: People, case: CaseView) -> None:
    with pytest.raises(NotFound):  # the Tim Teknis does not see this case yet
        task_service.claim_task(ctx, actor=people["tono"], task_id=case.tasks[0].id)
    task_id = send_back_to_applicant(ctx, people, case)
    with pytest.raises(NotInLane):  # the Ketua sees the case, but the Pemohon task is the applicant's
        task_service.claim_task(ctx, actor=people["rina"], task_id=task_id)


def test_submitted_data_is_kept_apart_from_the_callers_object(
    ctx: EngineContext, people: People, case: CaseView
) -> None:
    data = {"berkas_lengkap": True}
    task_service.complete_task(ctx, actor=people["rina"], task_id=case.tasks[0].id, data=data)
    data["berkas_lengkap"] = False
    assert case_queries.case_data(ctx, case.number)["berkas_lengkap"] is True


def test_task_detail_carries_form_instructions_and_data(ctx: EngineContext, people: People, case: CaseView) -> None:
    detail = task_service.get_task(ctx, actor=people["rina"], task_id=case.tasks[0].id)
    assert detail.form is not None and detail.form["title"] == "Pemeriksaan Kelengkapan Berkas"
    assert "berkas" in detail.documentation
    assert detail.data["kategori_perkara"] == "perdata_keluarga"


class TestStarting:
    def test_fulltimer_files_for_a_walk_in_applicant_and_works_the_pemohon_tasks(
        self, ctx: EngineContext, people: People
    ) -> None:
        walk_in = case_service.WalkInApplicant(nama="Ibu Warsini", telepon="0812 3456 7890", alamat="Krapyak")
        case = case_service.start_case(ctx, actor=people["dewi"], data=application(), applicant=walk_in)
        assert case_queries.get_case(ctx, case.number).applicant == "Ibu Warsini (datang langsung)"
        task_id = send_back_to_applicant(ctx, people, case)
        refused(ctx, NotFound, people["ani"], task_id, {"keterangan_tambahan": "x"})  # not her case
        task_service.complete_task(ctx, actor=people["dewi"], task_id=task_id, data={"keterangan_tambahan": "KTP."})
        started = case_queries.case_events(ctx, case.number)[0]
        assert started.data["applicant"] == {"nama": "Ibu Warsini", "telepon": "0812 3456 7890", "alamat": "Krapyak"}

    def test_walk_in_details_are_checked(self, ctx: EngineContext, people: People) -> None:
        with pytest.raises(FormInvalid) as caught:
            case_service.start_case(
                ctx,
                actor=people["dewi"],
                data=application(),
                applicant=case_service.WalkInApplicant(nama="", telepon="abc"),
            )
        assert set(caught.value.errors) == {"applicant.nama", "applicant.telepon"}

    def test_fulltimer_must_name_the_walk_in_applicant(self, ctx: EngineContext, people: People) -> None:
        with pytest.raises(InvalidInput):
            case_service.start_case(ctx, actor=people["dewi"], data=application())

    def test_only_applicants_and_fulltimers_start(self, ctx: EngineContext, people: People) -> None:
        before = snapshot(ctx)
        with pytest.raises(PermissionDenied):
            case_service.start_case(ctx, actor=people["rina"], data=application())
        with pytest.raises(PermissionDenied):
            case_service.start_case(
                ctx,
                actor=people["ani"],
                data=application(),
                applicant=case_service.WalkInApplicant(nama="X", telepon="08123456"),
            )
        assert snapshot(ctx) == before

    def test_invalid_start_form_changes_nothing(self, ctx: EngineContext, people: People) -> None:
        before = snapshot(ctx)
        with pytest.raises(FormInvalid) as caught:
            case_service.start_case(ctx, actor=people["ani"], data=application(jenis_kekerasan=[]))
        assert caught.value.errors == {"jenis_kekerasan": "Isi minimal 1 butir."}
        assert snapshot(ctx) == before


class TestEnding:
    def test_applicant_withdraws_consent_from_any_open_step(
        self, ctx: EngineContext, people: People, case: CaseView
    ) -> None:
        walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
        view = case_service.withdraw_case(
            ctx, actor=people["ani"], case_ref=case.number, reason="Korban memilih tidak melanjutkan."
        )
        assert (view.status, view.outcome, view.tasks) == ("completed", "withdrawn", [])
        assert task_service.list_tasks(ctx, actor=people["tono"]) == []
        types = [e.type for e in case_queries.case_events(ctx, case.number)]
        assert types[-2:] == ["case_withdrawn", "case_completed"]
        assert case_queries.case_data(ctx, case.number)["penghentian"]["jenis"] == "pencabutan_persetujuan"

    def test_ketua_stops_for_safety(self, ctx: EngineContext, people: People, case: CaseView) -> None:
        view = case_service.stop_case(ctx, actor=people["rina"], case_ref=str(case.id), reason="Ancaman baru.")
        assert (view.status, view.outcome) == ("completed", "withdrawn")
        assert [e.type for e in case_queries.case_events(ctx, case.number)][-2] == "case_stopped"

    def test_who_may_end_a_case(self, ctx: EngineContext, people: People, case: CaseView) -> None:
        before = snapshot(ctx)
        with pytest.raises(NotFound):  # another applicant cannot even see the case
            case_service.withdraw_case(ctx, actor=people["budi"], case_ref=case.number, reason="bukan kasus saya")
        with pytest.raises(PermissionDenied):
            case_service.stop_case(ctx, actor=people["ani"], case_ref=case.number, reason="hanya Ketua")
        with pytest.raises(InvalidInput):
            case_service.withdraw_case(ctx, actor=people["ani"], case_ref=case.number, reason="  ")
        assert snapshot(ctx) == before

    def test_a_finished_case_cannot_be_ended_again(self, ctx: EngineContext, people: People, case: CaseView) -> None:
        case_service.withdraw_case(ctx, actor=people["ani"], case_ref=case.number, reason="Dicabut.")
        with pytest.raises(Conflict):
            case_service.stop_case(ctx, actor=people["rina"], case_ref=case.number, reason="Lagi.")

    def test_unknown_case_is_not_found(self, ctx: EngineContext, people: People) -> None:
        with pytest.raises(NotFound):
            case_queries.get_case(ctx, "MED-2026-9999")


class TestDocuments:
    def test_an_uploaded_file_is_referenced_by_its_id(self, ctx: EngineContext, people: People, case: CaseView) -> None:
        task_id = send_back_to_applicant(ctx, people, case)
        doc_id = task_service.attach_document(
            ctx,
            actor=people["ani"],
            task_id=task_id,
            filename="ktp.pdf",
            content=b"%PDF-1.4 ktp",
        )
        task_service.complete_task(
            ctx,
            actor=people["ani"],
            task_id=task_id,
            data={"keterangan_tambahan": "KTP terlampir.", "lampiran_tambahan": str(doc_id)},
        )
        events = case_queries.case_events(ctx, case.number)
        assert [e.type for e in events][-2:] == ["document_uploaded", "task_completed"]
        assert events[-2].data["sha256"] == hashlib.sha256(b"%PDF-1.4 ktp").hexdigest()

    def test_a_file_field_must_name_a_document_of_this_case(
        self, ctx: EngineContext, people: People, case: CaseView
    ) -> None:
        task_id = send_back_to_applicant(ctx, people, case)
        refused(
            ctx,
            FormInvalid,
            people["ani"],
            task_id,
            {"keterangan_tambahan": "x", "lampiran_tambahan": str(uuid.uuid4())},
        )
        refused(ctx, FormInvalid, people["ani"], task_id, {"keterangan_tambahan": "x", "lampiran_tambahan": "bukan"})

    @pytest.mark.parametrize(
        ("filename", "content"),
        [
            ("ktp.exe", b"MZ\x90\x00"),  # not a PDF, JPEG or PNG, whatever it is called
            ("ktp.pdf", b"<html><script>alert(1)</script>"),  # the name and claimed type do not decide
            ("../ktp.pdf", b"%PDF-1.4"),
            ("kosong.pdf", b""),
        ],
    )
    def test_uploads_are_checked(
        self, ctx: EngineContext, people: People, case: CaseView, filename: str, content: bytes
    ) -> None:
        task_id = send_back_to_applicant(ctx, people, case)
        before = snapshot(ctx)
        with pytest.raises(InvalidInput):
            task_service.attach_document(ctx, actor=people["ani"], task_id=task_id, filename=filename, content=content)
        assert snapshot(ctx) == before

    def test_only_who_may_work_the_task_uploads(self, ctx: EngineContext, people: People, case: CaseView) -> None:
        task_id = send_back_to_applicant(ctx, people, case)
        with pytest.raises(NotFound):  # another applicant's case
            task_service.attach_document(
                ctx,
                actor=people["budi"],
                task_id=task_id,
                filename="a.pdf",
                content=b"%PDF-1.4",
            )
