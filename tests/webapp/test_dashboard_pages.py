"""The dashboard page (/dasbor) and GET /api/v1/statistics: who sees them, the figures as tables and
SVG charts, the period's field errors, and that nothing personal is shown."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from tests.engine.test_statistics import Seeded, file_complaints, recompute, seed_cases
from tests.webapp.conftest import Api, signed_in

READERS = ["kadin", "rina", "audi"]
OTHERS = ["ani", "dewi", "tono", "sari", "olga", "dedi", "adam"]
PERSONAL = ("Siti", "Aminah", "Bambang", "Podosugih", "MED-2026-")


@pytest.fixture
def seeded(ctx: EngineContext, clock: FixedClock, accounts: dict[str, Actor]) -> Seeded:
    return seed_cases(ctx, clock, accounts)


def text_of(page: str) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def row(page: str, table: str, header: str) -> list[str]:
    """The cells of the row headed `header` in the table with id `tabel-<table>`."""
    found = re.search(rf'<table class="tabel[^"]*" id="tabel-{table}">(.*?)</table>', page, re.S)
    assert found, f"no table {table}"
    for cells in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S):
        texts = [text_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", cells, re.S)]
        if texts and texts[0] == header:
            return texts[1:]
    raise AssertionError(f"no row {header!r} in table {table}")


def charts(page: str) -> list[str]:
    return re.findall(r"<svg[^>]*class=\"grafik\".*?</svg>", page, re.S)


class TestWhoSeesIt:
    @pytest.mark.parametrize("username", READERS)
    def test_the_kepala_dinas_the_ketua_and_auditors_have_it_in_the_menu(
        self, web: Flask, accounts: dict[str, Actor], username: str
    ) -> None:
        client = signed_in(web, username)
        assert 'href="/dasbor">Dasbor</a>' in client.get("/notifikasi").get_data(as_text=True)
        response = client.get("/dasbor")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "<h1>Dasbor</h1>" in page and row(page, "sla", "Respons") == ["0", "0", "–", "–", "0", "0"]
        assert "Tidak ada kasus berjalan pada periode ini." in page and charts(page) == []

    @pytest.mark.parametrize("username", OTHERS)
    def test_everyone_else_is_refused(self, web: Flask, accounts: dict[str, Actor], username: str) -> None:
        client = signed_in(web, username)
        assert 'href="/dasbor"' not in client.get("/notifikasi").get_data(as_text=True)
        response = client.get("/dasbor")
        assert response.status_code == 403
        assert "Halaman ini bukan untuk peran Anda." in response.get_data(as_text=True)

    def test_signing_in_comes_first(self, web: Flask, accounts: dict[str, Actor]) -> None:
        response = web.test_client().get("/dasbor")
        assert response.status_code == 302 and "/masuk" in response.headers["Location"]


class TestFigures:
    def test_the_page_shows_every_figure_as_a_table(self, web: Flask, seeded: Seeded) -> None:
        page = signed_in(web, "kadin").get("/dasbor").get_data(as_text=True)
        words = text_of(page)
        assert "Kasus mediasi 10 Masih berjalan 6" in words
        assert "Median hari kerja sampai keputusan 2 Median hari kerja sampai hasil 4" in words
        assert row(page, "sla", "Respons (5 hari kerja)") == ["5", "4", "80%", "2", "3", "2"]
        assert row(page, "sla", "Penyelesaian (14 hari kerja)") == ["4", "4", "100%", "4", "4", "2"]
        assert row(page, "langkah", "Periksa kelengkapan berkas") == ["3"]
        assert row(page, "langkah", "Putuskan permohonan") == ["1"]
        assert row(page, "hasil", "Mediasi dilaksanakan") == ["2"]
        assert row(page, "hasil", "Ditolak") == ["1"] and row(page, "hasil", "Dihentikan") == ["1"]
        assert row(page, "jenis", "Kekerasan psikis") == ["7"] and row(page, "jenis", "Kekerasan seksual") == ["1"]
        assert [row(page, "bulan", m) for m in ("Januari 2026", "Februari 2026", "Maret 2026", "April 2026")] == [
            ["2"],
            ["2"],
            ["3"],
            ["3"],
        ]
        assert row(page, "pengaduan", "Berjalan") == ["0"] and "Tidak ada pengaduan layanan" in words
        assert "semua kasus" in words and "Hari kerja selama jam dijeda menunggu pemohon tidak dihitung" in words

    def test_the_charts_are_accessible_svg_without_styles_or_scripts(self, web: Flask, seeded: Seeded) -> None:
        response = signed_in(web, "audi").get("/dasbor")
        page = response.get_data(as_text=True)
        drawn = charts(page)
        assert len(drawn) == 5  # response and completion, steps, outcomes, violence types, months
        for svg in drawn:
            ident = re.search(r'aria-labelledby="([^ "]+)-judul \1-uraian"', svg)
            assert ident and 'role="img"' in svg
            assert f'<title id="{ident.group(1)}-judul">' in svg and f'<desc id="{ident.group(1)}-uraian">' in svg
            assert "style" not in svg and "<script" not in svg and not re.search(r"\son\w+=", svg)
            assert len(re.findall("<rect", svg)) == len(re.findall(r'font-weight="600">', svg))  # a value per bar
        sla = next(svg for svg in drawn if "grafik-sla" in svg)
        assert "Respons (5 hari kerja): 80% (4 dari 5); Penyelesaian (14 hari kerja): 100% (4 dari 4)." in sla
        outcomes = next(svg for svg in drawn if "grafik-outcomes" in svg)
        assert ">Mediasi dilaksanakan</text>" in outcomes and 'font-weight="600">2</text>' in outcomes
        assert "style-src 'self'" in response.headers["Content-Security-Policy"]
        assert "<script" not in page and " style=" not in page

    def test_nothing_personal_is_shown(self, web: Flask, seeded: Seeded) -> None:
        page = signed_in(web, "rina").get("/dasbor").get_data(as_text=True)
        assert [word for word in PERSONAL if word in page] == []

    def test_a_period_narrows_every_figure(self, web: Flask, seeded: Seeded) -> None:
        response = signed_in(web, "kadin").get("/dasbor?dari=2026-02-01&sampai=2026-03-31")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        words = text_of(page)
        assert "1 Februari 2026 – 31 Maret 2026" in words and "Kasus mediasi 5 Masih berjalan 3" in words
        assert 'value="2026-02-01"' in page and 'value="2026-03-31"' in page
        assert row(page, "sla", "Respons (5 hari kerja)") == ["3", "2", "66,7%", "2", "1", "1"]
        assert [key for key in ("Januari 2026", "April 2026") if key in words] == []

    def test_complaints_are_counted_apart(self, web: Flask, api: Callable[[str], Api], seeded: Seeded) -> None:
        file_complaints(seeded)
        page = signed_in(web, "kadin").get("/dasbor").get_data(as_text=True)
        assert "Kasus mediasi 10" in text_of(page) and "Pengaduan layanan 5" in text_of(page)
        assert [row(page, "pengaduan", s) for s in ("Berjalan", "Selesai", "Dibatalkan")] == [["1"], ["3"], ["1"]]
        assert row(page, "pengaduan-hasil", "Pengaduan selesai") == ["2"]
        assert row(page, "pengaduan-hasil", "Pengaduan tidak terselesaikan") == ["1"]
        assert any("grafik-complaints" in svg for svg in charts(page))
        body = api("kadin").get("/statistics").json["complaints"]
        assert body["total"] == 5 and [s["count"] for s in body["by_status"]] == [1, 3, 1]
        assert body["by_outcome"] == [
            {"outcome": "resolved", "title": "Pengaduan selesai", "count": 2},
            {"outcome": "unresolved", "title": "Pengaduan tidak terselesaikan", "count": 1},
        ]


class TestPeriodErrors:
    @pytest.mark.parametrize(
        ("query", "field", "message"),
        [
            ("dari=17-03-2026", "dari", "Tanggal awal harus berupa tanggal berbentuk TTTT-BB-HH, misalnya 2026-03-17."),
            ("sampai=2026-02-30", "sampai", "Tanggal akhir harus berupa tanggal berbentuk TTTT-BB-HH"),
            ("dari=1900-01-01", "dari", "Tanggal awal harus tanggal antara tahun 2000 dan 2099"),
            ("dari=2026-03-02&sampai=2026-03-01", "sampai", "Tanggal akhir tidak boleh sebelum tanggal awal."),
        ],
    )
    def test_each_field_is_refused_beside_itself(
        self, web: Flask, accounts: dict[str, Actor], query: str, field: str, message: str
    ) -> None:
        response = signed_in(web, "kadin").get(f"/dasbor?{query}")
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        error = re.search(rf'<p class="galat" id="periode-{field}-galat">([^<]*)</p>', page)
        assert error and html.unescape(error.group(1)).startswith(message)
        assert re.search(
            rf'id="periode-{field}"[^>]*aria-invalid="true"[^>]*aria-describedby="periode-{field}-galat"', page
        )
        assert "Periode belum dapat dipakai" in page and "Ringkasan" not in page
        other = "sampai" if field == "dari" else "dari"
        assert f"periode-{other}-galat" not in page

    def test_both_fields_wrong_are_both_named(self, web: Flask, accounts: dict[str, Actor]) -> None:
        page = signed_in(web, "kadin").get("/dasbor?dari=kemarin&sampai=besok").get_data(as_text=True)
        assert "periode-dari-galat" in page and "periode-sampai-galat" in page


class TestApi:
    def test_the_figures_as_json(self, api: Callable[[str], Api], seeded: Seeded) -> None:
        response = api("kadin").get("/statistics?dari=2026-02-01&sampai=2026-03-31")
        assert response.status_code == 200
        body = response.json
        expected = recompute(seeded.ctx, date(2026, 2, 1), date(2026, 3, 31))
        assert body["period"] == {"dari": "2026-02-01", "sampai": "2026-03-31"}
        assert (body["cases"], body["open_cases"]) == (expected["cases"], expected["open_cases"]) == (5, 3)
        assert {s["element"]: s["count"] for s in body["open_by_step"]} == expected["open_by_step"]
        assert {c["clock"]: {k: c[k] for k in ("stopped", "met", "running", "overdue")} for c in body["sla"]} == {
            name: {k: figures[k] for k in ("stopped", "met", "running", "overdue")}
            for name, figures in expected["clocks"].items()
        }
        assert body["median_working_days_to_decision"] == expected["clocks"]["respons"]["median_days"] == 2
        assert body["median_working_days_to_outcome"] == expected["clocks"]["penyelesaian"]["median_days"]
        assert {o["outcome"]: o["count"] for o in body["outcomes"]} == expected["outcomes"]
        assert {o["outcome"]: o["title"] for o in body["outcomes"]} == {
            "rejected": "Ditolak",
            "withdrawn": "Dihentikan",
        }
        assert {v["type"]: v["count"] for v in body["violence_types"]} == expected["violence_types"]
        assert body["months"] == [
            {"month": "2026-02", "title": "Februari 2026", "count": 2},
            {"month": "2026-03", "title": "Maret 2026", "count": 3},
        ]
        assert body["complaints"] == {
            "total": 0,
            "by_status": [
                {"status": "open", "title": "Berjalan", "count": 0},
                {"status": "completed", "title": "Selesai", "count": 0},
                {"status": "cancelled", "title": "Dibatalkan", "count": 0},
            ],
            "by_outcome": [],
        }
        assert [c["share"] for c in body["sla"]] == [2 / 3, 1.0]

    def test_without_a_period_every_case_counts(self, api: Callable[[str], Api], seeded: Seeded) -> None:
        body = api("audi").get("/statistics").json
        assert body["period"] == {"dari": None, "sampai": None} and body["cases"] == 10
        assert body["as_of"] == "2026-04-20T03:00:00+00:00"

    def test_refusals(self, api: Callable[[str], Api], accounts: dict[str, Actor]) -> None:
        assert api("tono").get("/statistics").status_code == 403
        assert api("tono").get("/statistics?dari=salah").status_code == 403  # the role before the fields
        invalid = api("rina").get("/statistics?dari=2026-03-02&sampai=kemarin")
        assert invalid.status_code == 422 and invalid.json["error"] == "invalid_data"
        assert set(invalid.json["errors"]) == {"sampai"}
        reversed_period = api("rina").get("/statistics?dari=2026-03-02&sampai=2026-03-01")
        assert reversed_period.json["errors"] == {"sampai": "Tanggal akhir tidak boleh sebelum tanggal awal."}
        assert Api(api("rina").client, None).get("/statistics").status_code == 401
