"""In real Chromium: an applicant files, each lane works its tasks to every outcome, and the pages hold up."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.builders import WORKER, Step, application, as_form
from tests.engine.test_paths import PATHS

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DEMO_USER = {
    "ani": "pemohon",
    "rina": "ketua_lppar",
    "tono": "tim_teknis",
    "sari": "sekretaris",
    "kadin": "kepala_dinas",
}
OUTCOME_TITLES = {
    "mediated": "Mediasi dilaksanakan",
    "rejected": "Ditolak",
    "parties_declined": "Mediasi tidak dapat dilaksanakan",
    "referred": "Dirujuk",
}


def fill(page: Any, data: dict[str, Any]) -> None:
    """Fill the rendered JSON Schema form with `data`, as a person would."""
    for name, value in as_form(data).items():
        values = value if isinstance(value, list) else [value]
        item = re.fullmatch(r"(\w+)\.(\d+)", name)
        if item and page.locator(f'[name="{name}"]').count() == 0:  # one more item of a list: "Tambah"
            page.click(f'button[value="{item.group(1)}"]:has-text("Tambah")')
        first = page.locator(f'[name="{name}"]').first
        kind = first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind in ("input:radio", "input:checkbox"):
            for v in values:
                page.check(f'[name="{name}"][value="{v}"]')
        elif kind.startswith("select"):
            first.select_option(values[0])
        else:
            first.fill(values[0])


def file_request(page: Any, base: str, overrides: dict[str, Any]) -> str:
    page.goto(f"{base}/permohonan/baru")
    fill(page, application(**overrides))
    page.click("button:has-text('Ajukan permohonan')")
    page.wait_for_url(re.compile(r".*/kasus/[0-9a-f-]{36}$"))
    assert "Permohonan diterima dengan nomor" in page.inner_text(".pesan-info")
    return str(page.url)


def complete(page: Any, base: str, case_number: str, step: Step, title: str) -> None:
    """From the inbox, open the case's task and complete its form."""
    page.goto(f"{base}/tugas")
    card = page.locator(".kartu", has_text=case_number).filter(has=page.locator(f"h2 >> text='{title}'"))
    card.locator("a:has-text('Kerjakan')").click()
    fill(page, step.payload())
    page.click("button.tombol:has-text('Selesaikan tugas')")
    page.wait_for_url(f"{base}/tugas")
    assert "selesai" in page.inner_text(".pesan-info")


@pytest.mark.parametrize(
    "name",
    [
        "mediated, after one incomplete file",
        "rejected by the Kepala Dinas",
        "parties decline (steps 5-6)",
        "referred: sexual violence (R2)",
    ],
)
def test_each_outcome_in_the_browser(server: str, new_page: Any, ctx: Any, name: str) -> None:
    overrides, path, outcome = PATHS[name]
    pages: dict[str, Any] = {}

    def as_worker(step: Step) -> Any:
        who = DEMO_USER[step.user or WORKER[step.element]]
        if who not in pages:
            pages[who] = sign_in(new_page, server, who)
        return pages[who]

    applicant = sign_in(new_page, server, "pemohon")
    pages["pemohon"] = applicant
    case_url = file_request(applicant, server, overrides)
    number = applicant.inner_text("h1").removeprefix("Kasus ").strip()
    catalog = _catalog(ctx)
    for step in path:
        complete(as_worker(step), server, number, step, catalog[step.element])
    applicant.goto(case_url)
    assert OUTCOME_TITLES[outcome] in applicant.inner_text(".ringkas")


def _catalog(ctx: Any) -> dict[str, str]:
    from engine.definitions import latest_definition_id

    with ctx.unit_of_work(write=False) as uow:
        definition = ctx.definitions.get(uow.session, latest_definition_id(uow.session, "mediasi_kekerasan"))
    return {element: info.title for element, info in definition.catalog.tasks.items()}


def test_an_invalid_submit_shows_field_errors_and_keeps_input(server: str, new_page: Any) -> None:
    applicant = sign_in(new_page, server, "pemohon")
    file_request(applicant, server, {})
    ketua = sign_in(new_page, server, "ketua_lppar")
    ketua.click("a:has-text('Kerjakan')")
    ketua.check('[name="berkas_lengkap"][value="false"]')
    ketua.click("button.tombol:has-text('Selesaikan tugas')")
    assert "Formulir belum dapat dikirim" in ketua.inner_text(".ringkasan-galat")
    error = ketua.locator("#f-catatan_kelengkapan-galat")
    assert error.inner_text() == "Wajib diisi."
    assert ketua.get_attribute("#f-catatan_kelengkapan", "aria-invalid") == "true"
    assert ketua.is_checked('[name="berkas_lengkap"][value="false"]')
    screenshot(ketua, "formulir-tugas-galat")


def test_withdrawal_from_the_case_page(server: str, new_page: Any) -> None:
    applicant = sign_in(new_page, server, "pemohon")
    case_url = file_request(applicant, server, {})
    applicant.fill("#alasan-cabut", "Korban memilih tidak melanjutkan.")
    applicant.click("button:has-text('Cabut persetujuan')")
    applicant.wait_for_url(case_url)
    assert "Dihentikan" in applicant.inner_text(".ringkas")


def test_case_page_diagram_highlights_the_current_task(server: str, new_page: Any) -> None:
    applicant = sign_in(new_page, server, "pemohon")
    case_url = file_request(applicant, server, {})
    ketua = sign_in(new_page, server, "ketua_lppar")
    ketua.goto(case_url)
    ketua.wait_for_selector("#diagram[data-ready='true']")
    active = ketua.locator('.djs-element.aktif[data-element-id="Task_periksa_kelengkapan"]')
    assert active.count() == 1
    assert ketua.locator('.djs-element.selesai[data-element-id="StartEvent_permohonan"]').count() == 1
    assert ketua.csp_violations == []
    screenshot(ketua, "halaman-kasus")
    ketua.goto(f"{server}/tugas")
    screenshot(ketua, "tugas-saya")


def test_a_form_without_its_csrf_token_is_refused(server: str, new_page: Any) -> None:
    applicant = sign_in(new_page, server, "pemohon")
    file_request(applicant, server, {})
    ketua = sign_in(new_page, server, "ketua_lppar")
    ketua.click("a:has-text('Kerjakan')")
    task_url = ketua.url
    response = ketua.request.post(task_url, form={"berkas_lengkap": "true", "aksi": "selesai"})
    assert response.status == 400 and "Formulir kedaluwarsa" in response.text()
    ketua.goto(f"{server}/tugas")
    assert ketua.locator("a:has-text('Kerjakan')").count() == 1  # nothing was completed


@pytest.mark.parametrize("who", ["pemohon", "ketua_lppar", "admin"])
def test_main_pages_do_not_scroll_sideways_on_a_phone(server: str, new_page: Any, who: str) -> None:
    applicant = sign_in(new_page, server, "pemohon", width=375, height=800)
    case_url = file_request(applicant, server, {})
    page = applicant if who == "pemohon" else sign_in(new_page, server, who, width=375, height=800)
    paths = {
        "pemohon": ["/kasus", "/permohonan/baru", case_url.removeprefix(server), "/notifikasi"],
        "ketua_lppar": ["/tugas", "/kasus", case_url.removeprefix(server), "/notifikasi"],
        "admin": ["/admin/pengguna"],
    }[who]
    if who == "ketua_lppar":
        page.goto(f"{server}/tugas")
        page.click("a:has-text('Kerjakan')")
        paths.append(page.url.removeprefix(server))
    for path in [*paths, "/"]:
        page.goto(f"{server}{path}")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
    anonymous = new_page(width=375, height=800)
    for path in ("/", "/masuk", "/daftar"):
        anonymous.goto(f"{server}{path}")
        width = anonymous.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
