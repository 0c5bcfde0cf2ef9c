"""In real Chromium: four eyes on a screening correction, from the Ketua's edit to the Kepala Dinas' decision."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_browser import complete, file_request, fill
from tests.builders import Step
from tests.builders import screening as review

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def open_task(page: Any, base: str, number: str, title: str) -> None:
    page.goto(f"{base}/tugas")
    card = page.locator(".kartu", has_text=number).filter(has=page.locator(f"h2 >> text='{title}'"))
    card.locator("a:has-text('Kerjakan')").click()


def test_a_correction_waits_for_the_kepala_dinas_and_the_case_page_shows_it(server: str, new_page: Any) -> None:
    applicant = sign_in(new_page, server, "pemohon")
    case_url = file_request(applicant, server, {"tingkat_bahaya": "tinggi"})
    number = applicant.inner_text("h1").removeprefix("Kasus ").strip()
    ketua = sign_in(new_page, server, "ketua_lppar")
    complete(ketua, server, number, Step("Task_periksa_kelengkapan"), "Periksa kelengkapan berkas")

    # The Ketua lowers the danger the applicant reported: without a reason the form says where, field by field.
    open_task(ketua, server, number, "Telaah dan skrining permohonan")
    fill(ketua, review())
    ketua.click("button.tombol:has-text('Selesaikan tugas')")
    assert "Formulir belum dapat dikirim" in ketua.inner_text(".ringkasan-galat")
    for field in ("kode_alasan_koreksi", "alasan_koreksi", "tingkat_bahaya"):
        assert ketua.locator(f"#f-{field}-galat").count() == 1, field
    fill(ketua, {"kode_alasan_koreksi": "klarifikasi_korban", "alasan_koreksi": "Korban mengklarifikasi langsung."})
    ketua.click("button.tombol:has-text('Selesaikan tugas')")
    ketua.wait_for_url(f"{server}/tugas")
    assert "Kepala Dinas mengonfirmasi" in ketua.inner_text(".pesan-info")
    ketua.goto(case_url)
    section = ketua.locator("section[aria-labelledby='skrining-judul']")
    assert "Menunggu konfirmasi Kepala Dinas" in section.inner_text()

    # The Kepala Dinas sees the original answer, the correction and the reason, and confirms.
    kadin = sign_in(new_page, server, "kepala_dinas")
    open_task(kadin, server, number, "Konfirmasi koreksi skrining")
    shown = kadin.locator(".konfirmasi-koreksi").inner_text()
    assert "Tingkat bahaya" in shown and "Tinggi" in shown and "Rendah" in shown and "Korban mengklarifikasi" in shown
    screenshot(kadin, "konfirmasi-koreksi-skrining")
    fill(kadin, {"keputusan_koreksi": "dikonfirmasi", "catatan_konfirmasi": "Sudah saya klarifikasi dengan korban."})
    kadin.click("button.tombol:has-text('Selesaikan tugas')")
    kadin.wait_for_url(f"{server}/tugas")
    assert "selesai" in kadin.inner_text(".pesan-info")

    ketua.goto(case_url)
    section = ketua.locator("section[aria-labelledby='skrining-judul']")
    text = section.inner_text()
    assert "Dikonfirmasi" in text and "Sudah saya klarifikasi" in text
    assert "Keputusan: Ahmad Fauzi" in text and "kepala_dinas" not in text  # the demo Kepala Dinas, by full name
    assert re.search(r"Pendapat psikologis", ketua.locator("section[aria-labelledby='tugas-judul']").inner_text())
    screenshot(ketua, "kasus-skrining-hukum")
