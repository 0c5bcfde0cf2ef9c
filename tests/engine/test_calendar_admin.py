"""Calendar overrides: admin-only, validated, on the system chain, and seen by every engine context."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.persistence.models import CalendarOverride, Event, EventPayload
from engine.services import audit as audit_service
from engine.services import calendar_admin
from engine.services import users as user_service
from engine.settings import Settings
from tests.conftest import OPERATOR

NYEPI_CUTI = date(2026, 3, 18)
REFERENCE = "SKB Menteri Agama, Menteri Ketenagakerjaan dan MenPAN-RB Nomor 1497/2025, 2/2025, 5/2025"


@pytest.fixture
def admin(ctx: EngineContext) -> Actor:
    user_service.add_user(ctx, actor=OPERATOR, username="adam", full_name="Adam", roles=["admin"], password=None)
    return user_service.actor_for(ctx, "adam")


def system_events(ctx: EngineContext, prefix: str = "calendar_") -> list[tuple[str, str, dict[str, object]]]:
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(Event.type, Event.actor, EventPayload.data)
            .join(EventPayload, EventPayload.event_id == Event.id)
            .where(Event.chain == "system", Event.type.startswith(prefix))
            .order_by(Event.seq)
        )
        return [(type_, actor, json.loads(data)) for type_, actor, data in rows]


def test_an_admin_makes_a_cuti_bersama_day_a_working_day_and_takes_it_back(ctx: EngineContext, admin: Actor) -> None:
    assert not ctx.calendar().is_working_day(NYEPI_CUTI)
    added = calendar_admin.add_override(ctx, actor=admin, day="2026-03-18", working=True, reference=f"  {REFERENCE} ")
    assert (added.day, added.working, added.reference, added.created_by) == (NYEPI_CUTI, True, REFERENCE, "adam")
    assert ctx.calendar().is_working_day(NYEPI_CUTI)
    assert ctx.calendar().add_working_days(date(2026, 3, 17), 1) == NYEPI_CUTI
    year = calendar_admin.calendar_year(ctx, year=2026)
    assert [o.day for o in year.overrides] == [NYEPI_CUTI]
    nyepi_cuti = next(h for h in year.holidays if h.day == NYEPI_CUTI)
    assert nyepi_cuti.cuti_bersama and nyepi_cuti.counted_as_working and nyepi_cuti.overridden
    assert year.working_days == 241

    calendar_admin.remove_override(ctx, actor=admin, day=NYEPI_CUTI)
    assert not ctx.calendar().is_working_day(NYEPI_CUTI)
    assert calendar_admin.list_overrides(ctx) == []
    assert system_events(ctx) == [
        ("calendar_override_added", "adam", {"date": "2026-03-18", "working": True, "reference": REFERENCE}),
        ("calendar_override_removed", "adam", {"date": "2026-03-18", "working": True}),
    ]
    assert audit_service.verify(ctx).ok


def test_a_removed_override_stays_as_a_record_and_the_date_can_be_decided_again(
    ctx: EngineContext, admin: Actor
) -> None:
    calendar_admin.add_override(ctx, actor=admin, day=NYEPI_CUTI, working=True, reference="Keputusan pertama")
    calendar_admin.remove_override(ctx, actor=admin, day=NYEPI_CUTI)
    calendar_admin.add_override(ctx, actor=OPERATOR, day=NYEPI_CUTI, working=False, reference="Keputusan kedua")
    assert not ctx.calendar().is_working_day(NYEPI_CUTI)
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(CalendarOverride.reference, CalendarOverride.removed_by).order_by(CalendarOverride.id)
        ).all()
    assert [tuple(r) for r in rows] == [("Keputusan pertama", "adam"), ("Keputusan kedua", None)]


def test_a_new_holiday_moves_due_moments(ctx: EngineContext, admin: Actor) -> None:
    received = datetime(2026, 3, 17, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert ctx.calendar().due_at(received, 5) == datetime(2026, 3, 31, 7, 0, tzinfo=UTC)
    calendar_admin.add_override(ctx, actor=admin, day="2026-03-26", working=False, reference="Libur pilkada (contoh)")
    assert ctx.calendar().due_at(received, 5) == datetime(2026, 4, 1, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize("roles", [["ketua_lppar"], ["process_owner"], ["auditor"], ["dpo"]])
def test_only_an_admin_or_the_operator_changes_the_calendar(ctx: EngineContext, roles: list[str]) -> None:
    user_service.add_user(ctx, actor=OPERATOR, username="staf", full_name="Staf", roles=roles, password=None)
    staff = user_service.actor_for(ctx, "staf")
    with pytest.raises(PermissionDenied):
        calendar_admin.add_override(ctx, actor=staff, day=NYEPI_CUTI, working=True, reference=REFERENCE)
    calendar_admin.add_override(ctx, actor=OPERATOR, day=NYEPI_CUTI, working=True, reference=REFERENCE)
    with pytest.raises(PermissionDenied):
        calendar_admin.remove_override(ctx, actor=staff, day=NYEPI_CUTI)
    assert [o.created_by for o in calendar_admin.list_overrides(ctx)] == ["cli:test"]
    assert [t for t, _, _ in system_events(ctx)] == ["calendar_override_added"]


@pytest.mark.parametrize(
    ("day", "working", "reference", "message"),
    [
        ("18-03-2026", True, REFERENCE, "TTTT-BB-HH"),
        ("2026-02-30", True, REFERENCE, "TTTT-BB-HH"),
        ("", True, REFERENCE, "TTTT-BB-HH"),
        ("1999-12-31", False, REFERENCE, "Tahun harus antara 2000 dan 2099"),
        ("2026-03-18", True, "   ", "Dasar hukum wajib diisi"),
        ("2026-03-18", True, "x" * 501, "maksimal 500 karakter"),
        ("2026-03-21", True, REFERENCE, "Sabtu tidak memiliki jam layanan"),
    ],
)
def test_invalid_overrides_are_refused_and_change_nothing(
    ctx: EngineContext, admin: Actor, day: str, working: bool, reference: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        calendar_admin.add_override(ctx, actor=admin, day=day, working=working, reference=reference)
    assert calendar_admin.list_overrides(ctx) == [] and system_events(ctx) == []


def test_a_reference_of_500_characters_is_accepted(ctx: EngineContext, admin: Actor) -> None:
    added = calendar_admin.add_override(ctx, actor=admin, day=NYEPI_CUTI, working=False, reference="x" * 500)
    assert len(added.reference) == 500


def test_one_override_per_date(ctx: EngineContext, admin: Actor) -> None:
    calendar_admin.add_override(ctx, actor=admin, day=NYEPI_CUTI, working=True, reference=REFERENCE)
    with pytest.raises(InvalidInput, match="sudah memiliki pengecualian"):
        calendar_admin.add_override(ctx, actor=admin, day=NYEPI_CUTI, working=False, reference=REFERENCE)
    with pytest.raises(NotFound):
        calendar_admin.remove_override(ctx, actor=admin, day="2026-03-19")
    assert len(system_events(ctx)) == 1


def test_the_year_lists_overrides_of_that_year_only(ctx: EngineContext, admin: Actor) -> None:
    calendar_admin.add_override(ctx, actor=admin, day="2027-01-04", working=False, reference="Contoh 2027")
    calendar_admin.add_override(ctx, actor=admin, day="2026-12-31", working=False, reference="Contoh 2026")
    assert [o.day.year for o in calendar_admin.calendar_year(ctx, year=2026).overrides] == [2026]
    assert [o.day for o in calendar_admin.list_overrides(ctx)] == [date(2026, 12, 31), date(2027, 1, 4)]
    with pytest.raises(InvalidInput):
        calendar_admin.calendar_year(ctx, year=1900)


def test_every_context_sees_a_change_made_by_another(make_ctx: Callable[[], EngineContext], admin: Actor) -> None:
    web, worker = make_ctx(), make_ctx()
    before = worker.calendar()
    assert worker.calendar() is before  # nothing changed: the same calendar
    calendar_admin.add_override(web, actor=admin, day=NYEPI_CUTI, working=True, reference=REFERENCE)
    assert worker.calendar().is_working_day(NYEPI_CUTI)
    calendar_admin.remove_override(web, actor=admin, day=NYEPI_CUTI)
    assert not worker.calendar().is_working_day(NYEPI_CUTI)


def test_the_calendar_can_be_read_in_the_callers_transaction(ctx: EngineContext, admin: Actor) -> None:
    calendar_admin.add_override(ctx, actor=admin, day=NYEPI_CUTI, working=True, reference=REFERENCE)
    with ctx.unit_of_work() as uow:
        assert ctx.calendar(uow.session).is_working_day(NYEPI_CUTI)


def test_the_cuti_bersama_setting(ctx: EngineContext, settings: Settings) -> None:
    assert Settings.from_environ({}).cuti_bersama_working is False
    assert Settings.from_environ({"MEDIASI_CUTI_BERSAMA_WORKING": "1"}).cuti_bersama_working is True
    lenient = EngineContext.create(replace(settings, cuti_bersama_working=True), clock=ctx.clock)
    try:
        assert lenient.calendar().add_working_days(date(2026, 3, 17), 5) == date(2026, 3, 25)
        assert calendar_admin.calendar_year(lenient, year=2026).cuti_bersama_working
    finally:
        lenient.close()
    assert ctx.calendar().add_working_days(date(2026, 3, 17), 5) == date(2026, 3, 31)
