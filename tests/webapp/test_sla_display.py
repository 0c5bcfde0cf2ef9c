"""Due moments and SLA states on the inbox, the case list, the case page and in the API.

The clock stands at Tuesday 17 March 2026, 09:00 WIB. The next working day is Wednesday 25 March
(cuti bersama 18, 20, 23, 24; Nyepi 19; Idul Fitri on the weekend), so a task due then is due within
one working day, one due on the 26th is on time, and one due on Monday the 16th is overdue.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import event, update

from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import Case, CaseTask, User
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.builders import application
from tests.webapp.conftest import PASSWORD, signed_in

WIB = ZoneInfo("Asia/Jakarta")
CASES = Case.__table__


def wib(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


ON_TIME, DUE_SOON, OVERDUE = wib(3, 26, 14), wib(3, 25, 14), wib(3, 16, 14)


@pytest.fixture
def accounts(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """The test people, able to sign in."""
    with ctx.unit_of_work() as uow:
        for user in uow.session.query(User).all():
            user.password_hash = user_service.hash_password(PASSWORD)
    return people


def new_case(ctx: EngineContext, people: dict[str, Actor], due: datetime | None) -> Any:
    """A filed request whose completeness check (the Ketua LP-PAR's task) is due at `due`."""
    view = case_service.start_case(ctx, actor=people["ani"], data=application())
    set_due(ctx, view.id, due)
    return view


def set_due(ctx: EngineContext, case_id: uuid.UUID, due: datetime | None) -> None:
    """Set the due moment of the case's ready tasks, whatever the engine gave them."""
    with ctx.unit_of_work() as uow:
        uow.session.execute(
            update(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready").values(due_at=due)
        )


def set_clocks(ctx: EngineContext, case_id: uuid.UUID, clocks: dict[str, Any]) -> None:
    with ctx.unit_of_work() as uow:
        uow.session.execute(update(CASES).where(CASES.c.id == case_id).values(sla=clocks))


def clock(days: int, started: datetime, due: datetime, **changes: Any) -> dict[str, Any]:
    """A clock as engine.sla keeps it (sparse: pauses and stops only once they happen), moments as ISO text."""
    data: dict[str, Any] = {"days": days, "started": started.isoformat(), "due": due.isoformat()}
    return data | {k: v.isoformat() if isinstance(v, datetime) else v for k, v in changes.items()}


def card(page: str, text: str) -> str:
    """The card (list item) of a list page that mentions `text`."""
    cards = [c for c in page.split('<li class="kartu')[1:] if text in c]
    assert len(cards) == 1, page
    return cards[0].split("</li>")[0]


def badge(html: str) -> tuple[str, str]:
    """The state class and the words of the first SLA badge in `html`."""
    match = re.search(r'<span class="sla sla-(\w+)">([^<]+)</span>', html)
    assert match, html
    return match.group(1), match.group(2)


@pytest.fixture
def three(ctx: EngineContext, accounts: dict[str, Actor]) -> dict[str, Any]:
    """Three cases, filed on time, due soon and overdue, in an order that is none of those."""
    return {
        "tepat_waktu": new_case(ctx, accounts, ON_TIME),
        "terlambat": new_case(ctx, accounts, OVERDUE),
        "segera": new_case(ctx, accounts, DUE_SOON),
    }


EXPECTED = {
    "tepat_waktu": ("Tepat waktu", "Kam, 26 Mar 2026 14.00"),
    "segera": ("Jatuh tempo dalam 1 hari kerja", "Rab, 25 Mar 2026 14.00"),
    "terlambat": ("Terlambat", "Sen, 16 Mar 2026 14.00"),
}


class TestPages:
    def test_inbox_shows_each_due_moment_with_its_state_nearest_first(self, web: Flask, three: dict[str, Any]) -> None:
        page = signed_in(web, "rina").get("/tugas").get_data(as_text=True)
        for state, case in three.items():
            item = card(page, f"Kasus {case.number}")
            assert badge(item) == (state, EXPECTED[state][0])
            assert "Tenggat:</span> <time" in item and EXPECTED[state][1] in item
            assert item.startswith(f' kartu-sla-{state}"')  # the card's edge repeats the state
        order = [m.group(1) for m in re.finditer(r"Kasus (MED-\d{4}-\d{4})", page)]
        assert order == [three[s].number for s in ("terlambat", "segera", "tepat_waktu")]

    def test_tasks_without_due_moment_come_last(
        self, ctx: EngineContext, web: Flask, accounts: dict[str, Actor], three: dict[str, Any]
    ) -> None:
        undated = new_case(ctx, accounts, None)
        page = signed_in(web, "rina").get("/tugas").get_data(as_text=True)
        order = [m.group(1) for m in re.finditer(r"Kasus (MED-\d{4}-\d{4})", page)]
        assert order[-1] == undated.number and len(order) == 4
        assert "Tanpa tenggat" in card(page, f"Kasus {undated.number}")

    def test_case_list_shows_each_case_due_moment_and_state(self, web: Flask, three: dict[str, Any]) -> None:
        page = signed_in(web, "rina").get("/kasus").get_data(as_text=True)
        for state, case in three.items():
            item = card(page, case.number)
            assert badge(item) == (state, EXPECTED[state][0]) and EXPECTED[state][1] in item

    def test_case_page_shows_the_due_moment_and_state(self, web: Flask, three: dict[str, Any]) -> None:
        client = signed_in(web, "rina")
        for state, case in three.items():
            page = client.get(f"/kasus/{case.id}").get_data(as_text=True)
            summary = page.split("<dt>Tenggat</dt>")[1].split("</dd>")[0]
            assert badge(summary) == (state, EXPECTED[state][0]) and EXPECTED[state][1] in summary

    def test_the_applicant_sees_her_case_due_but_her_own_task_has_none(
        self, ctx: EngineContext, web: Flask, accounts: dict[str, Actor]
    ) -> None:
        case = new_case(ctx, accounts, DUE_SOON)
        client = signed_in(web, "ani")
        assert badge(card(client.get("/kasus").get_data(as_text=True), case.number))[0] == "segera"
        assert "Tidak ada tugas yang menunggu Anda." in client.get("/tugas").get_data(as_text=True)


class TestClocks:
    def test_a_paused_clock_shows_since_when_and_why(
        self, ctx: EngineContext, web: Flask, three: dict[str, Any]
    ) -> None:
        case = three["tepat_waktu"]
        set_due(ctx, case.id, None)  # only the applicant has work: no staff task is due
        reason = "Menunggu pemohon melengkapi berkas"
        set_clocks(
            ctx,
            case.id,
            {
                "respons": clock(5, wib(3, 10, 9), wib(3, 17, 14), paused=wib(3, 16, 10), reason=reason),
                "penyelesaian": clock(14, wib(3, 10, 9), wib(4, 1, 14), paused=wib(3, 16, 10), reason=reason),
            },
        )
        client = signed_in(web, "rina")
        page = client.get(f"/kasus/{case.id}").get_data(as_text=True)
        section = page.split('id="layanan-judul"')[1].split("</section>")[0]
        assert "Respons 5 hari kerja</strong>: mulai Sel, 10 Mar 2026 09.00, tenggat Sel, 17 Mar 2026 14.00" in section
        assert f"Dijeda sejak Sen, 16 Mar 2026 10.00: {reason}" in section
        assert section.count('<span class="sla sla-dijeda">Dijeda</span>') == 2
        # Paused on the 16th with the response due on the 17th: due within a working day, frozen so.
        summary = page.split("<dt>Tenggat</dt>")[1].split("</dd>")[0]
        assert "Sel, 17 Mar 2026 14.00" in summary and badge(summary) == ("segera", EXPECTED["segera"][0])
        assert "Dijeda" in card(client.get("/kasus").get_data(as_text=True), case.number)

    def test_stopped_clocks_say_whether_they_were_met(
        self, ctx: EngineContext, web: Flask, three: dict[str, Any]
    ) -> None:
        case = three["segera"]
        set_clocks(
            ctx,
            case.id,
            {
                "respons": clock(5, wib(3, 2, 9), wib(3, 9, 14), stopped=wib(3, 9, 11), met=True, paused_days=2),
                "penyelesaian": clock(14, wib(3, 2, 9), wib(3, 16, 14)),
            },
        )
        page = signed_in(web, "rina").get(f"/kasus/{case.id}").get_data(as_text=True)
        section = page.split('id="layanan-judul"')[1].split("</section>")[0]
        assert "Selesai Sen, 9 Mar 2026 11.00 (tepat waktu)" in section
        assert section.index("Respons 5 hari kerja") < section.index("Penyelesaian 14 hari kerja")
        assert "Tenggat bergeser 2 hari kerja selama menunggu pemohon." in section
        penyelesaian = section.split("Penyelesaian 14 hari kerja")[1]
        assert badge(penyelesaian) == ("terlambat", "Terlambat")
        # The task's own due moment (25 March) is the case's, not the overdue clock's.
        summary = page.split("<dt>Tenggat</dt>")[1].split("</dd>")[0]
        assert badge(summary)[0] == "segera"

    def test_before_the_clocks_start_the_page_says_when_they_will(self, web: Flask, three: dict[str, Any]) -> None:
        page = signed_in(web, "rina").get(f"/kasus/{three['segera'].id}").get_data(as_text=True)
        assert "Waktu layanan mulai dihitung setelah berkas dinyatakan lengkap." in page


class TestApi:
    def test_tasks_carry_due_at_and_sla_state(self, api: Callable[[str], Any], three: dict[str, Any]) -> None:
        tasks = api("rina").get("/tasks").json["items"]
        assert [(t["case_number"], t["sla_state"]) for t in tasks] == [
            (three["terlambat"].number, "terlambat"),
            (three["segera"].number, "segera"),
            (three["tepat_waktu"].number, "tepat_waktu"),
        ]
        assert tasks[0]["due_at"] == "2026-03-16T07:00:00+00:00"
        one = api("rina").get(f"/tasks/{tasks[1]['id']}").json
        assert one["due_at"] == "2026-03-25T07:00:00+00:00" and one["sla_state"] == "segera"

    def test_cases_carry_due_at_sla_state_and_the_detail_its_clocks(
        self, ctx: EngineContext, api: Callable[[str], Any], three: dict[str, Any]
    ) -> None:
        case = three["tepat_waktu"]
        set_clocks(ctx, case.id, {"respons": clock(5, wib(3, 17, 9), wib(3, 31, 14))})
        listed = {c["number"]: c for c in api("rina").get("/cases").json["items"]}
        assert {n: (c["due_at"], c["sla_state"]) for n, c in listed.items()} == {
            three["tepat_waktu"].number: ("2026-03-26T07:00:00+00:00", "tepat_waktu"),
            three["segera"].number: ("2026-03-25T07:00:00+00:00", "segera"),
            three["terlambat"].number: ("2026-03-16T07:00:00+00:00", "terlambat"),
        }
        assert "sla_clocks" not in listed[case.number]
        detail = api("rina").get(f"/cases/{case.id}").json
        assert detail["sla_state"] == "tepat_waktu"
        assert detail["sla_clocks"] == [
            {
                "name": "respons",
                "title": "Respons",
                "days": 5,
                "started": "2026-03-17T02:00:00+00:00",
                "due": "2026-03-31T07:00:00+00:00",
                "paused": None,
                "reason": None,
                "paused_days": 0,
                "stopped": None,
                "met": None,
                "sla_state": "tepat_waktu",
            }
        ]

    def test_a_finished_case_has_nothing_due(
        self, ctx: EngineContext, api: Callable[[str], Any], three: dict[str, Any]
    ) -> None:
        case = three["terlambat"]
        assert api("rina").post(f"/cases/{case.id}/stop", json={"reason": "Demi keselamatan korban"}).status_code == 200
        detail = api("rina").get(f"/cases/{case.id}").json
        assert detail["status"] != "open" and (detail["due_at"], detail["sla_state"]) == (None, None)

    def test_openapi_lists_the_fields(self, api: Callable[[str], Any]) -> None:
        schemas = api("rina").get("/openapi.json").json["components"]["schemas"]
        assert schemas["Task"]["properties"]["sla_state"]["enum"] == [None, "tepat_waktu", "segera", "terlambat"]
        assert {"due_at", "sla_state"} <= set(schemas["CaseSummary"]["properties"])
        assert "sla_clocks" in schemas["Case"]["allOf"][1]["properties"]


@contextmanager
def statements(ctx: EngineContext) -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(ctx.database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(ctx.database.engine, "before_cursor_execute", count)


class TestQueryCount:
    @pytest.mark.parametrize("path", ["/tugas", "/kasus"])
    def test_statements_do_not_grow_with_the_rows(
        self, ctx: EngineContext, web: Flask, accounts: dict[str, Actor], path: str
    ) -> None:
        client = signed_in(web, "rina")

        def measured() -> tuple[int, str]:
            client.get(path)  # the first read fills the caches (definition, calendar)
            with statements(ctx) as seen:
                page = client.get(path).get_data(as_text=True)
            return len(seen), page

        first = new_case(ctx, accounts, None)
        undated, page = measured()
        assert "sla-" not in page and page.count('<li class="kartu') == 1
        set_due(ctx, first.id, DUE_SOON)
        one, page = measured()
        assert one == undated and "sla-segera" in page  # judging a due moment costs no statement of its own
        for due in (ON_TIME, OVERDUE, DUE_SOON, None):
            new_case(ctx, accounts, due)
        five, page = measured()
        assert five == one and page.count('<li class="kartu') == 5
