"""In real Chromium: a refused form names every problem beside its field, and a stored file stays attached."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_browser import complete, file_request
from tests.browser.test_screening_browser import open_task
from tests.builders import Step

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
INCOMPLETE = {"berkas_lengkap": False, "catatan_kelengkapan": "Lampirkan KTP korban."}


def test_an_empty_answer_is_shown_at_its_field_and_the_uploaded_file_is_kept(server: str, new_page: Any) -> None:
    applicant = sign_in(new_page, server, "pemohon")
    file_request(applicant, server, {})
    number = applicant.inner_text("h1").removeprefix("Kasus ").strip()
    ketua = sign_in(new_page, server, "ketua_lppar")
    complete(ketua, server, number, Step("Task_periksa_kelengkapan", INCOMPLETE), "Periksa kelengkapan berkas")

    open_task(applicant, server, number, "Lengkapi berkas permohonan")
    # A file past the server's limit is refused beside its field before anything is sent.
    huge = b"%PDF-1.4 " + b"x" * (11 * 1024 * 1024)
    applicant.set_input_files(
        "#f-lampiran_tambahan", {"name": "pindai.pdf", "mimeType": "application/pdf", "buffer": huge}
    )
    assert "lebih dari 10 MB" in applicant.inner_text("#f-lampiran_tambahan-terlalu-besar")
    upload = applicant.locator("#f-lampiran_tambahan")
    assert upload.get_attribute("aria-invalid") == "true" and upload.evaluate("e => e.files.length") == 0
    applicant.set_input_files(
        "#f-lampiran_tambahan", {"name": "ktp.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 KTP korban"}
    )
    assert applicant.locator("#f-lampiran_tambahan-terlalu-besar").count() == 0  # a fitting file clears it
    assert upload.get_attribute("aria-invalid") is None
    applicant.click("button.tombol:has-text('Selesaikan tugas')")
    summary = applicant.locator(".ringkasan-galat")
    assert "Formulir belum dapat dikirim" in summary.inner_text()
    summary.locator("a[href='#f-keterangan_tambahan']").click()  # the summary leads to the field
    field = applicant.locator("#f-keterangan_tambahan")
    assert field.get_attribute("aria-invalid") == "true"
    assert "f-keterangan_tambahan-galat" in (field.get_attribute("aria-describedby") or "")
    assert applicant.inner_text("#f-keterangan_tambahan-galat") == "Wajib diisi."
    assert applicant.inner_text("#f-lampiran_tambahan-berkas").startswith("Berkas sudah diunggah dan tetap terlampir")
    screenshot(applicant, "galat-di-samping-isian-berkas-tetap")

    applicant.fill("#f-keterangan_tambahan", "KTP korban terlampir.")
    applicant.click("button.tombol:has-text('Selesaikan tugas')")
    applicant.wait_for_url(re.compile(rf"{re.escape(server)}/tugas(#.*)?$"))  # the link's fragment stays
    assert "selesai" in applicant.inner_text(".pesan-info")
    assert applicant.csp_violations == []
