"""In real Chromium: R12's follow-up monitoring, from the Tim Teknis' visit to the Ketua's safety referral.

The case is mediated in-process; the scheduler starts its follow-up, whose timer fires 30 days later.
Every page on the way is checked by axe-core and for sideways scrolling, at 1280 and 390 px.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.clock import FixedClock
from engine.context import EngineContext
from engine.scheduler import Scheduler
from engine.services import cases as case_service
from engine.services import follow_ups
from engine.services import users as user_service
from engine.services.timers import fire_due
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_accessibility_browser import (
    BROKEN_CELL_WORDS,
    DEMO_ACCOUNT,
    axe_violations,
    blocking,
    sideways,
)
from tests.browser.test_browser import fill
from tests.builders import ACCEPTED_TO_END, CLAUSES, TO_DECISION, application, steps, walk

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

OPENS = datetime(2026, 4, 16, 2, 0, 1, tzinfo=UTC)  # just past 09:00 WIB on the default follow-up day
WIDTHS = (1280, 390)
VISIT = {
    "tanggal_dipantau": "2026-04-16",
    "cara_pemantauan": "kunjungan",
    "kesepakatan_dipatuhi": "tidak_dipatuhi",
    "kekerasan_berulang": True,
    "catatan_pemantauan": "Nafkah tidak dibayar bulan ini.",
}
SAFETY = {
    "lembaga_rujukan": ["kepolisian", "uptd_ppa"],
    "pendampingan": True,
    "pendamping": "Wati Lestari, pendamping UPTD PPA",
    "rencana_keselamatan": "Korban tinggal sementara di rumah aman; kontak darurat UPTD PPA.",
}


def follow_up_waiting(ctx: EngineContext, clock: FixedClock) -> tuple[Any, str, uuid.UUID]:
    """A mediated case, and the number and id of its follow-up case, whose monitoring task is ready."""
    people = {name: user_service.actor_for(ctx, account) for name, account in DEMO_ACCOUNT.items()}
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION, *ACCEPTED_TO_END))
    (number,) = Scheduler(ctx).tick().follow_ups
    clock.set(OPENS)
    fire_due(ctx)
    link = follow_ups.link_of(ctx, case.id, people["rina"])
    assert link is not None and link.case_id is not None and link.number == number
    return case, number, link.case_id


def check_page(page: Any, axe: str, name: str, problems: dict[str, Any]) -> None:
    """Screenshot the page and collect what axe-core, the page's width and the CSP found wrong."""
    screenshot(page, name)
    checks = {
        "axe": blocking(axe_violations(page, axe)),
        "menggulir ke samping": [] if (size := sideways(page))[0] <= size[1] else size,
        "CSP": page.csp_violations,
    }
    problems.update({f"{name}: {check}": found for check, found in checks.items() if found})


def open_task(page: Any, base: str, number: str, title: str) -> None:
    page.goto(f"{base}/tugas")
    card = page.locator(".kartu", has_text=number).filter(has=page.locator(f"h2 >> text='{title}'"))
    card.locator("a:has-text('Kerjakan')").click()
    page.wait_for_selector("form.formulir")


def test_a_recurrence_found_on_the_follow_up_goes_to_the_ketua_and_ends_in_a_safety_referral(
    server: str, new_page: Any, ctx: EngineContext, clock: FixedClock, axe_source: str
) -> None:
    source, number, follow_id = follow_up_waiting(ctx, clock)
    problems: dict[str, Any] = {}

    # The Tim Teknis finds the card in the inbox: the victim's initials tell it apart; no applicant filed it.
    for width in WIDTHS:
        tim = sign_in(new_page, server, "tim_teknis", width=width)
        tim.goto(f"{server}/tugas")
        card = tim.locator(".kartu", has_text=number).inner_text()
        assert "Pantau pelaksanaan kesepakatan" in card and "Tidak ada (dimulai oleh sistem)" in card
        open_task(tim, server, number, "Pantau pelaksanaan kesepakatan")
        facts = tim.inner_text(".fakta-kasus")
        assert source.number in facts and "16 April 2026" in facts  # the case it follows up, its date in words
        assert tim.locator(".fakta-kasus .fakta-daftar li").all_inner_texts() == CLAUSES  # one clause per line
        check_page(tim, axe_source, f"pemantauan-formulir-{width}", problems)

    # A recurrence without its account is refused beside the field, every other answer kept.
    fill(tim, VISIT)
    tim.click("button.tombol:has-text('Selesaikan tugas')")
    assert "Formulir belum dapat dikirim" in tim.inner_text(".ringkasan-galat")
    assert tim.locator("#f-uraian_kekerasan_berulang-galat").count() == 1
    assert tim.locator("#f-catatan_pemantauan").input_value() == VISIT["catatan_pemantauan"]
    check_page(tim, axe_source, "pemantauan-galat-390", problems)
    fill(tim, {"uraian_kekerasan_berulang": "Terlapor kembali memukul korban pada 10 April 2026."})
    tim.click("button.tombol:has-text('Selesaikan tugas')")
    tim.wait_for_url(f"{server}/tugas")
    assert "selesai" in tim.inner_text(".pesan-info")

    # The Ketua LP-PAR refers the victim for her safety; the follow-up ends with its own outcome.
    ketua = sign_in(new_page, server, "ketua_lppar")
    open_task(ketua, server, number, "Tindak lanjut keselamatan korban")
    assert "Terlapor kembali memukul korban" in ketua.inner_text("main")
    check_page(ketua, axe_source, "tindak-lanjut-keselamatan-1280", problems)
    fill(ketua, SAFETY)
    ketua.click("button.tombol:has-text('Selesaikan tugas')")
    ketua.wait_for_url(f"{server}/tugas")
    assert "selesai" in ketua.inner_text(".pesan-info")

    # Each case page names the other; the follow-up's shows its outcome in words, at either width.
    for width in WIDTHS:
        page = sign_in(new_page, server, "ketua_lppar", width=width)
        page.goto(f"{server}/kasus/{follow_id}")
        shown = page.inner_text("main")
        assert "Kekerasan berulang: dirujuk demi keselamatan" in shown and "violence_recurred" not in shown
        assert f"Pemantauan pelaksanaan kesepakatan kasus {source.number}" in shown
        assert "Pemantauan dimulai" in shown and "Permohonan diajukan" not in shown  # the timeline and step list
        check_page(page, axe_source, f"pemantauan-kasus-{width}", problems)
        page.goto(f"{server}/kasus/{source.id}")
        page.click(f"a:has-text('{number}')")
        page.wait_for_url(re.compile(rf".*/kasus/{follow_id}$"))
    # The Kepala Dinas' dashboard counts the follow-up apart, its outcome in words, readable on a phone.
    for width in WIDTHS:
        kadin = sign_in(new_page, server, "kepala_dinas", width=width)
        kadin.goto(f"{server}/dasbor")
        assert " ".join(kadin.inner_text("#pemantauan").split()) == "Pemantauan terjadwal 1 Belum selesai 0"
        outcome = kadin.inner_text("#tabel-pemantauan-hasil tbody")
        assert " ".join(outcome.split()) == "Kekerasan berulang: dirujuk demi keselamatan 1"
        check_page(kadin, axe_source, f"dasbor-pemantauan-{width}", problems)
        if broken := kadin.evaluate(BROKEN_CELL_WORDS):
            problems[f"dasbor-pemantauan-{width}: kata di tabel terpotong"] = broken
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
