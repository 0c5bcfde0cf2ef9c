"""The export page and the export API: who may use them, what the files hold, errors by field, the audit."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.services.exports import ExportFile
from tests.engine.test_exports import (
    IDENTIFIERS,
    STATISTICS,
    STATISTICS_HEADER,
    Seeded,
    file_text,
    logged_exports,
    read_csv,
    read_xlsx,
    seed,
    simfoni_expected,
    statistics_rows,
)
from tests.webapp.conftest import Api, signed_in

ApiFor = Callable[[str], Api]
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED = ("kadin", "rina", "audi")
REFUSED = ("ani", "dewi", "tono", "sari", "olga", "dedi", "adam")


@pytest.fixture
def seeded(make_ctx: Callable[[], EngineContext], accounts: dict[str, Actor], clock: FixedClock) -> Seeded:
    return seed(make_ctx, accounts, clock)


def check_download(response: Any, ctx: EngineContext, who: str, filename: str, media_type: str) -> bytes:
    """An attachment named as asked, never cached, whose SHA-256 is the one the access chain logged."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == media_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.headers["Cache-Control"] == "no-store"
    content: bytes = response.data
    digest = hashlib.sha256(content).hexdigest()
    assert response.headers["X-Content-SHA256"] == digest
    actor, _, subject, detail = logged_exports(ctx)[-1]
    assert (actor, subject, detail["file"], detail["sha256"]) == (who, None, filename, digest)
    return content


def xlsx_text(content: bytes) -> list[list[str]]:
    return [["" if c is None else str(c) for c in row] for row in read_xlsx(content)]


# -- the page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ALLOWED + REFUSED)
def test_the_export_page_and_its_menu_link_by_role(web: Flask, accounts: dict[str, Actor], who: str) -> None:
    client = signed_in(web, who)
    response = client.get("/laporan/ekspor")
    home = client.get("/notifikasi").get_data(as_text=True)  # any page with the menu
    if who in ALLOWED:
        assert response.status_code == 200
        assert '<a href="/laporan/ekspor">Ekspor</a>' in home
    else:
        assert response.status_code == 403
        assert 'href="/laporan/ekspor"' not in home
        assert client.get("/laporan/ekspor/unduh?berkas=statistik.csv").status_code == 403


def test_signed_out_the_page_asks_for_a_sign_in(web: Flask) -> None:
    response = web.test_client().get("/laporan/ekspor")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_the_page_offers_four_files_and_shows_the_code_tables(web: Flask, accounts: dict[str, Actor]) -> None:
    html = signed_in(web, "kadin").get("/laporan/ekspor?dari=2026-03-01").get_data(as_text=True)
    assert '<form method="get" action="/laporan/ekspor/unduh"' in html
    assert 'name="dari" type="date" value="2026-03-01"' in html
    for value, label in [
        ("statistik.csv", "Statistik kasus (CSV)"),
        ("statistik.xlsx", "Statistik kasus (XLSX)"),
        ("simfoni.csv", "SIMFONI-PPA (CSV)"),
        ("simfoni.xlsx", "SIMFONI-PPA (XLSX)"),
    ]:
        assert f'name="berkas" value="{value}"' in html and label in html
    assert "<summary>Kelompok umur</summary>" in html and "<td>60 tahun ke atas</td>" in html
    assert "<summary>Layanan</summary>" in html and "<td>Rujukan ke UPTD PPA</td>" in html
    assert "dicatat di log akses" in html


def test_downloads_from_the_page(web: Flask, ctx: EngineContext, seeded: Seeded) -> None:
    client = signed_in(web, "rina")
    response = client.get("/laporan/ekspor/unduh?berkas=statistik.csv&dari=2026-03-17&sampai=2026-04-01")
    content = check_download(response, ctx, "rina", "statistik-kasus_2026-03-17_2026-04-01.csv", CSV)
    assert read_csv(content) == [STATISTICS_HEADER, *statistics_rows(*STATISTICS[:3])]

    response = client.get("/laporan/ekspor/unduh?berkas=simfoni.xlsx&dari=&sampai=")
    content = check_download(response, ctx, "rina", "simfoni-ppa.xlsx", XLSX)
    assert xlsx_text(content)[1:] == simfoni_expected()


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("dari=2026-13-01", {"dari": "Tanggal awal harus tanggal yang sah berbentuk TTTT-BB-HH."}),
        ("sampai=besok", {"sampai": "Tanggal akhir harus tanggal yang sah berbentuk TTTT-BB-HH."}),
        ("dari=2026-04-02&sampai=2026-04-01", {"sampai": "Tanggal akhir tidak boleh sebelum tanggal awal."}),
    ],
)
def test_a_bad_date_shows_the_form_again_with_the_field_marked(
    web: Flask, ctx: EngineContext, accounts: dict[str, Actor], query: str, errors: dict[str, str]
) -> None:
    response = signed_in(web, "kadin").get(f"/laporan/ekspor/unduh?berkas=simfoni.csv&{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "Berkas belum dapat dibuat: periksa isian yang ditandai." in html
    for name, message in errors.items():
        assert f'<p class="galat" id="ekspor-{name}-galat">{message}</p>' in html
        assert f'aria-describedby="ekspor-{name}-bantuan ekspor-{name}-galat"' in html
    assert html.count('aria-invalid="true"') == len(errors)
    assert logged_exports(ctx) == []


def test_an_unknown_file_is_not_found(web: Flask, ctx: EngineContext, accounts: dict[str, Actor]) -> None:
    client = signed_in(web, "kadin")
    assert client.get("/laporan/ekspor/unduh?berkas=nama.csv").status_code == 404
    assert client.get("/laporan/ekspor/unduh").status_code == 404
    assert logged_exports(ctx) == []


def test_the_access_chain_page_names_the_export(web: Flask, ctx: EngineContext, seeded: Seeded) -> None:
    signed_in(web, "audi").get("/laporan/ekspor/unduh?berkas=statistik.xlsx")
    html = signed_in(web, "dedi").get("/audit/rantai/akses").get_data(as_text=True)
    assert "Mengekspor data statistik" in html


# -- the API -----------------------------------------------------------------------------------------

ENDPOINTS = {
    "/exports/statistik.csv": ("statistik-kasus.csv", CSV),
    "/exports/statistik.xlsx": ("statistik-kasus.xlsx", XLSX),
    "/exports/simfoni.csv": ("simfoni-ppa.csv", CSV),
    "/exports/simfoni.xlsx": ("simfoni-ppa.xlsx", XLSX),
}


def test_every_export_endpoint(api: ApiFor, ctx: EngineContext, seeded: Seeded) -> None:
    for path, (filename, media_type) in ENDPOINTS.items():
        content = check_download(api("audi").get(path), ctx, "audi", filename, media_type)
        rows = read_csv(content)[1:] if filename.endswith(".csv") else xlsx_text(content)[1:]
        assert rows == (statistics_rows(*STATISTICS) if "statistik" in path else simfoni_expected())
        assert logged_exports(ctx)[-1][3]["filter"] == {"dari": None, "sampai": None}
        text = file_text(ExportFile(filename, media_type, content, "", 0)).casefold()
        assert [found for found in IDENTIFIERS if found.casefold() in text] == []
    assert len(logged_exports(ctx)) == len(ENDPOINTS)


def test_the_api_filters_by_local_days(api: ApiFor, ctx: EngineContext, seeded: Seeded) -> None:
    response = api("kadin").get("/exports/statistik.csv?dari=2026-04-15")
    content = check_download(response, ctx, "kadin", "statistik-kasus_2026-04-15_akhir.csv", CSV)
    assert [row[:4] for row in read_csv(content)[1:]] == [["K0001", "2026-04", "", "Berjalan"]]
    assert logged_exports(ctx)[-1][3]["filter"] == {"dari": "2026-04-15", "sampai": None}


@pytest.mark.parametrize("who", ["ani", "dewi", "tono", "sari", "olga", "dedi", "adam"])
def test_the_api_refuses_other_roles_with_403(
    api: ApiFor, ctx: EngineContext, accounts: dict[str, Actor], who: str
) -> None:
    for path in ENDPOINTS:
        response = api(who).get(f"{path}?dari=salah")  # the role is judged before the query string
        assert response.status_code == 403 and response.json["error"] == "forbidden"
        assert "Kepala Dinas, Ketua LP-PAR dan auditor" in response.json["message"]
    assert logged_exports(ctx) == []


def test_the_api_needs_a_token(client: FlaskClient) -> None:
    response = client.get("/api/v1/exports/simfoni.csv")
    assert response.status_code == 401 and response.json["error"] == "unauthenticated"


def test_bad_dates_are_400_naming_the_field(api: ApiFor, ctx: EngineContext, accounts: dict[str, Actor]) -> None:
    response = api("rina").get("/exports/simfoni.xlsx?dari=2026-02-30&sampai=2026-03-01")
    assert response.status_code == 400
    assert response.json == {
        "error": "bad_request",
        "message": "Penyaring tanggal tidak sah.",
        "errors": {"dari": "Tanggal awal harus tanggal yang sah berbentuk TTTT-BB-HH."},
    }
    response = api("rina").get("/exports/statistik.csv?dari=2026-03-02&sampai=2026-03-01")
    assert response.status_code == 400
    assert response.json["errors"] == {"sampai": "Tanggal akhir tidak boleh sebelum tanggal awal."}
    assert logged_exports(ctx) == []


def test_the_openapi_document_describes_the_exports(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path, (_, media_type) in ENDPOINTS.items():
        operation = paths[path]["get"]
        assert [p["name"] for p in operation["parameters"]] == ["dari", "sampai"]
        assert set(operation["responses"]) == {"200", "400", "401", "403"}
        assert list(operation["responses"]["200"]["content"]) == [media_type.split(";")[0]]
