"""The pages, through Flask's test client: sign-in, inbox, task forms, case pages, admin."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.actors import Actor
from engine.context import EngineContext
from engine.services import reads
from engine.services import users as user_service
from tests.builders import FORMS, Step, application, as_form
from tests.conftest import OPERATOR
from tests.uploads import resubmit_with_file
from tests.webapp.conftest import PASSWORD, signed_in
from webapp import create_app


@pytest.fixture
def accounts(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """Give the test people passwords, and add an auditor and an admin."""
    for username, role in (("audi", "auditor"), ("adam", "admin")):
        user_service.add_user(
            ctx, actor=OPERATOR, username=username, full_name=username.title(), roles=[role], password=PASSWORD
        )
    from engine.persistence.models import User

    with ctx.unit_of_work() as uow:
        for user in uow.session.query(User).all():
            user.password_hash = user_service.hash_password(PASSWORD)
    return people


def file_request(client: FlaskClient, **overrides: Any) -> str:
    """File a request through the form; returns the new case's page path."""
    # Confirmed as a new request: the tests file the same victim's request more than once.
    response = client.post("/permohonan/baru", data={**as_form(application(**overrides)), "ajukan_tetap": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def inbox_task(client: FlaskClient, title: str) -> str:
    page = client.get("/tugas").get_data(as_text=True)
    match = re.search(r'href="(/tugas/[0-9a-f-]{36})">' + re.escape(title) + "<", page)
    assert match, page
    return match.group(1)


class TestSignIn:
    def test_bad_name_or_password_get_one_generic_message(self, web: Flask, accounts: object) -> None:
        client = web.test_client()
        wrong_password = client.post("/masuk", data={"username": "rina", "password": "salah"})
        unknown_user = client.post("/masuk", data={"username": "siapa", "password": "salah"})
        assert wrong_password.status_code == unknown_user.status_code == 401
        for response in (wrong_password, unknown_user):
            assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)

    def test_attempts_are_rate_limited(self, web: Flask, accounts: object) -> None:
        client = web.test_client()
        for _ in range(5):
            client.post("/masuk", data={"username": "rina", "password": "salah"})
        blocked = client.post("/masuk", data={"username": "rina", "password": PASSWORD})
        assert blocked.status_code == 429 and "Terlalu banyak percobaan" in blocked.get_data(as_text=True)

    def test_sign_in_out_and_pages_need_it(self, web: Flask, accounts: object) -> None:
        anonymous = web.test_client()
        assert anonymous.get("/tugas").status_code == 302
        client = signed_in(web, "rina")
        assert client.get("/").headers["Location"] == "/tugas"
        cookie = client.get_cookie("session")
        assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
        assert client.post("/keluar").status_code == 302
        assert client.get("/tugas").status_code == 302

    def test_csrf_token_is_required(self, ctx: EngineContext, deployed: object, accounts: object) -> None:
        strict = create_app({"TESTING": True}, ctx=ctx)
        client = strict.test_client()
        refused = client.post("/masuk", data={"username": "rina", "password": PASSWORD})
        assert refused.status_code == 400 and "Formulir kedaluwarsa" in refused.get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/masuk").get_data(as_text=True))
        assert token
        accepted = client.post("/masuk", data={"username": "rina", "password": PASSWORD, "csrf_token": token.group(1)})
        assert accepted.status_code == 302

    def test_an_applicant_registers(self, web: Flask, deployed: object) -> None:
        client = web.test_client()
        response = client.post(
            "/daftar", data={"full_name": "Wati", "username": "wati", "password": PASSWORD, "password_again": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/").headers["Location"] == "/kasus"
        clash = web.test_client().post(
            "/daftar", data={"full_name": "Wati", "username": "wati", "password": PASSWORD, "password_again": PASSWORD}
        )
        assert clash.status_code == 422 and "sudah dipakai" in clash.get_data(as_text=True)


class TestWorkingACase:
    def test_from_request_to_the_tim_teknis(self, web: Flask, accounts: object) -> None:
        ani = signed_in(web, "ani")
        case_page = file_request(ani)
        assert "Permohonan diterima dengan nomor MED-2026-0001" in ani.get(case_page).get_data(as_text=True)

        rina = signed_in(web, "rina")
        task = inbox_task(rina, "Periksa kelengkapan berkas")
        form = rina.get(task).get_data(as_text=True)
        assert 'name="berkas_lengkap"' in form and "Data kasus" in form and "Siti Aminah" in form
        invalid = rina.post(task, data={"berkas_lengkap": "false", "aksi": "selesai"})
        page = invalid.get_data(as_text=True)
        assert invalid.status_code == 422 and "Wajib diisi." in page and 'aria-invalid="true"' in page
        assert 'value="false" checked' in page  # the input is kept
        done = rina.post(task, data={"berkas_lengkap": "true", "aksi": "selesai"})
        assert done.status_code == 302
        review = inbox_task(rina, "Telaah dan skrining permohonan")
        prefilled = rina.get(review).get_data(as_text=True)
        assert 'value="perdata_keluarga" checked' in prefilled  # the form starts from the case data
        assert (
            rina.post(review, data={**as_form(FORMS["Task_telaah_permohonan"]), "aksi": "selesai"}).status_code == 302
        )
        tono = signed_in(web, "tono")
        assert "Pendapat psikologis" in tono.get("/tugas").get_data(as_text=True)

    def test_draft_claim_and_release(self, web: Flask, accounts: object) -> None:
        file_request(signed_in(web, "ani"))
        rina = signed_in(web, "rina")
        task = inbox_task(rina, "Periksa kelengkapan berkas")
        rina.post(task, data={"berkas_lengkap": "false", "catatan_kelengkapan": "Draf catatan", "aksi": "draf"})
        assert "Draf catatan" in rina.get(task).get_data(as_text=True)
        task_id = task.rsplit("/", 1)[1]
        rina.post(f"/tugas/{task_id}/ambil")
        assert "Diambil Rina Ketua" in rina.get("/tugas").get_data(as_text=True)  # by full name
        rudi = signed_in(web, "rudi")
        refused = rudi.post(task, data={"berkas_lengkap": "true", "aksi": "selesai"})
        assert refused.status_code == 403
        rina.post(f"/tugas/{task_id}/lepas")
        assert rudi.post(task, data={"berkas_lengkap": "true", "aksi": "selesai"}).status_code == 302

    def test_repeatable_groups_add_and_remove(self, web: Flask, accounts: object) -> None:
        ani = signed_in(web, "ani")
        added = ani.post("/permohonan/baru", data={**as_form(application()), "_add": "korban"})
        assert 'name="korban.1.nama"' in added.get_data(as_text=True)
        two = application(
            korban=[
                {"nama": "A", "umur": 30, "jenis_kelamin": "perempuan"},
                {"nama": "B", "umur": 12, "jenis_kelamin": "perempuan"},
            ]
        )
        removed = ani.post("/permohonan/baru", data={**as_form(two), "_remove": "korban.1"})
        page = removed.get_data(as_text=True)
        assert 'value="A"' in page and 'value="B"' not in page

    def test_walk_in_request_by_the_fulltimer(self, web: Flask, accounts: object) -> None:
        dewi = signed_in(web, "dewi")
        missing = dewi.post("/permohonan/baru", data=as_form(application()))
        assert missing.status_code == 422 and "Nomor telepon tidak valid" in missing.get_data(as_text=True)
        response = dewi.post(
            "/permohonan/baru",
            data={**as_form(application()), "pemohon_nama": "Ibu Warsini", "pemohon_telepon": "081234567890"},
        )
        assert response.status_code == 302
        assert "Ibu Warsini (datang langsung)" in dewi.get(response.headers["Location"]).get_data(as_text=True)


class TestCasePages:
    def test_staff_see_timeline_and_diagram_applicants_do_not(self, web: Flask, accounts: object) -> None:
        ani = signed_in(web, "ani")
        case_page = file_request(ani)
        rina = signed_in(web, "rina")
        staff_view = rina.get(case_page).get_data(as_text=True)
        assert 'id="diagram"' in staff_view and "Permohonan diajukan" in staff_view
        assert "<dd>Bantuan Mediasi Kasus Kekerasan (versi 1)</dd>" in staff_view  # the process's name, not its key
        diagram = rina.get(case_page + "/diagram")
        assert diagram.mimetype == "application/xml" and b"mediasi_kekerasan" in diagram.data
        assert "Task_periksa_kelengkapan" in diagram.headers["X-Active"]
        assert "StartEvent_permohonan" in diagram.headers["X-Completed"]
        own = ani.get(case_page).get_data(as_text=True)
        assert 'id="diagram"' not in own and "Riwayat" not in own and "Cabut persetujuan" in own
        assert ani.get(case_page + "/diagram").status_code == 403
        assert signed_in(web, "budi").get(case_page).status_code == 404
        assert signed_in(web, "audi").get(case_page).status_code == 200

    def test_withdraw_from_the_case_page(self, web: Flask, accounts: object) -> None:
        ani = signed_in(web, "ani")
        case_page = file_request(ani)
        ani.post(case_page + "/cabut", data={"alasan": "Korban memilih berhenti."})
        assert "Dihentikan" in ani.get(case_page).get_data(as_text=True)

    def test_case_list_search_and_pages(self, web: Flask, accounts: object) -> None:
        ani = signed_in(web, "ani")
        for _ in range(3):
            file_request(ani)
        rina = signed_in(web, "rina")
        found = re.findall(r">(MED-2026-\d{4})</a>", rina.get("/kasus?q=MED-2026-0002").get_data(as_text=True))
        assert found == ["MED-2026-0002"]
        assert "Ani Pemohon" in rina.get("/kasus?q=ani").get_data(as_text=True)
        assert "Tidak ada kasus." in rina.get("/kasus?status=completed").get_data(as_text=True)


class TestRolesAndAdmin:
    @pytest.mark.parametrize(
        ("who", "path", "status"),
        [
            ("ani", "/admin/pengguna", 403),
            ("adam", "/kasus", 403),
            ("adam", "/permohonan/baru", 403),
            ("rina", "/permohonan/baru", 403),
            ("audi", "/kasus", 200),
            ("olga", "/kasus", 403),
        ],
    )
    def test_pages_by_role(self, web: Flask, accounts: object, who: str, path: str, status: int) -> None:
        assert signed_in(web, who).get(path).status_code == status

    def test_admin_creates_deactivates_and_resets(self, web: Flask, accounts: object) -> None:
        adam = signed_in(web, "adam")
        created = adam.post(
            "/admin/pengguna",
            data={"username": "wati", "full_name": "Wati", "roles": ["tim_teknis", "sekretaris"]},
            follow_redirects=True,
        )
        page = created.get_data(as_text=True)
        password = re.search(r"Kata sandi awal: (\S+)</p>", page)
        assert password and "Sekretaris Tim Teknis, Tim Teknis" in page
        assert (
            web.test_client().post("/masuk", data={"username": "wati", "password": password.group(1)}).status_code
            == 302
        )
        adam.post("/admin/pengguna/wati/aktif", data={"aktif": "0"})
        assert (
            web.test_client().post("/masuk", data={"username": "wati", "password": password.group(1)}).status_code
            == 401
        )
        assert "Nonaktif" in adam.get("/admin/pengguna").get_data(as_text=True)
        reset = adam.post("/admin/pengguna/rina/sandi", follow_redirects=True).get_data(as_text=True)
        assert "Kata sandi baru untuk rina" in reset

    def test_security_headers(self, web: Flask) -> None:
        response = web.test_client().get("/")
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "<script>" not in response.get_data(as_text=True)


def test_steps_payload_helper_matches_forms() -> None:
    assert Step("Task_koordinasi").payload()["pihak_terkait_bersedia"] is True


# The same need-to-know as the API's matrix, through the pages: Ani's case waits on the Ketua.
# (SQLite only: the rules live in the engine, tested on both databases; this checks the pages apply them.)
PAGE_MATRIX = {
    "case page": {"ani": 200, "rina": 200, "audi": 200, "olga": 403, "adam": 403},
    "task page": {"rina": 200, "ani": 403, "audi": 403},
    "inbox": dict.fromkeys(["ani", "budi", "dewi", "rina", "tono", "sari", "kadin", "olga", "audi", "adam"], 200),
    "case list": dict.fromkeys(["ani", "budi", "dewi", "rina", "tono", "sari", "kadin", "audi"], 200),
    "new request": {"ani": 200, "budi": 200, "dewi": 200},
    "admin": {"adam": 200},
}
PAGE_DEFAULT = {"case page": 404, "task page": 404}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("who", ["ani", "budi", "dewi", "rina", "tono", "sari", "kadin", "olga", "audi", "adam"])
def test_page_matrix(web: Flask, accounts: object, who: str) -> None:
    case_page = file_request(signed_in(web, "ani"))
    task = inbox_task(signed_in(web, "rina"), "Periksa kelengkapan berkas")
    paths = {
        "case page": case_page,
        "task page": task,
        "inbox": "/tugas",
        "case list": "/kasus",
        "new request": "/permohonan/baru",
        "admin": "/admin/pengguna",
    }
    client = signed_in(web, who)
    seen = {page: client.get(path).status_code for page, path in paths.items()}
    expected = {page: PAGE_MATRIX[page].get(who, PAGE_DEFAULT.get(page, 403)) for page in paths}
    assert seen == expected


# -- reads of victims' data are logged -------------------------------------------------------------------

AUDITOR = Actor("audi", frozenset({"auditor"}), user_id=10_000)


def logged(ctx: EngineContext, case_id: str) -> list[tuple[str, str]]:
    page = reads.case_access(ctx, actor=AUDITOR, case_ref=case_id, per_page=100)
    return [(a.type, a.actor) for a in reversed(page.items)]


def test_case_task_and_document_pages_log_their_reader(
    web: Flask,
    accounts: dict[str, Actor],
    ctx: EngineContext,
) -> None:
    budi, rina = signed_in(web, "budi"), signed_in(web, "rina")
    case_path = file_request(signed_in(web, "ani"))
    case_id = case_path.rsplit("/", 1)[1]
    _, document_id = resubmit_with_file(ctx, accounts, case_id)  # Ani's upload, the check ready again
    rina.get("/kasus")
    rina.get("/tugas")
    assert logged(ctx, case_id) == []  # lists are not reads

    assert rina.get(case_path).status_code == 200
    task_path = inbox_task(rina, "Periksa kelengkapan berkas")
    assert rina.get(task_path).status_code == 200
    assert budi.get(f"{case_path}/dokumen/{document_id}").status_code == 404  # another applicant's case
    assert rina.get(f"{case_path}/dokumen/{document_id}").status_code == 200
    assert logged(ctx, case_id) == [("case_read", "rina"), ("task_read", "rina"), ("document_read", "rina")]


def test_a_refused_case_page_logs_nothing(web: Flask, accounts: object, ctx: EngineContext) -> None:
    case_path = file_request(signed_in(web, "ani"))
    assert signed_in(web, "budi").get(case_path).status_code == 404
    assert logged(ctx, case_path.rsplit("/", 1)[1]) == []
