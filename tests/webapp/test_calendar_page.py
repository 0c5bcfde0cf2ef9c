"""The admin's calendar page: the year's holidays, overrides added and removed, CSRF, no inline code."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask

from engine.actors import Actor
from engine.context import EngineContext
from engine.services import users as user_service
from tests.conftest import OPERATOR
from tests.webapp.conftest import PASSWORD, signed_in
from webapp import create_app

REFERENCE = "SKB 3 Menteri Tahun 2026 (contoh)"


@pytest.fixture
def accounts(ctx: EngineContext, deployed: object) -> dict[str, Actor]:
    """An admin, a Ketua, an auditor and a process owner, each with the page tests' password."""
    for username, role in (("adam", "admin"), ("rina", "ketua_lppar"), ("audi", "auditor"), ("olga", "process_owner")):
        user_service.add_user(
            ctx, actor=OPERATOR, username=username, full_name=username.title(), roles=[role], password=PASSWORD
        )
    return {u: user_service.actor_for(ctx, u) for u in ("adam", "rina", "audi", "olga")}


def rows(page: str, caption: str) -> list[list[str]]:
    """The cells of the table with this caption, as text."""
    table = re.search(r"<caption>" + re.escape(caption) + r".*?</table>", page, re.S)
    assert table, page
    return [
        [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)
        if "<td" in row
    ]


def test_the_page_lists_the_years_holidays_and_the_service_hours(web: Flask, accounts: object) -> None:
    response = signed_in(web, "adam").get("/admin/kalender?tahun=2026")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Kalender hari kerja 2026</h1>" in page and "240 hari kerja pada 2026" in page
    holidays = rows(page, "Daftar nasional")
    assert len(holidays) == 25
    assert ["18 Maret 2026", "Rabu", "Cuti Bersama Hari Suci Nyepi", "Cuti bersama", "hari libur"] in holidays
    assert ["19 Maret 2026", "Kamis", "Hari Suci Nyepi", "Libur nasional", "hari libur"] in holidays
    assert "<li>Senin–Kamis: 09.00–12.00, 12.30–14.00</li>" in page
    assert "<li>Jumat: 08.00–10.30</li>" in page and "<li>Sabtu–Minggu: tutup</li>" in page
    assert "Tidak ada pengecualian pada 2026." in page
    assert 'href="/admin/kalender?tahun=2027"' in page


def test_an_admin_adds_and_removes_an_override(web: Flask, accounts: object, ctx: EngineContext) -> None:
    adam = signed_in(web, "adam")
    added = adam.post("/admin/kalender", data={"tanggal": "2026-03-18", "jenis": "kerja", "dasar_hukum": REFERENCE})
    assert added.status_code == 302 and added.headers["Location"] == "/admin/kalender?tahun=2026"
    page = adam.get(added.headers["Location"]).get_data(as_text=True)
    assert "18 Maret 2026 kini hari kerja." in page and "241 hari kerja pada 2026" in page
    [override] = rows(page, "Keputusan yang mengalahkan")
    assert override[:3] == ["Rabu, 18 Maret 2026", "Hari kerja", REFERENCE] and override[3].startswith("Adam, ")
    assert ["18 Maret 2026", "Rabu", "Cuti Bersama Hari Suci Nyepi", "Cuti bersama", "hari kerja (pengecualian)"] in (
        rows(page, "Daftar nasional")
    )
    assert 'action="/admin/kalender/2026-03-18/hapus"' in page

    removed = adam.post("/admin/kalender/2026-03-18/hapus", follow_redirects=True)
    assert removed.status_code == 200
    page = removed.get_data(as_text=True)
    assert "Pengecualian 18 Maret 2026 dihapus" in page and "Tidak ada pengecualian pada 2026." in page
    assert not ctx.calendar().is_working_day(date(2026, 3, 18))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"tanggal": "", "jenis": "libur", "dasar_hukum": REFERENCE}, "Tanggal harus berbentuk TTTT-BB-HH"),
        ({"tanggal": "2026-03-26", "jenis": "", "dasar_hukum": REFERENCE}, "Pilih apakah tanggal itu"),
        ({"tanggal": "2026-03-26", "jenis": "libur", "dasar_hukum": ""}, "Dasar hukum wajib diisi"),
        ({"tanggal": "2026-03-28", "jenis": "kerja", "dasar_hukum": REFERENCE}, "Sabtu tidak memiliki jam layanan"),
    ],
)
def test_an_invalid_override_keeps_the_form(web: Flask, accounts: object, form: dict[str, str], message: str) -> None:
    response = signed_in(web, "adam").post("/admin/kalender?tahun=2026", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Tidak ada pengecualian pada 2026." in page
    assert f'value="{form["tanggal"]}"' in page and f">{form['dasar_hukum']}</textarea>" in page


def test_removing_a_date_without_an_override_is_not_found(web: Flask, accounts: object) -> None:
    adam = signed_in(web, "adam")
    assert adam.post("/admin/kalender/2026-03-19/hapus").status_code == 404
    assert adam.post("/admin/kalender/bukan-tanggal/hapus").status_code == 422
    assert adam.get("/admin/kalender?tahun=1900").status_code == 422


@pytest.mark.parametrize("who", ["rina", "audi", "olga"])
def test_only_the_admin_has_the_page(web: Flask, accounts: object, who: str) -> None:
    client = signed_in(web, who)
    assert client.get("/admin/kalender").status_code == 403
    data = {"tanggal": "2026-03-26", "jenis": "libur", "dasar_hukum": REFERENCE}
    assert client.post("/admin/kalender", data=data).status_code == 403
    assert web.test_client().get("/admin/kalender").status_code == 302  # signed out: to the sign-in page


def test_forms_need_the_csrf_token_and_the_page_has_no_inline_code(
    ctx: EngineContext, deployed: object, accounts: object
) -> None:
    strict = create_app({"TESTING": True}, ctx=ctx)
    client = strict.test_client()
    sign_in = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', sign_in)
    assert token
    client.post("/masuk", data={"username": "adam", "password": PASSWORD, "csrf_token": token.group(1)})
    response = client.get("/admin/kalender?tahun=2026")
    page = response.get_data(as_text=True)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", page) and "<style" not in page and "style=" not in page
    data = {"tanggal": "2026-03-26", "jenis": "libur", "dasar_hukum": REFERENCE}
    assert client.post("/admin/kalender", data=data).status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    assert client.post("/admin/kalender", data={**data, "csrf_token": token.group(1)}).status_code == 302
    assert client.post("/admin/kalender/2026-03-26/hapus").status_code == 400
    assert client.post("/admin/kalender/2026-03-26/hapus", data={"csrf_token": token.group(1)}).status_code == 302
