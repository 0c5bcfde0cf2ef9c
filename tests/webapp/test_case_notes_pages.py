"""Case notes and suspension on the case page, the dashboard and the API."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from engine.actors import Actor
from engine.context import EngineContext
from engine.events import ACCESS_CHAIN
from engine.persistence.models import Event
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.builders import FORMS, application, ready_task, steps, walk
from tests.webapp.conftest import Api, signed_in

REASON = "Menunggu hasil visum dari RSUD Bendan."
TIM = ("Task_pendapat_psikologis", "Task_pendapat_hukum", "Task_pendapat_medis", "Task_pendapat_sosial")


@pytest.fixture
def case(ctx: EngineContext, accounts: dict[str, Actor]) -> Any:
    """Ani's request at the Tim Teknis' opinions: Rina and Tono work it."""
    started = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    walk(lambda: ctx, accounts, started, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    return started


def page_of(web: Flask, username: str, case: Any) -> str:
    response = signed_in(web, username).get(f"/kasus/{case.id}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def notes_in_chain(ctx: EngineContext, case: Any) -> int:
    with ctx.unit_of_work(write=False) as uow:
        query = select(func.count()).select_from(Event).where(Event.case_id == case.id, Event.type == "case_note_added")
        return uow.session.scalar(query) or 0


class TestNotePages:
    def test_staff_add_notes_and_the_applicant_sees_only_those_marked_for_her(
        self, web: Flask, ctx: EngineContext, case: Any
    ) -> None:
        tono = signed_in(web, "tono")
        assert "Tambah catatan" in page_of(web, "tono", case)
        response = tono.post(f"/kasus/{case.id}/catatan", data={"catatan": "Catatan internal tim."})
        assert response.status_code == 302 and response.headers["Location"].endswith("#catatan")
        shown = {"catatan": "Asesmen psikologis dijadwalkan Senin.", "untuk_pemohon": "1"}
        assert tono.post(f"/kasus/{case.id}/catatan", data=shown).status_code == 302

        staff = page_of(web, "rina", case)
        assert "Catatan internal tim." in staff and "Asesmen psikologis dijadwalkan Senin." in staff
        assert "oleh Tono Tim Teknis" in staff and "(ditampilkan kepada pemohon)" in staff
        assert "oleh tono" not in staff  # the author's full name, never the username
        applicant = page_of(web, "ani", case)
        assert "Asesmen psikologis dijadwalkan Senin." in applicant and "oleh Tono Tim Teknis" in applicant
        assert "oleh tono" not in applicant
        assert "Catatan internal tim." not in applicant and "Tambah catatan" not in applicant
        auditor = page_of(web, "audi", case)
        assert "Catatan internal tim." in auditor and "Tambah catatan" not in auditor

    def test_a_note_without_text_is_shown_again_with_the_error_beside_its_field(
        self, web: Flask, ctx: EngineContext, case: Any
    ) -> None:
        response = signed_in(web, "rina").post(
            f"/kasus/{case.id}/catatan", data={"catatan": "  ", "untuk_pemohon": "1"}
        )
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert 'id="catatan-galat"' in body and "Catatan wajib diisi" in body and "checked" in body
        assert notes_in_chain(ctx, case) == 0

    def test_readers_who_are_not_its_staff_are_refused(self, web: Flask, ctx: EngineContext, case: Any) -> None:
        data = {"catatan": "Catatan."}
        assert signed_in(web, "audi").post(f"/kasus/{case.id}/catatan", data=data).status_code == 403
        assert signed_in(web, "ani").post(f"/kasus/{case.id}/catatan", data=data).status_code == 403
        other = case_service.start_case(ctx, actor=user_service.actor_for(ctx, "budi"), data=application())
        assert signed_in(web, "tono").post(f"/kasus/{other.id}/catatan", data=data).status_code == 404
        assert notes_in_chain(ctx, case) == 0

    def test_the_form_pages_log_a_read(self, web: Flask, ctx: EngineContext, case: Any) -> None:
        rina = signed_in(web, "rina")
        for page in ("catatan", "tangguhkan"):
            before = reads_of(ctx, case)
            assert rina.get(f"/kasus/{case.id}/{page}").status_code == 200
            assert reads_of(ctx, case) == before + 1


def reads_of(ctx: EngineContext, case: Any) -> int:
    with ctx.unit_of_work(write=False) as uow:
        query = select(func.count()).select_from(Event).where(Event.chain == ACCESS_CHAIN, Event.subject_id == case.id)
        return uow.session.scalar(query) or 0


class TestNoteApi:
    def test_post_and_get_notes(self, api: Callable[[str], Api], case: Any) -> None:
        created = api("tono").post(f"/cases/{case.id}/notes", json={"text": "Untuk pemohon.", "for_applicant": True})
        assert created.status_code == 201, created.json
        assert {k: created.json[k] for k in ("author", "username", "text", "for_applicant")} == {
            "author": "Tono Tim Teknis",
            "username": "tono",
            "text": "Untuk pemohon.",
            "for_applicant": True,
        }
        assert api("rina").post(f"/cases/{case.id}/notes", json={"text": "Internal."}).status_code == 201
        assert [n["text"] for n in api("audi").get(f"/cases/{case.id}/notes").json] == ["Untuk pemohon.", "Internal."]
        assert [n["text"] for n in api("ani").get(f"/cases/{case.id}/notes").json] == ["Untuk pemohon."]

    def test_errors_are_json_with_their_status(self, api: Callable[[str], Api], case: Any) -> None:
        bad = api("rina").post(f"/cases/{case.id}/notes", json={"text": "", "for_applicant": "ya"})
        assert bad.status_code == 422 and set(bad.json["errors"]) == {"text", "for_applicant"}
        assert api("rina").post(f"/cases/{case.id}/notes", json={"teks": "x"}).status_code in (400, 422)
        assert api("ani").post(f"/cases/{case.id}/notes", json={"text": "x"}).status_code == 403
        assert api("audi").post(f"/cases/{case.id}/notes", json={"text": "x"}).status_code == 403
        assert api("budi").post(f"/cases/{case.id}/notes", json={"text": "x"}).status_code == 404
        assert api("budi").get(f"/cases/{case.id}/notes").status_code == 404
        assert api("rina").get(f"/cases/{case.id}/notes").json == []


@pytest.fixture
def at_decision(ctx: EngineContext, case: Any, accounts: dict[str, Actor]) -> Any:
    walk(lambda: ctx, accounts, case, steps(*TIM, "Task_rekomendasi_ketua"))
    return case


class TestSuspensionPages:
    def test_the_ketua_suspends_and_resumes_and_the_page_says_so(
        self, web: Flask, ctx: EngineContext, at_decision: Any
    ) -> None:
        rina = signed_in(web, "rina")
        assert "Tangguhkan" in page_of(web, "rina", at_decision)
        assert "Tangguhkan" not in page_of(web, "tono", at_decision)
        refused = rina.post(f"/kasus/{at_decision.id}/tangguhkan", data={"alasan": " "})
        assert refused.status_code == 422 and 'id="tangguh-alasan-galat"' in refused.get_data(as_text=True)
        assert rina.post(f"/kasus/{at_decision.id}/tangguhkan", data={"alasan": REASON}).status_code == 302
        shown = page_of(web, "ani", at_decision)
        assert 'id="penangguhan"' in shown and REASON in shown and "Lanjutkan kasus" not in shown
        assert "Lanjutkan kasus" in page_of(web, "rina", at_decision)

        task_id = ready_task(ctx, at_decision.id, "Task_keputusan_kadin")
        kadin = signed_in(web, "kadin")
        work = kadin.post(
            f"/tugas/{task_id}",
            data={"keputusan": "diterima", "kode_alasan_keputusan": "memenuhi_syarat", "alasan_keputusan": "Sesuai."},
            headers={"Referer": f"http://localhost/tugas/{task_id}"},
        )
        assert work.status_code == 302
        assert "sedang ditangguhkan" in html.unescape(kadin.get(f"/tugas/{task_id}").get_data(as_text=True))
        assert ready_task(ctx, at_decision.id, "Task_keputusan_kadin") == task_id  # not completed

        board = signed_in(web, "kadin").get("/dasbor").get_data(as_text=True)
        assert '<dt>Ditangguhkan</dt><dd id="ditangguhkan">1</dd>' in board

        assert rina.post(f"/kasus/{at_decision.id}/lanjutkan").status_code == 302
        assert 'id="penangguhan"' not in page_of(web, "rina", at_decision)
        again = rina.post(
            f"/kasus/{at_decision.id}/lanjutkan", headers={"Referer": f"http://localhost/kasus/{at_decision.id}"}
        )
        assert again.status_code == 302  # refused (409), told on the page it came from
        assert "tidak sedang ditangguhkan" in html.unescape(rina.get(f"/kasus/{at_decision.id}").get_data(as_text=True))
        assert (
            signed_in(web, "tono").post(f"/kasus/{at_decision.id}/tangguhkan", data={"alasan": REASON}).status_code
            == 403
        )


class TestSuspensionApi:
    def test_suspend_block_completion_resume(
        self, api: Callable[[str], Api], ctx: EngineContext, at_decision: Any
    ) -> None:
        path = f"/cases/{at_decision.id}"
        assert api("tono").post(f"{path}/suspend", json={"reason": REASON}).status_code == 403
        assert api("rina").post(f"{path}/suspend", json={"reason": ""}).status_code == 422
        suspended = api("adam").post(f"{path}/suspend", json={"reason": REASON})
        assert suspended.status_code == 200, suspended.json
        assert suspended.json["suspension"]["reason"] == REASON
        assert api("rina").get(path).json["suspension"]["reason"] == REASON
        assert api("rina").post(f"{path}/suspend", json={"reason": REASON}).status_code == 409

        task_id = ready_task(ctx, at_decision.id, "Task_keputusan_kadin")
        done = api("kadin").post(f"/tasks/{task_id}/complete", json={"data": FORMS["Task_keputusan_kadin"]})
        assert done.status_code == 409 and "sedang ditangguhkan" in done.json["message"]
        assert api("kadin").post(f"/tasks/{task_id}/claim").status_code == 409

        resumed = api("rina").post(f"{path}/resume")
        assert resumed.status_code == 200 and resumed.json["suspension"] is None
        assert api("rina").post(f"{path}/resume").status_code == 409
        done = api("kadin").post(f"/tasks/{task_id}/complete", json={"data": FORMS["Task_keputusan_kadin"]})
        assert done.status_code == 200, done.json
        board = api("kadin").get("/statistics").json
        assert board["suspended_cases"] == 0
