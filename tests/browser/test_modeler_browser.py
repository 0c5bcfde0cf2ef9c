"""In real Chromium: the shipped diagram round-trips through the bpmn-js modeler and still runs every path;
a broken diagram's problems point at their elements; the form editor previews as it is typed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from engine.actors import Actor
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import process_drafts as drafts
from engine.services import queries as case_queries
from engine.services import users as user_service
from tests.browser.conftest import screenshot, sign_in
from tests.builders import application, walk
from tests.engine.test_paths import PATHS
from tests.engine.test_process_drafts import BROKEN, KEY, SHIPPED, broken, with_timer

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def sign_in_as_process_owner(new_page: Any, base: str, **viewport: int) -> Any:
    return sign_in(new_page, base, "process_owner", **viewport)


def open_modeler(page: Any) -> None:
    page.wait_for_selector("#pemodel[data-ready='true']")


def element(page: Any, element_id: str) -> Any:
    return page.locator(f'#kanvas .djs-element[data-element-id="{element_id}"]')


def pick(page: Any, element_id: str, **click: Any) -> None:
    """Click an element on the canvas, after a click on empty canvas closes the last one's context pad."""
    page.locator("#kanvas").click(position={"x": 4, "y": 4})
    element(page, element_id).click(**click)


def classes(page: Any, element_id: str) -> set[str]:
    return set((element(page, element_id).get_attribute("class") or "").split())


def test_the_shipped_diagram_round_trips_and_every_path_runs_on_the_export(
    server: str, new_page: Any, ctx: EngineContext, people: dict[str, Actor]
) -> None:
    page = sign_in_as_process_owner(new_page, server)
    page.click("nav a:has-text('Proses')")
    page.click("a:has-text('Versi 1')")
    page.wait_for_selector("#diagram[data-ready='true']")
    page.click("button:has-text('Ubah di modeler')")
    open_modeler(page)
    assert page.get_attribute("#pemodel", "data-import-warnings") == "0"

    # The side panel shows what the engine reads, and edits it.
    pick(page, "Task_koordinasi")
    assert page.input_value("#sifat-formulir") == "koordinasi_pihak_terkait.json"
    instructions = "Hubungi kelurahan dan keluarga; catat kesediaan mereka."
    page.fill("#sifat-petunjuk", instructions)
    page.locator("#sifat-petunjuk").blur()
    pick(page, "Flow_pihak_bersedia__arahan_sekretaris_label")  # a flow's label selects the flow
    assert page.input_value("#sifat-kondisi") == "pihak_terkait_bersedia == True"
    pick(page, "EndEvent_tidak_dapat")
    assert page.input_value("#sifat-hasil") == "parties_declined"
    page.locator("#kanvas").hover()
    page.mouse.wheel(-200, 0)  # scroll the diagram right, clear of the palette, to reach a lane's header
    pick(page, "Lane_tim", position={"x": 15, "y": 60})
    checked = page.eval_on_selector_all("#sifat-peran input:checked", "boxes => boxes.map(b => b.value)")
    assert checked == ["tim_teknis", "sekretaris"]
    assert page.csp_violations == []
    screenshot(page, "pemodel")

    page.click("#terapkan")
    page.wait_for_url(re.compile(rf".*/proses/{KEY}/2$"))
    assert "Versi 2 diterapkan" in page.inner_text("main")
    page.click("button:has-text('Lihat perbedaan')")  # versi 1 against versi 2
    page.wait_for_selector("#diagram-baru[data-ready='true']")
    page.wait_for_selector("#diagram-lama[data-ready='true']")
    assert page.locator("#daftar-ubah > li").evaluate_all("items => items.map(i => i.dataset.element)") == [
        "Task_koordinasi"
    ]
    for diagram, version in (("#diagram-baru", 2), ("#diagram-lama", 1)):
        marked = page.get_attribute(f'{diagram} .djs-element[data-element-id="Task_koordinasi"]', "class")
        assert "beda-ubah" in marked.split()
        # Nothing focusable sits inside an image: the box has no role, its focusable canvas is the named image.
        assert page.get_attribute(diagram, "role") is None
        canvas = page.locator(f"{diagram} svg[tabindex]")
        assert (canvas.get_attribute("role"), canvas.get_attribute("aria-label")) == ("img", f"Diagram versi {version}")
    assert page.locator(".diagram-beda [role='img'] [tabindex], .diagram-beda[role]").count() == 0
    screenshot(page, "proses-perbedaan")
    assert page.csp_violations == []

    version = drafts.get_version(ctx, actor=people["olga"], key=KEY, version=2)
    assert version.version.deployed_by == "process_owner"
    assert version.xml != drafts.get_version(ctx, actor=people["olga"], key=KEY, version=1).xml  # bpmn-js's export
    assert "<bpmn:documentation>" + instructions in version.xml
    for name, (overrides, path, outcome) in PATHS.items():
        case = case_service.start_case(ctx, actor=people["ani"], data=application(**overrides))
        assert case.process_version == 2, name
        assert walk(lambda: ctx, people, case, path).outcome == outcome, name
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    case_service.withdraw_case(ctx, actor=people["ani"], case_ref=case.id, reason="Korban mencabut persetujuan.")
    assert case_queries.get_case(ctx, case.number).outcome == "withdrawn"
    koordinasi = case_service.start_case(ctx, actor=people["ani"], data=application())
    assert koordinasi.process_version == 2


@pytest.mark.parametrize("name", ["task outside any lane", "JUEL condition"])
def test_a_problem_links_to_its_element(name: str, server: str, new_page: Any, ctx: EngineContext) -> None:
    owner = user_service.actor_for(ctx, "process_owner")
    draft_id = drafts.create_draft(ctx, actor=owner, key=KEY, version=1)
    drafts.save_draft(ctx, actor=owner, draft_id=draft_id, revision=1, xml=broken(name).encode())
    target = BROKEN[name][2]
    page = sign_in_as_process_owner(new_page, server)
    page.goto(f"{server}/proses/draf/{draft_id}")
    open_modeler(page)
    assert "galat-elemen" not in classes(page, target)

    page.click("#validasi")
    page.wait_for_selector("#hasil-validasi.ada-masalah")
    problem = page.locator(f'#masalah li[data-element="{target}"] button').first
    assert re.match(r"Baris \d+: ", problem.inner_text())
    assert "galat-elemen" in classes(page, target)  # every problem's element is marked
    assert "selected" not in classes(page, target)
    problem.click()
    assert {"selected", "galat-elemen"} <= classes(page, target)
    assert target in page.inner_text("#panel-isi")
    assert page.csp_violations == []
    screenshot(page, f"pemodel-masalah-{target}")


def test_lane_roles_follow_their_lane_into_the_draft(server: str, new_page: Any, ctx: EngineContext) -> None:
    owner = user_service.actor_for(ctx, "process_owner")
    draft_id = drafts.create_draft(ctx, actor=owner, key=KEY, version=1)
    page = sign_in_as_process_owner(new_page, server)
    page.goto(f"{server}/proses/draf/{draft_id}")
    open_modeler(page)
    page.locator("#kanvas").hover()
    page.mouse.wheel(-200, 0)  # clear of the palette
    pick(page, "Lane_kadin", position={"x": 15, "y": 40})
    page.fill("#sifat-nama", "Kepala Dinas DPMPPA")
    page.locator("#sifat-nama").press("Enter")
    assert page.is_checked("#sifat-peran input[value='kepala_dinas']")  # the roles stayed with the lane
    page.check("#sifat-peran input[value='sekretaris']")
    page.click("#simpan-draf")
    page.wait_for_selector("#pemodel[data-revision='2']")
    lanes = drafts.get_draft(ctx, actor=owner, draft_id=draft_id).lane_roles
    assert lanes["Kepala Dinas DPMPPA"] == ["kepala_dinas", "sekretaris"] and "Kepala Dinas" not in lanes

    pick(page, "Lane_kadin", position={"x": 15, "y": 40})
    page.uncheck("#sifat-peran input[value='kepala_dinas']")
    page.uncheck("#sifat-peran input[value='sekretaris']")
    page.click("#validasi")
    page.wait_for_selector("#hasil-validasi.ada-masalah")
    assert page.locator('#masalah li[data-element="Lane_kadin"]').count() == 1
    assert drafts.get_draft(ctx, actor=owner, draft_id=draft_id).lane_roles["Kepala Dinas DPMPPA"] == []


def test_a_timer_expression_is_edited_and_checked(server: str, new_page: Any, ctx: EngineContext) -> None:
    owner = user_service.actor_for(ctx, "process_owner")
    draft_id = drafts.create_draft(ctx, actor=owner, key=KEY, version=1)
    drafts.save_draft(ctx, actor=owner, draft_id=draft_id, revision=1, xml=with_timer().encode())
    assert drafts.validate_draft(ctx, actor=owner, draft_id=draft_id) == []
    page = sign_in_as_process_owner(new_page, server)
    page.goto(f"{server}/proses/draf/{draft_id}")
    open_modeler(page)
    assert page.get_attribute("#pemodel", "data-import-warnings") == "0"
    pick(page, "Timer_tunggu")
    assert page.input_value("#sifat-jenis-timer") == "timeDuration"
    assert page.input_value("#sifat-timer") == '"P1D"'
    page.fill("#sifat-timer", "P2D")  # unquoted: not a Python expression
    page.locator("#sifat-timer").press("Enter")
    page.click("#validasi")
    page.wait_for_selector("#hasil-validasi.ada-masalah")
    problem = page.locator('#masalah li[data-element="Timer_tunggu"]')
    assert "harus dikutip" in problem.inner_text()
    pick(page, "Timer_tunggu")
    page.fill("#sifat-timer", '"P2D"')
    page.locator("#sifat-timer").press("Enter")
    page.click("#validasi")
    page.wait_for_selector("#hasil-validasi.lolos")
    saved = drafts.get_draft(ctx, actor=owner, draft_id=draft_id).xml
    assert '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P2D"</bpmn:timeDuration>' in saved


def test_the_form_editor_checks_and_previews_as_it_is_typed(server: str, new_page: Any, ctx: EngineContext) -> None:
    owner = user_service.actor_for(ctx, "process_owner")
    draft_id = drafts.create_draft(ctx, actor=owner, key=KEY, version=1)
    page = sign_in_as_process_owner(new_page, server)
    page.goto(f"{server}/proses/draf/{draft_id}")
    page.click("a:has-text('koordinasi_pihak_terkait.json')")
    assert "Hasil koordinasi" in page.inner_text("#pratinjau")  # the preview, rendered with the page
    schema = json.loads(page.input_value("#skema"))

    page.fill("#skema", '{"type": "object",')
    assert "JSON tidak valid" in page.inner_text("#skema-periksa")
    assert page.get_attribute("#skema", "aria-invalid") == "true"

    schema["properties"]["catatan_baru"] = {"type": "string", "title": "Catatan baru", "maxLength": 100}
    page.fill("#skema", json.dumps(schema, indent=2))
    page.wait_for_selector("#pratinjau label:has-text('Catatan baru')")
    assert page.inner_text("#skema-periksa") == "JSON valid."

    del schema["additionalProperties"]
    page.fill("#skema", json.dumps(schema, indent=2))
    page.wait_for_selector("#pratinjau-galat:not([hidden])")
    assert "additionalProperties" in page.inner_text("#pratinjau-galat")
    schema["additionalProperties"] = False
    page.fill("#skema", json.dumps(schema, indent=2))
    page.wait_for_selector("#pratinjau-galat[hidden]", state="attached")
    assert page.csp_violations == []
    screenshot(page, "editor-formulir")
    page.click("button:has-text('Simpan formulir')")
    assert "disimpan di draf" in page.inner_text("main")
    saved = drafts.get_draft(ctx, actor=owner, draft_id=draft_id).forms["koordinasi_pihak_terkait.json"]
    assert json.loads(saved) == schema


def test_process_pages_fit_a_phone(server: str, new_page: Any, ctx: EngineContext) -> None:
    owner = user_service.actor_for(ctx, "process_owner")
    renamed = drafts.create_draft(ctx, actor=owner, key=KEY, version=1)
    xml = SHIPPED.replace('name="Catat rujukan"', 'name="Catat rujukan dan pendampingan"').encode()
    drafts.save_draft(ctx, actor=owner, draft_id=renamed, revision=1, xml=xml)
    drafts.deploy_draft(ctx, actor=owner, draft_id=renamed, revision=2)
    draft_id = drafts.create_draft(ctx, actor=owner, key=KEY, version=1)
    phone = sign_in_as_process_owner(new_page, server, width=375, height=800)
    paths = [
        "/proses",
        f"/proses/{KEY}/1",
        f"/proses/{KEY}/1/formulir",
        f"/proses/draf/{draft_id}",
        f"/proses/draf/{draft_id}/formulir/koordinasi_pihak_terkait.json",
        f"/proses/{KEY}/diff?dari=1&ke=2",
    ]
    for path in paths:
        phone.goto(f"{server}{path}")
        if path.endswith(str(draft_id)):
            open_modeler(phone)
            screenshot(phone, "pemodel-ponsel")
        width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
    assert phone.csp_violations == []


def test_service_levels_and_escalation_are_edited_and_checked(server: str, new_page: Any, ctx: EngineContext) -> None:
    owner = user_service.actor_for(ctx, "process_owner")
    draft_id = drafts.create_draft(ctx, actor=owner, key=KEY, version=1)
    page = sign_in_as_process_owner(new_page, server)
    page.goto(f"{server}/proses/draf/{draft_id}")
    open_modeler(page)
    pick(page, "Task_telaah_permohonan")
    assert page.input_value("#sifat-slaStart") == "respons:5 penyelesaian:14"
    pick(page, "BoundaryEvent_keputusan_2")
    assert page.input_value("#sifat-notifyRoles") == "ketua_lppar"
    assert page.input_value("#sifat-timer") == "hari_kerja(2)"
    page.fill("#sifat-notifyRoles", "camat")  # no such role
    page.locator("#sifat-notifyRoles").press("Enter")
    pick(page, "Task_rekomendasi_ketua")
    page.fill("#sifat-slaDue", "2h")
    page.locator("#sifat-slaDue").press("Enter")
    page.click("#validasi")
    page.wait_for_selector("#hasil-validasi.ada-masalah")
    problem = page.locator('#masalah li[data-element="BoundaryEvent_keputusan_2"]')
    assert "peran yang tidak dikenal: camat" in problem.inner_text()
    pick(page, "BoundaryEvent_keputusan_2")
    page.fill("#sifat-notifyRoles", "ketua_lppar,kepala_dinas")
    page.locator("#sifat-notifyRoles").press("Enter")
    page.click("#validasi")
    page.wait_for_selector("#hasil-validasi.lolos")
    saved = drafts.get_draft(ctx, actor=owner, draft_id=draft_id).xml
    assert '<spiffworkflow:property name="slaDue" value="2h" />' in saved
    assert '<spiffworkflow:property name="notifyRoles" value="ketua_lppar,kepala_dinas" />' in saved
