"""The audit pages: who may open them, what they show, and that a look at a case is logged once."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from engine.actors import Actor
from engine.casework.views import CaseView
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import reads
from tests.builders import application, steps, walk
from tests.webapp.conftest import signed_in


@pytest.fixture
def case(ctx: EngineContext, clock: FixedClock, accounts: dict[str, Actor]) -> CaseView:
    """Ani's request, checked by Rina the same day and reviewed by her two days later: three steps."""
    started = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    walk(lambda: ctx, accounts, started, steps("Task_periksa_kelengkapan"))
    clock.advance(timedelta(days=2))
    walk(lambda: ctx, accounts, started, steps("Task_telaah_permohonan"))
    return started


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def logged(ctx: EngineContext, accounts: dict[str, Actor], case: CaseView) -> list[tuple[str, str, object]]:
    entries = reads.case_access(ctx, actor=accounts["audi"], case_ref=case.id, per_page=100).items
    return [(a.type, a.actor, a.detail) for a in reversed(entries)]


# -- who may open what -------------------------------------------------------------------------------

ROUTES = {
    "search": "/audit",
    "case": "/audit/kasus/{id}",
    "replay": "/audit/kasus/{id}/putar-ulang.json",
    "evidence": "/audit/kasus/{id}/bukti",
    "access": "/audit/kasus/{id}/akses",
    "access chain": "/audit/rantai/akses",
    "system chain": "/audit/rantai/sistem",
}
SEEN_BY = {
    "audi": dict.fromkeys(ROUTES, 200),
    "dedi": {"search": 200, "access": 200, "access chain": 200, "system chain": 200},
}


@pytest.mark.parametrize("who", ["audi", "dedi", "adam", "rina", "ani", "olga"])
def test_audit_pages_by_role(web: Flask, case: CaseView, who: str) -> None:
    client = signed_in(web, who)
    seen = {name: client.get(path.format(id=case.id)).status_code for name, path in ROUTES.items()}
    assert seen == {name: SEEN_BY.get(who, {}).get(name, 403) for name in ROUTES}
    checks = (client.post(f"/audit/kasus/{case.id}/periksa").status_code, client.post("/audit/periksa").status_code)
    assert checks == ((200, 302) if who == "audi" else (403, 403))


def test_signed_out_people_are_sent_to_sign_in(web: Flask, case: CaseView) -> None:
    response = web.test_client().get(f"/audit/kasus/{case.id}")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_unknown_cases_and_chains_are_not_found(web: Flask, accounts: object) -> None:
    audi, dedi = signed_in(web, "audi"), signed_in(web, "dedi")
    unknown = uuid.uuid4()
    for path in ("", "/putar-ulang.json", "/bukti", "/akses"):
        page(audi, f"/audit/kasus/{unknown}{path}", 404)
    assert audi.post(f"/audit/kasus/{unknown}/periksa").status_code == 404
    page(dedi, f"/audit/kasus/{unknown}/akses", 404)
    page(dedi, "/audit/rantai/kasus", 404)


def test_the_nav_links_audit_for_auditor_and_dpo_only(web: Flask, accounts: object) -> None:
    assert 'href="/audit"' in page(signed_in(web, "audi"), "/kasus")
    assert 'href="/audit"' in page(signed_in(web, "dedi"), "/")
    assert 'href="/audit"' not in page(signed_in(web, "rina"), "/tugas")


# -- the auditor's case page -------------------------------------------------------------------------


def test_the_case_page_is_one_logged_read(
    web: Flask, ctx: EngineContext, accounts: dict[str, Actor], case: CaseView
) -> None:
    audi = signed_in(web, "audi")
    html = page(audi, f"/audit/kasus/{case.id}")
    assert logged(ctx, accounts, case) == [("case_read", "audi", {"view": "audit"})]
    page(audi, f"/audit/kasus/{case.id}/akses")
    audi.post(f"/audit/kasus/{case.id}/periksa", headers={"Accept": "application/json"})
    assert logged(ctx, accounts, case) == [("case_read", "audi", {"view": "audit"})]  # these parts add none
    page(audi, f"/audit/kasus/{case.id}/putar-ulang.json")  # returns every step's data: a read of its own
    assert logged(ctx, accounts, case)[-1] == ("case_read", "audi", {"view": "replay"})

    assert f"Audit kasus {case.number}" in html and "Ani Pemohon" in html
    assert "Utuh: 1 rantai, 3 peristiwa diperiksa." in html and "rantai-utuh" in html
    assert f'data-src="/audit/kasus/{case.id}/putar-ulang.json"' in html
    assert f'data-diagram="/kasus/{case.id}/diagram"' in html
    assert 'type="range"' in html and "/static/js/audit-replay.js" in html
    assert f'href="/audit/kasus/{case.id}/bukti"' in html and "Unduh paket bukti" in html
    assert f'href="/audit/kasus/{case.id}/akses"' in html
    timeline = re.findall(r'<tr data-seq="(\d+)">', html)
    assert timeline == ["1", "2", "3"]
    assert "Permohonan diajukan" in html and "Telaah dan skrining permohonan" in html
    assert "style=" not in html and "<script>" not in html and "onclick" not in html


def test_the_replay_json(web: Flask, case: CaseView) -> None:
    replay = signed_in(web, "audi").get(f"/audit/kasus/{case.id}/putar-ulang.json").json
    assert replay is not None and replay["ok"] and replay["final_checked"]
    assert replay["number"] == case.number and replay["total_steps"] == len(replay["steps"]) == 3
    first, last = replay["steps"][0], replay["steps"][-1]
    assert (first["type"], first["actor"], first["ready"]) == ("case_started", "ani", ["Task_periksa_kelengkapan"])
    assert last["actor"] == "rina" and last["element"] == "Task_telaah_permohonan"
    assert "Task_periksa_kelengkapan" in last["completed"] and "Task_periksa_kelengkapan" not in last["ready"]
    assert {c["change"] for c in first["changes"]} == {"added"}


def test_a_tampered_chain_shows_broken_and_the_check_button_says_so(
    web: Flask, ctx: EngineContext, case: CaseView
) -> None:
    with ctx.database.engine.begin() as connection:
        connection.execute(text("update event set actor = 'penyusup' where chain is null and seq = 2"))
    audi = signed_in(web, "audi")
    html = page(audi, f"/audit/kasus/{case.id}")
    assert "RUSAK: rantai kasus" in html and "urutan 2" in html and "rantai-rusak" in html
    checked = audi.post(f"/audit/kasus/{case.id}/periksa", headers={"Accept": "application/json"}).json
    assert checked is not None and not checked["ok"] and checked["first_break"]["seq"] == 2
    assert checked["summary"].startswith("RUSAK")
    without_script = audi.post(f"/audit/kasus/{case.id}/periksa").get_data(as_text=True)
    assert "RUSAK" in without_script and f"Rantai hash kasus {case.number}" in without_script


def test_the_evidence_download_is_a_zip_and_is_logged(
    web: Flask, ctx: EngineContext, accounts: dict[str, Actor], case: CaseView
) -> None:
    response = signed_in(web, "audi").get(f"/audit/kasus/{case.id}/bukti")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="bukti-{case.number}-')
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert {"manifest.json", "events.json", "verification.json"} <= set(archive.namelist())
    types = [(t, who) for t, who, _ in logged(ctx, accounts, case)]
    assert types == [("evidence_exported", "audi")]


def test_verify_every_chain(web: Flask, case: CaseView) -> None:
    html = signed_in(web, "audi").post("/audit/periksa", follow_redirects=True).get_data(as_text=True)
    assert re.search(r'class="pesan pesan-info"[^>]*>Utuh: \d+ rantai', html)


# -- search --------------------------------------------------------------------------------------------


def found(client: FlaskClient, query: str) -> list[str]:
    return re.findall(r'<a href="/audit/kasus/[0-9a-f-]{36}">(MED-\d{4}-\d{4})</a>', page(client, f"/audit?{query}"))


def test_search_by_actor_task_and_days(web: Flask, case: CaseView) -> None:
    audi = signed_in(web, "audi")
    assert found(audi, "") == [case.number]
    assert found(audi, "pelaku=rina") == [case.number]
    assert found(audi, "pelaku=tono") == []
    assert found(audi, "tugas=Task_telaah_permohonan") == [case.number]
    assert found(audi, "pelaku=rina&tugas=Task_keputusan_kadin") == []
    assert found(audi, "pelaku=ani&dari=2026-03-17&sampai=2026-03-17") == [case.number]
    assert found(audi, "pelaku=ani&dari=2026-03-18") == []
    assert found(audi, "pelaku=rina&dari=2026-03-18") == [case.number]  # the review, two days later
    assert "Tidak ada kasus yang riwayatnya cocok." in page(audi, "/audit?pelaku=tono")


def test_a_bad_date_is_a_field_error_that_keeps_the_input(web: Flask, case: CaseView) -> None:
    audi = signed_in(web, "audi")
    response = audi.get("/audit?pelaku=rina&dari=2026-13-45")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="galat" id="cari-dari-galat">Tanggal awal: tanggal harus berbentuk TTTT-BB-HH.</p>' in html
    assert 'value="2026-13-45" aria-invalid="true"' in html and 'value="rina"' in html
    reversed_days = audi.get("/audit?dari=2026-03-19&sampai=2026-03-17")
    assert reversed_days.status_code == 422
    assert "Tanggal awal harus sebelum atau sama dengan tanggal akhir." in reversed_days.get_data(as_text=True)


def test_the_dpo_sees_chain_links_but_no_search(web: Flask, case: CaseView) -> None:
    html = page(signed_in(web, "dedi"), "/audit?pelaku=rina")
    assert 'href="/audit/rantai/akses"' in html and 'href="/audit/rantai/sistem"' in html
    assert "Cari kasus menurut riwayatnya" not in html and f"/audit/kasus/{case.id}" not in html


# -- who read a case, and the shared chains ------------------------------------------------------------


def test_who_read_a_case(web: Flask, case: CaseView) -> None:
    signed_in(web, "audi").get(f"/audit/kasus/{case.id}")
    signed_in(web, "rina").get(f"/kasus/{case.id}")
    dedi = signed_in(web, "dedi")
    html = page(dedi, f"/audit/kasus/{case.id}/akses")
    assert f"Siapa membuka kasus {case.number}" in html and "2 akses tercatat" in html
    who = r'<td data-label="Siapa" title="(\w+)">([^<]+)</td>\s*<td data-label="Akses">Membuka kasus</td>'
    rows = re.findall(who, html)
    assert rows == [("rina", "Rina Ketua"), ("audi", "audi")]  # newest first; full names, usernames at hand
    by_number = dedi.get(f"/audit/akses?nomor={case.number.lower()}")
    assert by_number.status_code == 302 and by_number.headers["Location"] == f"/audit/kasus/{case.id}/akses"
    missing = dedi.get("/audit/akses?nomor=MED-1999-0001", follow_redirects=True)
    assert "Kasus MED-1999-0001 tidak ditemukan." in missing.get_data(as_text=True)


def test_the_chains_list_their_events(web: Flask, case: CaseView) -> None:
    signed_in(web, "audi").get(f"/audit/kasus/{case.id}")
    dedi = signed_in(web, "dedi")
    access = page(dedi, "/audit/rantai/akses")
    assert "Log akses" in access and "Membuka kasus" in access
    assert '<td data-label="Oleh" title="audi">audi</td>' in access  # audi's full name is "audi"
    assert f'href="/audit/akses?nomor={case.number}">{case.number}</a>' in access
    assert re.search(r"<code title=\"[0-9a-f]{64}\">[0-9a-f]{12}…</code>", access)
    assert "Kam, 19 Mar 2026 09.00" in access  # Asia/Jakarta, two days after the case began
    system = page(dedi, "/audit/rantai/sistem")
    assert "Proses diterapkan" in system and "Akun dibuat" in system and "Masuk" in system


def test_search_offers_the_task_titles_and_the_case_page_links_to_its_audit(
    web: Flask, accounts: dict[str, Actor], ctx: EngineContext
) -> None:
    client = signed_in(web, "audi")
    page = client.get("/audit").get_data(as_text=True)
    assert '<option value="Task_periksa_kelengkapan"' in page and "Periksa kelengkapan berkas" in page
    case = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    assert f"/audit/kasus/{case.id}" in client.get(f"/kasus/{case.id}").get_data(as_text=True)
    assert "/audit/kasus/" not in signed_in(web, "ani").get(f"/kasus/{case.id}").get_data(as_text=True)


def test_a_version_diagram_is_served_only_for_versions_the_case_ran_on(
    web: Flask, accounts: dict[str, Actor], ctx: EngineContext
) -> None:
    case = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    with ctx.unit_of_work(write=False) as uow:
        definition_id = uow.session.scalars(text("select definition_id from cases")).one()
    auditor = signed_in(web, "audi")
    response = auditor.get(f"/audit/kasus/{case.id}/diagram/{definition_id}")
    assert response.status_code == 200 and b"Task_periksa_kelengkapan" in response.data
    assert auditor.get(f"/audit/kasus/{case.id}/diagram/{definition_id + 1}").status_code == 404
    assert signed_in(web, "rina").get(f"/audit/kasus/{case.id}/diagram/{definition_id}").status_code == 403
