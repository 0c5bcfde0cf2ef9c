"""R12 on the case pages: the ended case names its follow-up and its date, the follow-up its source."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.legal import follow_up
from engine.persistence.models import Case
from engine.scheduler import Scheduler
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services.timers import fire_due
from tests.builders import ACCEPTED_TO_END, CLAUSES, TO_DECISION, application, as_form, ready_task, steps, walk
from tests.webapp.conftest import signed_in

KEPT = {
    "tanggal_dipantau": "2026-04-16",
    "cara_pemantauan": "telepon",
    "kesepakatan_dipatuhi": "dipatuhi",
    "kekerasan_berulang": False,
    "catatan_pemantauan": "Nafkah dibayar; korban merasa aman.",
}


def text_of(page: bytes) -> str:
    """The page's words, tags stripped (no space left before the punctuation after a link)."""
    words = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.decode())))
    return re.sub(r" ([,.:])", r"\1", words)


def test_the_pages_link_a_mediated_case_and_its_follow_up(
    web: Flask, ctx: EngineContext, clock: FixedClock, accounts: dict[str, Actor]
) -> None:
    case = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    walk(lambda: ctx, accounts, case, steps(*TO_DECISION, *ACCEPTED_TO_END))
    rina = signed_in(web, "rina")
    before = text_of(rina.get(f"/kasus/{case.id}").data)
    assert "Pemantauan kesepakatan dijadwalkan pada 16 April 2026." in before  # not started yet
    (number,) = Scheduler(ctx).tick().follow_ups
    source_page = text_of(rina.get(f"/kasus/{case.id}").data)
    assert f"Pemantauan kesepakatan dijadwalkan pada 16 April 2026: {number}" in source_page
    assert "follow_up_scheduled" not in source_page  # the timeline names the event in Indonesian

    clock.set(datetime(2026, 4, 16, 2, 0, 1, tzinfo=UTC))
    fire_due(ctx)
    task_id = ready_task(ctx, _case_id(ctx, number), "Task_pantau_kesepakatan")
    tono = signed_in(web, "tono")
    page = tono.get(f"/tugas/{task_id}").data.decode()
    form = text_of(page.encode())
    assert "Pantau pelaksanaan kesepakatan" in form and case.number in form  # the source, as a case fact
    assert "Tanggal pemantauan 16 April 2026" in form and "2026-04-16" not in form  # a date in words
    clauses = re.search(r'<ul class="fakta-daftar">(.*?)</ul>', page, re.S)
    assert clauses is not None and [html.unescape(c) for c in re.findall(r"<li>(.*?)</li>", clauses[1])] == CLAUSES
    done = tono.post(f"/tugas/{task_id}", data={**as_form(KEPT), "aksi": "selesai"}, follow_redirects=True)
    assert f"Kasus {number} selesai dengan hasil: Kesepakatan dipatuhi." in text_of(done.data)
    follow_page = text_of(tono.get(f"/kasus/{_case_id(ctx, number)}").data)
    assert f"Pemantauan pelaksanaan kesepakatan kasus {case.number}, pada 16 April 2026." in follow_page
    assert "Kesepakatan dipatuhi" in follow_page  # the outcome's title, not its code
    assert "agreement_kept" not in follow_page
    assert "Pemohon Tidak ada (dimulai oleh sistem)" in follow_page and "Dimulai Sel, 17 Mar 2026" in follow_page
    assert "Pemantauan dimulai oleh Sistem (penjadwal)" in follow_page and "Permohonan diajukan" not in follow_page
    assert "Skrining hukum" not in follow_page and "Cabut persetujuan" not in follow_page  # no mediation here
    board = text_of(signed_in(web, "kadin").get("/dasbor").data)
    assert "Pemantauan kesepakatan Pemantauan terjadwal 1 Belum selesai 0" in board
    assert "Pemantauan yang sudah selesai menurut hasilnya. Hasil Jumlah kasus Kesepakatan dipatuhi 1" in board
    ani_page = text_of(signed_in(web, "ani").get(f"/kasus/{case.id}").data)
    assert f"Pemantauan kesepakatan dijadwalkan pada 16 April 2026: {number}." in ani_page
    assert signed_in(web, "ani").get(f"/kasus/{_case_id(ctx, number)}").status_code in (403, 404)


def _case_id(ctx: EngineContext, number: str) -> object:
    return case_queries.get_case(ctx, number).id


def test_the_statistics_api_counts_follow_ups_apart(
    api: Callable[[str], Any], ctx: EngineContext, accounts: dict[str, Actor]
) -> None:
    case = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    walk(lambda: ctx, accounts, case, steps(*TO_DECISION, *ACCEPTED_TO_END))
    body = api("kadin").get("/statistics").json
    assert body["follow_ups"] == {"total": 1, "open": 1, "by_outcome": []}
    assert body["cases"] == 1


def test_the_api_files_no_follow_up_by_hand(api: Callable[[str], Any], ctx: EngineContext) -> None:
    for who in ("ani", "rina", "dewi"):
        response = api(who).post("/cases", json={"process": follow_up.PROCESS, "data": {}})
        assert response.status_code == 403
        assert response.json["error"] == "forbidden" and "dimulai oleh mesin" in response.json["message"]
    with ctx.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 0
