"""Every code a person reads has its Indonesian label: outcomes, enum values, people, field titles."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from engine.actors import Actor
from engine.casework.views import CaseView
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import tasks as task_service
from tests.builders import ACCEPTED_TO_END, FORMS, TO_DECISION, application, as_form, ready_task, steps, walk
from tests.webapp.conftest import signed_in


@pytest.fixture
def case(ctx: EngineContext, accounts: dict[str, Actor]) -> CaseView:
    """Ani's request (a male respondent), checked by Rina: the screening review waits."""
    started = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    walk(lambda: ctx, accounts, started, steps("Task_periksa_kelengkapan"))
    return started


def text_of(page: str) -> str:
    """The page's words, tags stripped and entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_a_mediated_case_reads_its_outcome_in_indonesian(
    web: Flask, ctx: EngineContext, clock: FixedClock, accounts: dict[str, Actor]
) -> None:
    started = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    mediation = ACCEPTED_TO_END.index("Task_laksanakan_mediasi")
    walk(lambda: ctx, accounts, started, steps(*TO_DECISION, *ACCEPTED_TO_END[:mediation]))
    clock.advance(timedelta(days=10))  # the mediation is recorded after the day it was held
    walk(lambda: ctx, accounts, started, steps(*ACCEPTED_TO_END[mediation:-1]))
    task_id = ready_task(ctx, started.id, "Task_dokumentasi")
    sari = signed_in(web, "sari")
    done = sari.post(
        f"/tugas/{task_id}", data={**as_form(FORMS["Task_dokumentasi"]), "aksi": "selesai"}, follow_redirects=True
    )
    flashed = text_of(done.get_data(as_text=True))
    assert f"Kasus {started.number} selesai dengan hasil: Mediasi dilaksanakan." in flashed
    assert "mediated" not in flashed
    case_page = text_of(signed_in(web, "rina").get(f"/kasus/{started.id}").get_data(as_text=True))
    assert "Hasil Mediasi dilaksanakan" in case_page and "mediated" not in case_page
    listed = text_of(signed_in(web, "rina").get("/kasus").get_data(as_text=True))
    assert "Selesai · Mediasi dilaksanakan" in listed


def test_enum_values_read_their_form_titles_in_groups_too(web: Flask, ctx: EngineContext, case: CaseView) -> None:
    task_id = ready_task(ctx, case.id, "Task_telaah_permohonan")
    page = text_of(signed_in(web, "rina").get(f"/tugas/{task_id}").get_data(as_text=True))
    assert "Jenis kelamin: Laki-laki, Nama terlapor: Bambang, Umur (tahun): 38" in page  # inside a group
    assert "Hubungan korban dengan terlapor Mantan suami/istri" in page
    assert "laki_laki" not in page and "mantan_suami_istri" not in page  # the words a person reads, tags stripped


def test_people_read_as_full_names_and_the_cli_as_sistem(
    web: Flask, ctx: EngineContext, accounts: dict[str, Actor], case: CaseView
) -> None:
    task_id = ready_task(ctx, case.id, "Task_telaah_permohonan")
    task_service.claim_task(ctx, actor=accounts["rina"], task_id=task_id)
    rina = signed_in(web, "rina")
    assert "Diambil Rina Ketua" in text_of(rina.get(f"/tugas/{task_id}").get_data(as_text=True))
    timeline = text_of(rina.get(f"/kasus/{case.id}").get_data(as_text=True))
    assert "oleh Ani Pemohon" in timeline and "oleh Rina Ketua" in timeline and "oleh rina" not in timeline
    versions = text_of(signed_in(web, "olga").get("/proses").get_data(as_text=True))
    assert "Sistem (CLI: test)" in versions and "cli:test" not in versions
    system_chain = signed_in(web, "audi").get("/audit/rantai/sistem").get_data(as_text=True)
    assert 'title="cli:test">Sistem (CLI: test)</td>' in system_chain  # the account name stays at hand


def test_a_page_looks_its_people_up_in_one_query(
    web: Flask, ctx: EngineContext, accounts: dict[str, Actor], case: CaseView
) -> None:
    walk(lambda: ctx, accounts, case, steps("Task_telaah_permohonan", "Task_pendapat_psikologis"))
    client = signed_in(web, "rina")
    lookups: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "user_account.full_name" in statement and "user_account.username IN" in statement:
            lookups.append(statement)

    event.listen(ctx.database.engine, "before_cursor_execute", watch)
    try:
        page = text_of(client.get(f"/kasus/{case.id}").get_data(as_text=True))
    finally:
        event.remove(ctx.database.engine, "before_cursor_execute", watch)
    assert "oleh Ani Pemohon" in page and "oleh Rina Ketua" in page and "oleh Tono Tim Teknis" in page
    assert len(lookups) == 1


def test_the_audit_page_gives_the_replay_field_titles_value_titles_and_names(web: Flask, case: CaseView) -> None:
    page = signed_in(web, "audi").get(f"/audit/kasus/{case.id}").get_data(as_text=True)

    def attribute(name: str) -> Any:
        match = re.search(rf"data-{name}='([^']*)'", page)
        assert match, name
        return json.loads(html.unescape(match.group(1)))

    fields = attribute("fields")
    assert fields["labels"]["korban.jenis_kelamin"] == "Jenis kelamin"
    assert fields["labels"]["hubungan_korban_terlapor"] == "Hubungan korban dengan terlapor"
    assert fields["values"]["terlapor.jenis_kelamin"]["laki_laki"] == "Laki-laki"
    assert attribute("people") == {"ani": "Ani Pemohon", "rina": "Rina Ketua"}
    history = text_of(page[page.index('id="riwayat-judul"') :])
    assert "Ani Pemohon" in history and "Rina Ketua" in history


def test_the_api_keeps_the_codes(ctx: EngineContext, api: Any, accounts: dict[str, Actor], case: CaseView) -> None:
    events = api("rina").get(f"/cases/{case.id}/events").json
    assert [e["actor"] for e in events] == ["ani", "rina"]  # machine-readable: usernames, not display names
