"""In real Chromium: due moments are coloured by where they stand, and the bell tells of new tasks and
escalations. The server's clock is the tests' fixed clock, moved by the test, never waited on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.clock import FixedClock
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import users as user_service
from engine.services.timers import fire_due
from tests.browser.conftest import sign_in
from tests.builders import application, steps, walk

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

TIM = ("Task_pendapat_psikologis", "Task_pendapat_hukum", "Task_pendapat_medis", "Task_pendapat_sosial")
TO_DECISION = steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM, "Task_rekomendasi_ketua")
DUE = datetime(2026, 3, 25, 7, tzinfo=UTC)  # the completeness check of a request filed 17 March, 09:00 WIB
COLOURS = {"segera": "rgb(255, 244, 214)", "terlambat": "rgb(253, 236, 234)"}


def badge(page: Any) -> tuple[str, str]:
    """The first inbox card's badge: its text and its background colour as drawn."""
    node = page.locator("ul .kartu .sla").first
    return node.inner_text(), node.evaluate("n => getComputedStyle(n).backgroundColor")


def unread(page: Any) -> str:
    return page.get_attribute("a.lonceng", "aria-label") or ""


def test_a_due_moment_turns_from_amber_to_red_and_the_bell_tells_of_the_task(
    server: str, new_page: Any, ctx: EngineContext, clock: FixedClock
) -> None:
    applicant = user_service.actor_for(ctx, "pemohon")
    case = case_service.start_case(ctx, actor=applicant, data=application())
    ketua = sign_in(new_page, server, "ketua_lppar")
    ketua.goto(f"{server}/tugas")
    assert badge(ketua) == ("Jatuh tempo dalam 1 hari kerja", COLOURS["segera"])
    assert ketua.inner_text("ul .kartu time.tenggat") == "Rab, 25 Mar 2026 14.00"  # shown in WIB
    assert unread(ketua) == "Notifikasi, 1 belum dibaca"
    clock.set(DUE + timedelta(minutes=1))
    ketua.reload()
    assert badge(ketua) == ("Terlambat", COLOURS["terlambat"])
    ketua.click("a.lonceng")
    ketua.wait_for_url(f"{server}/notifikasi")
    item = ketua.locator(".daftar-notifikasi li").first
    assert "Periksa kelengkapan berkas" in item.inner_text() and case.number in item.inner_text()
    assert ketua.locator(".daftar-notifikasi .lencana-baru").count() == 1  # new until this visit
    ketua.reload()
    assert unread(ketua) == "Notifikasi, tidak ada yang belum dibaca"
    assert ketua.locator(".daftar-notifikasi .lencana-baru").count() == 0
    assert ketua.csp_violations == []


def test_an_escalation_reaches_the_kepala_dinas_bell(
    server: str, new_page: Any, ctx: EngineContext, clock: FixedClock, people: dict[str, Any]
) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, TO_DECISION)
    kadin = sign_in(new_page, server, "kepala_dinas")
    kadin.goto(f"{server}/notifikasi")  # the decision task is news; read it
    clock.set(datetime(2026, 3, 25, 7, 1, tzinfo=UTC))  # the end of the first working day after it opened
    assert [f.elements for f in fire_due(ctx)] == [("BoundaryEvent_keputusan_1",)]
    kadin.goto(f"{server}/tugas")
    assert unread(kadin) == "Notifikasi, 1 belum dibaca"
    kadin.click("a.lonceng")
    item = kadin.locator(".daftar-notifikasi li").first
    assert f"Pengingat ke Kepala Dinas ({case.number})" in item.inner_text()
    assert "Eskalasi" in item.inner_text()
    item.locator("a").click()
    kadin.wait_for_url(f"{server}/kasus/{case.id}")
    assert "Timer berjalan" in kadin.inner_text("body")  # the firing is on the case's history
