"""Letters on the web: the admin's Surat page, the case page's documents, downloads and the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask

from engine.actors import Actor
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import reads
from engine.services import signatories as letter_settings
from tests.builders import FORMS, TO_DECISION, application, as_form, ready_task, steps, walk
from tests.conftest import OPERATOR
from tests.engine.test_letters import KOORDINASI, SK, UNDANGAN, pdf_text, run
from tests.webapp.conftest import Api, signed_in
from tests.webapp.test_pages import AUDITOR, accounts  # noqa: F401 - the page tests' accounts fixture

People = dict[str, Actor]


@pytest.fixture
def letters_on(ctx: EngineContext, accounts: People) -> People:  # noqa: F811 - uses the imported fixture
    letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR)
    return accounts


def document_list(page: str) -> list[str]:
    """The document entries of a case page, as text."""
    section = page[page.index('id="dokumen-judul"') :]
    section = section[: section.index("</section>")]
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in re.findall(r"<li>(.*?)</li>", section, re.S)]


# -- the case page ------------------------------------------------------------------------------------------


def test_staff_see_every_letter_with_its_title_and_number(web: Flask, ctx: EngineContext, letters_on: People) -> None:
    case = run(ctx, letters_on, "parties decline (steps 5-6)")
    page = signed_in(web, "rina").get(f"/kasus/{case.id}").get_data(as_text=True)
    entries = document_list(page)
    assert [e.split(" · ")[:2] for e in entries] == [
        ["Surat Keputusan Kepala Dinas", "Nomor 400/001/DPMPPA/III/2026"],
        ["Surat Undangan Mediasi", "Nomor 400/002/DPMPPA/III/2026"],
        ["Undangan Koordinasi Pihak Terkait", "Nomor 400/003/DPMPPA/III/2026"],
        ["Surat Pemberitahuan Mediasi Tidak Dapat Dilaksanakan", "Nomor 400/004/DPMPPA/III/2026"],
    ]
    assert "Surat diterbitkan" in page  # the timeline


def test_the_applicant_sees_the_letters_addressed_to_them_and_downloads_them(
    web: Flask, ctx: EngineContext, letters_on: People
) -> None:
    case = run(ctx, letters_on, "parties decline (steps 5-6)")
    ani = signed_in(web, "ani")
    page = ani.get(f"/kasus/{case.id}").get_data(as_text=True)
    titles = [e.split(" · ")[0] for e in document_list(page)]
    assert titles == [
        "Surat Keputusan Kepala Dinas",
        "Surat Undangan Mediasi",
        "Surat Pemberitahuan Mediasi Tidak Dapat Dilaksanakan",
    ]  # not the invitation to the related parties (R14)
    href = re.search(r'href="(/kasus/[^"]+/dokumen/[^"]+)">Surat Undangan Mediasi<', page)
    assert href is not None
    response = ani.get(href.group(1))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert case.number in pdf_text(response.data) and "Ani Pemohon" in pdf_text(response.data)
    access = reads.case_access(ctx, actor=AUDITOR, case_ref=str(case.id), per_page=100)
    newest = access.items[0]
    assert (newest.type, newest.actor) == ("document_read", "ani")


def test_another_applicant_cannot_download_the_letters(web: Flask, ctx: EngineContext, letters_on: People) -> None:
    case = run(ctx, letters_on, "rejected by the Kepala Dinas")
    page = signed_in(web, "rina").get(f"/kasus/{case.id}").get_data(as_text=True)
    href = re.search(r'href="(/kasus/[^"]+/dokumen/[^"]+)">Surat Keputusan', page)
    assert href is not None
    assert signed_in(web, "budi").get(href.group(1)).status_code == 404


# -- the API ------------------------------------------------------------------------------------------------------


def test_the_api_lists_letters_with_kind_and_number_and_serves_their_bytes(
    ctx: EngineContext, api: Callable[[str], Api], people: People
) -> None:
    letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR)
    case = decided(ctx, people)
    listed = api("rina").get(f"/cases/{case.id}/documents").get_json()
    assert [(d["kind"], d["number"]) for d in listed] == [(SK, "400/001/DPMPPA/III/2026")]
    response = api("rina").get(f"/documents/{listed[0]['id']}")
    assert response.status_code == 200 and response.headers["X-Content-SHA256"] == listed[0]["sha256"]
    assert "400/001/DPMPPA/III/2026" in pdf_text(response.data)


def decided(ctx: EngineContext, people: People) -> CaseView:
    """A case the Kepala Dinas has just accepted: its decision is issued, its invitation is next."""
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION, "Task_keputusan_kadin"))
    return case


# -- the admin's Surat page ---------------------------------------------------------------------------------------


def test_the_letters_page_is_the_admins(web: Flask, letters_on: People) -> None:
    assert signed_in(web, "rina").get("/admin/surat").status_code == 403
    page = signed_in(web, "adam").get("/admin/surat")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Kepala Dinas Pemberdayaan Masyarakat, Perempuan dan Perlindungan Anak Kota Pekalongan" in text
    assert "berlaku hari ini" in text and "400/001/DPMPPA/III/2026" in text  # the seeded signatory and pattern


def test_the_admin_adds_and_ends_a_signatory(web: Flask, ctx: EngineContext, letters_on: People) -> None:
    adam = signed_in(web, "adam")
    form = {
        "nama": "Dra. Sri Wahyuni",
        "jabatan": "Sekretaris",
        "nip": "197001011990032001",
        "pangkat": "Pembina Tingkat I (IV/b)",
        "kedudukan": "a.n.",
        "atas_nama": "Kepala Dinas Pemberdayaan Masyarakat, Perempuan dan Perlindungan Anak Kota Pekalongan",
        "jenis": [SK, UNDANGAN],
        "berlaku_mulai": "2026-03-18",
    }
    response = adam.post("/admin/surat", data=form)
    assert response.status_code == 302
    added = [s for s in letter_settings.list_signatories(ctx, actor=OPERATOR) if s.name == "Dra. Sri Wahyuni"]
    assert [(s.acting, s.kinds, s.valid_from) for s in added] == [("a.n.", (SK, UNDANGAN), date(2026, 3, 18))]
    page = adam.get("/admin/surat").get_data(as_text=True)
    assert "Surat Keputusan Kepala Dinas, Surat Undangan Mediasi" in page

    adam.post(f"/admin/surat/penandatangan/{added[0].id}/akhiri", data={"berlaku_sampai": "2026-12-31"})
    [ended] = [s for s in letter_settings.list_signatories(ctx, actor=OPERATOR) if s.id == added[0].id]
    assert ended.valid_until == date(2026, 12, 31)


def test_a_signatory_the_admin_gets_wrong_is_refused_with_a_message(web: Flask, letters_on: People) -> None:
    response = signed_in(web, "adam").post(
        "/admin/surat",
        data={"nama": "Budi", "jabatan": "Sekretaris", "kedudukan": "a.n.", "berlaku_mulai": "2026-03-18"},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Jabatan yang diwakili wajib diisi" in text and 'value="Budi"' in text  # the form keeps what was typed


def test_the_admin_sets_a_numbering_pattern(web: Flask, ctx: EngineContext, letters_on: People) -> None:
    adam = signed_in(web, "adam")
    bad = adam.post("/admin/surat/penomoran", data={"jenis": SK, "pola": "{kode}/{unit}", "kode": "", "unit": ""})
    assert bad.status_code == 302
    assert "{urut} dan {tahun}" in adam.get("/admin/surat").get_data(as_text=True)
    adam.post("/admin/surat/penomoran", data={"jenis": SK, "pola": "SK/{urut}/{tahun}", "kode": "", "unit": ""})
    assert "SK/001/2026" in adam.get("/admin/surat").get_data(as_text=True)
    case = run(ctx, letters_on, "rejected by the Kepala Dinas")
    assert [d.number for d in case_queries.case_documents(ctx, case.number)] == [
        "SK/001/2026",
        "400/001/DPMPPA/III/2026",
    ]


def test_an_invitation_outside_service_hours_shows_the_problem_on_the_form(
    web: Flask, ctx: EngineContext, letters_on: People
) -> None:
    case = decided(ctx, letters_on)
    task_id = ready_task(ctx, case.id, "Task_undangan_mediasi")
    data = as_form({**FORMS["Task_undangan_mediasi"], "jam_mediasi": "15:00"})
    response = signed_in(web, "kadin").post(f"/tugas/{task_id}", data=data)
    assert response.status_code == 422
    assert "Pukul mediasi harus berada dalam jam layanan" in response.get_data(as_text=True)
    assert [d.kind for d in case_queries.case_documents(ctx, case.number)] == [SK]  # no invitation issued
    assert KOORDINASI not in [d.kind for d in case_queries.case_documents(ctx, case.number)]


def _decided_unrendered(ctx: EngineContext, people: People) -> CaseView:
    """A case whose decision step committed; its decree numbered, not rendered yet."""
    from engine.letters import outbox
    from engine.services import tasks as task_service
    from tests.builders import Step

    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION))
    task_id = ready_task(ctx, case.id, "Task_keputusan_kadin")
    task_service.complete_task(ctx, actor=people["kadin"], task_id=task_id, data=Step("Task_keputusan_kadin").payload())
    outbox.DUE.clear()
    return case


def test_a_letter_being_rendered_shows_as_sedang_dibuat_until_it_exists(
    web: Flask, ctx: EngineContext, letters_on: People
) -> None:
    from engine.services import letter_jobs

    case = _decided_unrendered(ctx, letters_on)
    page = signed_in(web, "rina").get(f"/kasus/{case.id}").get_data(as_text=True)
    assert 'class="sedang-dibuat"' in page and "sedang dibuat" in page and "Nomor 400/001/DPMPPA/III/2026" in page
    letter_jobs.render_pending(ctx)
    page = signed_in(web, "rina").get(f"/kasus/{case.id}").get_data(as_text=True)
    assert "sedang dibuat" not in page
    assert [e.split(" · ")[:2] for e in document_list(page)] == [
        ["Surat Keputusan Kepala Dinas", "Nomor 400/001/DPMPPA/III/2026"]
    ]


def test_the_api_lists_a_letter_being_rendered_as_pending(
    ctx: EngineContext, api: Callable[[str], Api], people: People
) -> None:
    from engine.services import letter_jobs

    letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR)
    case = _decided_unrendered(ctx, people)
    answer = api("rina").get(f"/cases/{case.id}")
    assert answer.status_code == 200, answer.get_json()
    [pending] = answer.get_json()["letters_pending"]
    assert (pending["kind"], pending["number"], pending["status"]) == (SK, "400/001/DPMPPA/III/2026", "sedang_dibuat")
    assert api("ani").get(f"/cases/{case.id}").get_json()["letters_pending"] == [pending]  # addressed to her
    letter_jobs.render_pending(ctx)
    assert api("rina").get(f"/cases/{case.id}").get_json()["letters_pending"] == []


def test_the_admin_sets_and_removes_the_letterhead_logo(web: Flask, ctx: EngineContext, letters_on: People) -> None:
    from io import BytesIO

    from engine.services import letter_logo
    from tests.engine.test_letter_logo import image

    adam = signed_in(web, "adam")
    page = adam.get("/admin/surat").get_data(as_text=True)
    assert "Nama penandatangan belum diisi" in page and "Belum ada lambang" in page

    refused = adam.post("/admin/surat/lambang", data={"lambang": (BytesIO(b"GIF89a bukan"), "x.gif")})
    assert refused.status_code == 302 and letter_logo.get_logo(ctx) is None
    assert "bukan gambar PNG atau JPEG" in adam.get("/admin/surat").get_data(as_text=True)

    content = image()
    response = adam.post("/admin/surat/lambang", data={"lambang": (BytesIO(content), "lambang.png")})
    assert response.status_code == 302
    logo = letter_logo.get_logo(ctx)
    assert logo is not None and logo.content == content
    page = adam.get("/admin/surat").get_data(as_text=True)
    assert logo.data_uri() in page and "lambang.png" in page and "Lepas lambang" in page

    assert signed_in(web, "rina").post("/admin/surat/lambang/hapus").status_code == 403
    assert letter_logo.get_logo(ctx) is not None
    assert adam.post("/admin/surat/lambang/hapus").status_code == 302
    assert letter_logo.get_logo(ctx) is None


def test_a_named_signatory_ends_the_warning(web: Flask, ctx: EngineContext, letters_on: People) -> None:
    [blank] = letter_settings.unnamed_signatories(ctx, actor=OPERATOR)
    letter_settings.add_signatory(
        ctx, actor=OPERATOR, name="Rina", position="Ketua LP-PAR", kinds=(SK,), valid_from=date(2026, 3, 17)
    )
    assert letter_settings.unnamed_signatories(ctx, actor=OPERATOR) == [blank]  # it still signs the other kinds
    letter_settings.add_signatory(
        ctx, actor=OPERATOR, name="Ahmad Fauzi", position="Kepala Dinas", nip="1970", valid_from=date(2026, 3, 17)
    )
    assert letter_settings.unnamed_signatories(ctx, actor=OPERATOR) == []  # the newer row signs every kind
    assert "Nama penandatangan belum diisi" not in signed_in(web, "adam").get("/admin/surat").get_data(as_text=True)
