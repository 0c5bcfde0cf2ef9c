"""The working-day calendar's overrides: list them, and (for an admin) add or remove one with its legal basis."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.calendar import WorkingCalendar
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.events import SYSTEM_CHAIN, append_chain_event
from engine.persistence.models import CalendarOverride
from engine.roles import Role

MAX_REFERENCE = 500
FIRST_YEAR, LAST_YEAR = 2000, 2099
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class OverrideView:
    """An override in force, as the admin page and the CLI list it."""

    day: date
    working: bool
    reference: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class HolidayView:
    """A day of the national list and how the calendar counts it now."""

    day: date
    name: str
    cuti_bersama: bool
    estimated: bool
    counted_as_working: bool
    overridden: bool


@dataclass(frozen=True)
class CalendarYear:
    """One year of the calendar: the national list, the overrides, and the cuti bersama setting."""

    year: int
    holidays: list[HolidayView]
    overrides: list[OverrideView]
    cuti_bersama_working: bool
    working_days: int


def day_name(day: date) -> str:
    """The Indonesian name of `day`'s weekday."""
    return DAY_NAMES[day.weekday()]


def parse_day(value: date | str) -> date:
    """A date, or text in the form YYYY-MM-DD, within the years the calendar covers."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if not _ISO_DATE.match(text):
                raise ValueError(text)
            value = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"Tanggal harus berbentuk TTTT-BB-HH (misalnya 2026-03-18), bukan {text!r}.") from None
    check_year(value.year)
    return value


def check_year(year: int) -> int:
    """`year` when the calendar covers it."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"Tahun harus antara {FIRST_YEAR} dan {LAST_YEAR}.")
    return year


def calendar_year(ctx: EngineContext, *, year: int) -> CalendarYear:
    """The national holidays and the overrides of `year`, each as the calendar counts it now."""
    check_year(year)
    with ctx.unit_of_work(write=False) as uow:
        calendar = ctx.calendar(uow.session)
        overrides = _overrides(uow.session, year)
    holidays = [
        HolidayView(
            h.day, h.name, h.cuti_bersama, h.estimated, calendar.is_working_day(h.day), h.day in calendar.overrides
        )
        for h in calendar.holidays_of(year)
    ]
    return CalendarYear(year, holidays, overrides, calendar.cuti_bersama_working, _working_days(calendar, year))


def list_overrides(ctx: EngineContext, *, year: int | None = None) -> list[OverrideView]:
    """The overrides in force (of one year, or all), by date."""
    with ctx.unit_of_work(write=False) as uow:
        return _overrides(uow.session, year)


def add_override(ctx: EngineContext, *, actor: Actor, day: date | str, working: bool, reference: str) -> OverrideView:
    """Make `day` a working day or a holiday, whatever the national list says, on a legal basis.

    :raises PermissionDenied, InvalidInput:
    """
    _require_admin(actor)
    day = parse_day(day)
    reference = _check_reference(reference)
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        if working and not ctx.calendar(uow.session).hours.periods(day):
            raise InvalidInput(
                f"{day_name(day)} tidak memiliki jam layanan; hanya Senin–Jumat dapat menjadi hari kerja."
            )
        if _active(uow.session, day) is not None:
            raise InvalidInput(f"Tanggal {day.isoformat()} sudah memiliki pengecualian; hapus dulu bila ingin diganti.")
        row = CalendarOverride(day=day, working=working, reference=reference, created_by=actor.username, created_at=now)
        uow.session.add(row)
        uow.flush()
        _record(uow.session, "calendar_override_added", actor, now, day, working=working, reference=reference)
        return _view(row)


def remove_override(ctx: EngineContext, *, actor: Actor, day: date | str) -> None:
    """Take back the override of `day`; the national list counts again. Its row stays, marked removed.

    :raises PermissionDenied, InvalidInput, NotFound:
    """
    _require_admin(actor)
    day = parse_day(day)
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        row = _active(uow.session, day)
        if row is None:
            raise NotFound(f"Tidak ada pengecualian untuk tanggal {day.isoformat()}.")
        row.removed_at, row.removed_by = now, actor.username
        _record(uow.session, "calendar_override_removed", actor, now, day, working=row.working)


def _require_admin(actor: Actor) -> None:
    if not (actor.is_operator or actor.has_any(Role.ADMIN)):
        raise PermissionDenied("Hanya administrator yang dapat mengubah kalender hari kerja.")


def _check_reference(reference: str) -> str:
    text = reference.strip()
    if not text or len(text) > MAX_REFERENCE:
        raise InvalidInput(
            f"Dasar hukum wajib diisi (maksimal {MAX_REFERENCE} karakter), misalnya nomor dan tanggal SKB atau Keppres."
        )
    return text


def _record(session: Session, type: str, actor: Actor, at: datetime, day: date, **detail: object) -> None:
    payload = {"date": day.isoformat(), **detail}
    append_chain_event(session, SYSTEM_CHAIN, type=type, actor=actor.username, at=at, payload=payload)


def _active(session: Session, day: date) -> CalendarOverride | None:
    return session.scalar(
        select(CalendarOverride).where(CalendarOverride.day == day, CalendarOverride.removed_at.is_(None))
    )


def _overrides(session: Session, year: int | None) -> list[OverrideView]:
    query = select(CalendarOverride).where(CalendarOverride.removed_at.is_(None)).order_by(CalendarOverride.day)
    if year is not None:
        query = query.where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
    return [_view(row) for row in session.scalars(query)]


def _view(row: CalendarOverride) -> OverrideView:
    return OverrideView(row.day, row.working, row.reference, row.created_by, row.created_at)


def _working_days(calendar: WorkingCalendar, year: int) -> int:
    return calendar.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
