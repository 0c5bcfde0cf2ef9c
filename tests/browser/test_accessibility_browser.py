"""In real Chromium at 1280 and 390 px: the main pages pass axe-core, never scroll sideways, and the
case diagram fits its box, zooms with its buttons and gives way to a list of steps on a phone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.browser.conftest import screenshot, sign_in
from tests.builders import TIM, TO_DECISION, application, steps, walk

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DEMO_ACCOUNT = {
    "ani": "pemohon",
    "rina": "ketua_lppar",
    "tono": "tim_teknis",
    "sari": "sekretaris",
    "kadin": "kepala_dinas",
}
WIDTHS = (1280, 390)
BLOCKING = ("serious", "critical")


def case_at_recommendation(ctx: EngineContext) -> CaseView:
    """A request checked, reviewed and given all four opinions: the Ketua's recommendation waits."""
    people = {name: user_service.actor_for(ctx, account) for name, account in DEMO_ACCOUNT.items()}
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM))
    return case


def decided_case(ctx: EngineContext) -> CaseView:
    """A request accepted by the Kepala Dinas: its response clock has stopped, so the dashboard charts it."""
    people = {name: user_service.actor_for(ctx, account) for name, account in DEMO_ACCOUNT.items()}
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    return walk(lambda: ctx, people, case, steps(*TO_DECISION, "Task_keputusan_kadin"))


def axe_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """Run axe-core in the page (injected by the driver, so no page ever loads it) and return its violations."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(source)
    result = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    return list(result["violations"])


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The violations that keep a page from being used: impact serious or critical, with where they are."""
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [{"target": n["target"], "summary": n.get("failureSummary", "")} for n in v["nodes"][:5]],
        }
        for v in violations
        if v["impact"] in BLOCKING
    ]


def sideways(page: Any) -> list[int]:
    """The document's width and the window's: the first larger means the page scrolls sideways."""
    return list(page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]"))


# Words in table cells drawn over more than one line: a header or value broken mid-word ("Berhen-ti").
# Only words of up to 24 letters count: a longer token, or an identifier such as a field's path
# (korban.0.nama), may break to fit a phone.
BROKEN_CELL_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("th, td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const word of node.data.matchAll(/(?<![\\p{L}\\p{N}_.])[\\p{L}\\p{N}]{1,24}(?![\\p{L}\\p{N}_.])/gu)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
        if (lines.size > 1) { broken.push(word[0]); }
      }
    }
  }
  return broken;
}"""

# Text of the server-drawn charts that runs past the chart's drawing: cut off where it is shown.
CLIPPED_CHART_TEXT = """() => Array.from(document.querySelectorAll("svg.grafik")).flatMap((svg) => {
  const width = svg.viewBox.baseVal.width;
  return Array.from(svg.querySelectorAll("text"))
    .filter((t) => { const box = t.getBBox(); return box.x < 0 || box.x + box.width > width; })
    .map((t) => t.textContent);
})"""


def six_pages(server: str, case: CaseView, width: int) -> list[tuple[str, Callable[[Any], Any]]]:
    """Each page with how to reach it: (name, opener taking a page factory) in reading order."""

    def login(new_page: Any) -> Any:
        page = new_page(width=width)
        page.goto(f"{server}/masuk")
        return page

    def inbox(new_page: Any) -> Any:
        page = sign_in(new_page, server, "ketua_lppar", width=width)
        page.goto(f"{server}/tugas")
        return page

    def task_form(new_page: Any) -> Any:
        page = inbox(new_page)
        page.locator(".kartu", has_text=case.number).locator("a:has-text('Kerjakan')").click()
        page.wait_for_selector("form.formulir")
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")  # the case's data too
        return page

    def case_page(new_page: Any) -> Any:
        page = sign_in(new_page, server, "ketua_lppar", width=width)
        page.goto(f"{server}/kasus/{case.id}")
        page.wait_for_selector("#diagram[data-ready='true']", state="attached")
        return page

    def dashboard(new_page: Any) -> Any:
        page = sign_in(new_page, server, "kepala_dinas", width=width)
        page.goto(f"{server}/dasbor")
        return page

    def audit(new_page: Any) -> Any:
        page = sign_in(new_page, server, "auditor", width=width)
        page.goto(f"{server}/audit/kasus/{case.id}")
        page.wait_for_selector("#diagram-langkah[data-ready='true']", state="attached")
        return page

    return [
        ("masuk", login),
        ("tugas", inbox),
        ("formulir-tugas", task_form),
        ("kasus", case_page),
        ("dasbor", dashboard),
        ("audit-kasus", audit),
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_main_pages_pass_axe_and_fit_the_screen(
    server: str, new_page: Any, ctx: EngineContext, axe_source: str, width: int
) -> None:
    case = case_at_recommendation(ctx)
    decided_case(ctx)  # a stopped clock: the dashboard draws its compliance chart too
    problems: dict[str, Any] = {}
    for name, open_page in six_pages(server, case, width):
        page = open_page(new_page)
        screenshot(page, f"{name}-{width}")
        checks = {
            "axe": blocking(axe_violations(page, axe_source)),
            "menggulir ke samping": [] if (size := sideways(page))[0] <= size[1] else size,
            "kata di tabel terpotong": page.evaluate(BROKEN_CELL_WORDS),
            "teks grafik terpotong": page.evaluate(CLIPPED_CHART_TEXT),
            "CSP": page.csp_violations,
        }
        problems.update({f"{name}: {check}": found for check, found in checks.items() if found})
        if name == "dasbor":
            assert page.locator("svg.grafik title#grafik-sla-judul").count() == 1  # its long values are checked
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


# How much of its box the drawn diagram fills, as shares of the box's width and height.
FILLED = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  const drawn = document.querySelector(selector + " svg .viewport").getBoundingClientRect();
  return [drawn.width / box.width, drawn.height / box.height];
}"""


def drawn_width(page: Any, selector: str) -> float:
    return float(page.evaluate(f"document.querySelector('{selector} svg .viewport').getBoundingClientRect().width"))


def assert_fits(page: Any, selector: str, *, fills_height: bool = True) -> None:
    """The whole diagram is in its box and fills most of it (a phone's flat box: most of its width)."""
    width, height = page.evaluate(FILLED, selector)
    assert 0.6 <= width <= 1.01 and height <= 1.01, (width, height)
    assert height >= 0.6 or not fills_height, (width, height)


def assert_zoom_buttons_zoom(page: Any, selector: str) -> None:
    fitted = drawn_width(page, selector)
    page.get_by_role("button", name="Perbesar diagram").click()
    larger = drawn_width(page, selector)
    assert larger > fitted * 1.1
    page.get_by_role("button", name="Perkecil diagram").click()
    page.get_by_role("button", name="Perkecil diagram").click()
    assert drawn_width(page, selector) < larger * 0.8
    page.get_by_role("button", name="Sesuaikan diagram dengan kotaknya").click()
    assert drawn_width(page, selector) == pytest.approx(fitted, rel=0.02)


def test_the_case_diagram_fills_its_box_and_zooms(server: str, new_page: Any, ctx: EngineContext) -> None:
    case = case_at_recommendation(ctx)
    ketua = sign_in(new_page, server, "ketua_lppar", width=1280)
    ketua.goto(f"{server}/kasus/{case.id}")
    ketua.wait_for_selector("#diagram[data-ready='true']")
    assert_fits(ketua, "#diagram")
    assert ketua.get_attribute("#diagram svg[tabindex]", "aria-label") == f"Diagram proses kasus {case.number}"
    assert_zoom_buttons_zoom(ketua, "#diagram")
    ketua.set_viewport_size({"width": 900, "height": 900})  # the box follows the window
    ketua.wait_for_function("() => document.querySelector('#diagram').getBoundingClientRect().width < 900")
    assert_fits(ketua, "#diagram")
    assert not ketua.locator("#bagan-tampilkan").is_visible()  # a wide screen shows the diagram itself

    auditor = sign_in(new_page, server, "auditor", width=1280)
    auditor.goto(f"{server}/audit/kasus/{case.id}")
    auditor.wait_for_selector("#diagram-langkah[data-ready='true']")
    assert_fits(auditor, "#diagram-langkah")
    assert_zoom_buttons_zoom(auditor, "#diagram-langkah")
    assert ketua.csp_violations == [] and auditor.csp_violations == []


def test_a_phone_lists_the_steps_and_opens_the_diagram_on_request(
    server: str, new_page: Any, ctx: EngineContext
) -> None:
    case = case_at_recommendation(ctx)
    ketua = sign_in(new_page, server, "ketua_lppar", width=390, height=844)
    ketua.goto(f"{server}/kasus/{case.id}")
    ketua.wait_for_selector("#diagram[data-ready='true']", state="attached")
    items = ketua.locator("#langkah-kasus li")
    assert items.count() == 8 and ketua.locator("#langkah-kasus").is_visible()
    assert items.nth(0).inner_text().startswith("Permohonan diajukan sudah dilalui")
    assert items.nth(2).inner_text().startswith("Telaah dan skrining permohonan sudah dilalui")
    assert items.nth(7).inner_text().startswith("Susun rekomendasi Ketua LP-PAR sedang berjalan")
    assert not ketua.locator("#diagram").is_visible()
    button = ketua.get_by_role("button", name="Tampilkan diagram")
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert ketua.locator("#diagram").is_visible()
    assert ketua.get_attribute("#bagan-tampilkan", "aria-expanded") == "true"
    assert_fits(ketua, "#diagram", fills_height=False)  # a wide diagram in a box no lower than 200 px
    document, window = sideways(ketua)
    assert document <= window
    screenshot(ketua, "kasus-390-diagram")
