"""Complaint pages: the button on a case page, the complaint form, the fulltimer's phone complaints."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import User
from engine.services import users as user_service
from tests.builders import application, as_form
from tests.webapp.conftest import PASSWORD, signed_in

COMPLAINT = {
    "saluran": "langsung",
    "perihal": "Belum ada kabar atas permohonan",
    "uraian": "Sudah dua minggu sejak berkas diserahkan dan belum ada pemberitahuan.",
}
CALLER = {"pemohon_nama": "Pak Darto", "pemohon_telepon": "081234567890"}


@pytest.fixture
def accounts(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """The test people, each with the page tests' password."""
    with ctx.unit_of_work() as uow:
        for user in uow.session.query(User).all():
            user.password_hash = user_service.hash_password(PASSWORD)
    return people


def file_request(client: FlaskClient) -> str:
    """File a mediation request through its form; returns the case page's path."""
    response = client.post("/permohonan/baru", data=as_form(application()))
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def file_complaint(client: FlaskClient, query: str = "", **fields: str) -> str:
    """File a complaint through its form; returns the complaint's page path."""
    response = client.post(f"/pengaduan/baru{query}", data={**COMPLAINT, **fields})
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def task_link(client: FlaskClient, title: str) -> str:
    match = re.search(
        r'href="(/tugas/[0-9a-f-]{36})">' + re.escape(title) + "<", client.get("/tugas").get_data(as_text=True)
    )
    assert match, title
    return match.group(1)


def test_the_applicant_complains_from_her_case_page(web: Flask, accounts: object) -> None:
    ani = signed_in(web, "ani")
    case_page = file_request(ani)
    page = ani.get(case_page).get_data(as_text=True)
    assert 'href="/pengaduan/baru?kasus=MED-2026-0001">Ajukan pengaduan</a>' in page

    form = ani.get("/pengaduan/baru?kasus=MED-2026-0001").get_data(as_text=True)
    assert 'name="nomor_kasus"' in form and 'value="MED-2026-0001"' in form
    assert 'value="langsung" checked' in form and "pemohon_nama" not in form  # her own: no caller fields
    assert "Kirim pengaduan" in form

    complaint_page = file_complaint(ani, "?kasus=MED-2026-0001", nomor_kasus="MED-2026-0001")
    shown = ani.get(complaint_page).get_data(as_text=True)
    assert "Pengaduan diterima dengan nomor ADU-2026-0001" in shown
    assert "Tanggapi pengaduan" in shown and "Ajukan pengaduan" not in shown
    assert "Cabut persetujuan" not in shown and "Waktu layanan" not in shown  # not a mediation case
    listed = ani.get("/kasus").get_data(as_text=True)
    assert "Pengaduan Layanan · Berjalan" in listed and "Bantuan Mediasi Kasus Kekerasan · Berjalan" in listed


def test_a_complaint_about_someone_elses_case_is_refused_beside_the_field(web: Flask, accounts: object) -> None:
    file_request(signed_in(web, "ani"))
    budi = signed_in(web, "budi")
    refused = budi.post("/pengaduan/baru", data={**COMPLAINT, "nomor_kasus": "MED-2026-0001"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Pengaduan belum dapat dikirim." in page and "Nomor kasus tidak ditemukan di antara kasus Anda." in page
    assert 'value="MED-2026-0001"' in page  # what was typed is kept


def test_staff_get_no_complaint_button(web: Flask, accounts: object) -> None:
    case_page = file_request(signed_in(web, "ani"))
    assert "Ajukan pengaduan" not in signed_in(web, "rina").get(case_page).get_data(as_text=True)


def test_the_fulltimer_records_a_phone_complaint_and_cannot_open_the_case_it_names(
    web: Flask, accounts: object
) -> None:
    ani = signed_in(web, "ani")
    case_page = file_request(ani)
    dewi = signed_in(web, "dewi")
    offered = dewi.get("/permohonan/baru").get_data(as_text=True)
    assert '<a href="/pengaduan/baru">Catat pengaduan</a>' in offered
    form = dewi.get("/pengaduan/baru").get_data(as_text=True)
    assert 'value="telepon" checked' in form and 'name="pemohon_telepon"' in form

    missing = dewi.post("/pengaduan/baru", data={**COMPLAINT, "saluran": "telepon"})
    assert missing.status_code == 422 and "Nomor telepon tidak valid" in missing.get_data(as_text=True)
    complaint_page = file_complaint(dewi, saluran="telepon", nomor_kasus="MED-2026-0001", **CALLER)
    assert "Pak Darto (datang langsung)" in dewi.get(complaint_page).get_data(as_text=True)

    task = dewi.get(task_link(dewi, "Tanggapi pengaduan")).get_data(as_text=True)
    assert "MED-2026-0001" in task and "Telepon ke Fulltimer (085642622226)" in task
    for detail in ("Siti Aminah", "Bambang", "Nafkah anak", "Pekalongan Barat"):  # the mediation case's content
        assert detail not in task, detail
    assert case_page not in task
    assert dewi.get(case_page).status_code == 404

    done = dewi.post(task_link(dewi, "Tanggapi pengaduan"), data={"tanggapan": "Dijelaskan tahap layanan."})
    assert done.status_code == 302
    record = {
        "hasil_penanganan": "selesai",
        "cara_pemberitahuan": "telepon",
        "informasi_kepada_pemohon": "Pemohon diberi tahu tahap layanan.",
    }
    assert dewi.post(task_link(dewi, "Catat dan informasikan hasil"), data=record).status_code == 302
    assert "Pengaduan selesai" in dewi.get(complaint_page).get_data(as_text=True)


def test_the_fulltimer_works_an_applicants_complaint_from_its_page(web: Flask, accounts: object) -> None:
    ani = signed_in(web, "ani")
    file_request(ani)
    complaint_page = file_complaint(ani, nomor_kasus="MED-2026-0001")
    dewi = signed_in(web, "dewi")
    shown = dewi.get(complaint_page)
    assert shown.status_code == 200 and "ADU-2026-0001" in shown.get_data(as_text=True)
    assert f'href="{complaint_page}">Kasus ADU-2026-0001</a>' in dewi.get(
        task_link(dewi, "Tanggapi pengaduan")
    ).get_data(as_text=True)
