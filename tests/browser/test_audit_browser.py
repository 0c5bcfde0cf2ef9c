"""In real Chromium: the auditor moves the step slider and the diagram, the people and the diff follow."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.browser.conftest import screenshot, sign_in
from tests.builders import TIM, application, steps, walk

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# The builders' workers, played by the demo accounts the server fixture creates.
DEMO_ACCOUNT = {"ani": "pemohon", "rina": "ketua_lppar", "tono": "tim_teknis", "sari": "sekretaris"}


def case_at_recommendation(ctx: EngineContext) -> CaseView:
    """A request checked, reviewed and given all four opinions: seven steps, the recommendation waits."""
    people = {name: user_service.actor_for(ctx, account) for name, account in DEMO_ACCOUNT.items()}
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM))
    return case


def sign_in_as_auditor(new_page: Any, base: str, **viewport: int) -> Any:
    return sign_in(new_page, base, "auditor", **viewport)


def marks(page: Any, element: str) -> set[str]:
    classes = page.get_attribute(f'#diagram-langkah .djs-element[data-element-id="{element}"]', "class")
    return set(classes.split()) & {"selesai", "aktif"}


def open_replay(page: Any, base: str, case: CaseView) -> None:
    page.goto(f"{base}/audit/kasus/{case.id}")
    page.wait_for_selector("#putar-ulang[data-ready='true']")
    page.wait_for_selector("#diagram-langkah[data-ready='true']")


def test_the_step_slider_moves_diagram_people_and_diff(server: str, new_page: Any, ctx: EngineContext) -> None:
    case = case_at_recommendation(ctx)
    auditor = sign_in_as_auditor(new_page, server)
    open_replay(auditor, server, case)
    label = auditor.locator("#langkah-teks")
    assert label.inner_text() == "Langkah 7 dari 7"  # the replay opens on the case as it is now
    assert marks(auditor, "Task_rekomendasi_ketua") == {"aktif"}
    assert marks(auditor, "Task_telaah_permohonan") == {"selesai"}

    auditor.focus("#langkah")
    auditor.keyboard.press("Home")
    assert label.inner_text() == "Langkah 1 dari 7"
    assert auditor.inner_text("#langkah-oleh") == "Siti Aminah"  # the demo applicant, by full name
    assert marks(auditor, "StartEvent_permohonan") == {"selesai"}
    assert marks(auditor, "Task_periksa_kelengkapan") == {"aktif"}
    assert marks(auditor, "Task_rekomendasi_ketua") == set()
    first_diff = auditor.inner_text("#langkah-selisih")
    assert "Ditambahkan" in first_diff and "Diubah" not in first_diff  # the request's data, all new
    data = auditor.locator("#langkah-data tr", has_text="korban.0.jenis_kelamin").inner_text()
    assert "Korban 1 › Jenis kelamin" in data and "Perempuan" in data  # field and value titles, the key beside
    respondent = auditor.locator("#langkah-selisih tr", has_text="Terlapor (terduga pelaku)").inner_text()
    assert "Jenis kelamin: Laki-laki" in respondent and "laki_laki" not in respondent  # a group, in words

    auditor.keyboard.press("ArrowRight")
    auditor.keyboard.press("ArrowRight")
    assert label.inner_text() == "Langkah 3 dari 7"
    assert auditor.get_attribute("#langkah", "aria-valuetext") == "Langkah 3 dari 7"
    assert auditor.inner_text("#langkah-oleh") == "Rina Hartati"
    assert "Telaah dan skrining permohonan" in auditor.inner_text("#langkah-peristiwa")
    assert marks(auditor, "Task_periksa_kelengkapan") == {"selesai"}
    assert marks(auditor, "Task_telaah_permohonan") == {"selesai"}
    assert marks(auditor, "Task_pendapat_psikologis") == {"aktif"}
    third_diff = auditor.inner_text("#langkah-selisih")
    assert third_diff != first_diff and "catatan_telaah" in third_diff
    assert auditor.locator("#langkah-data tr.berubah").count() >= 1

    auditor.click("tr[data-seq='2'] button:has-text('Langkah 2')")  # from the timeline
    assert label.inner_text() == "Langkah 2 dari 7"
    assert auditor.locator("tr.terpilih").get_attribute("data-seq") == "2"
    auditor.click("#langkah-sesudah")
    assert label.inner_text() == "Langkah 3 dari 7"
    assert auditor.csp_violations == []
    screenshot(auditor, "audit-putar-ulang")

    phone = sign_in_as_auditor(new_page, server, width=375, height=800)
    for path in ("/audit", f"/audit/kasus/{case.id}", f"/audit/kasus/{case.id}/akses", "/audit/rantai/akses"):
        phone.goto(f"{server}{path}")
        if path == f"/audit/kasus/{case.id}":
            phone.wait_for_selector("#diagram-langkah[data-ready='true']")
            screenshot(phone, "audit-putar-ulang-ponsel")
        width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)


def test_a_replay_that_parts_from_the_record_says_where(server: str, new_page: Any, ctx: EngineContext) -> None:
    case = case_at_recommendation(ctx)
    with ctx.database.engine.begin() as connection:  # the record now says step 3 opened the recommendation
        connection.execute(text("update case_task set opened_seq = 3 where element = 'Task_rekomendasi_ketua'"))
    auditor = sign_in_as_auditor(new_page, server)
    open_replay(auditor, server, case)
    alert = auditor.locator("#putar-selisih")
    assert alert.is_visible() and "tidak cocok" in alert.inner_text() and "Langkah 3" in alert.inner_text()
    assert auditor.inner_text("#langkah-teks") == "Langkah 2 dari 7"
    assert auditor.get_attribute("#langkah", "max") == "2"


def test_steps_before_a_migration_show_the_version_they_ran_on(server: str, new_page: Any, ctx: EngineContext) -> None:
    from engine.actors import Actor
    from engine.services import migration
    from tests.engine.test_migration import KEY, deploy, without_medis

    people = {name: user_service.actor_for(ctx, account) for name, account in DEMO_ACCOUNT.items()}
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    deploy(ctx, without_medis())
    operator = Actor.operator("cli:test")
    assert migration.migrate_cases(ctx, actor=operator, key=KEY, from_version=1, to_version=2)[0].migrated
    auditor = sign_in_as_auditor(new_page, server)
    open_replay(auditor, server, case)
    medis = '#diagram-langkah .djs-element[data-element-id="Task_pendapat_medis"]'
    assert auditor.locator("#langkah-teks").inner_text() == "Langkah 2 dari 2"  # filed, then migrated
    assert auditor.locator(medis).count() == 0  # version 2 has no medical opinion
    auditor.focus("#langkah")
    auditor.keyboard.press("Home")
    auditor.wait_for_selector(medis)  # version 1's diagram, loaded for the step before the migration
    auditor.wait_for_selector("#diagram-langkah[data-ready='true']")
    assert marks(auditor, "Task_periksa_kelengkapan") == {"aktif"}  # step 1, on version 1's diagram
