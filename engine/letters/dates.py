"""Dates and times as Indonesian letters write them."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from engine.forms import parse_clock

# Service hours, letter dates and mediation times are in Western Indonesian Time, whatever zone
# the users' screens are set to.
WIB = ZoneInfo("Asia/Jakarta")
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def local_date(moment: datetime) -> date:
    """The calendar day of `moment` in WIB."""
    return moment.astimezone(WIB).date()


def long_date(day: date) -> str:
    """17 Maret 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def day_and_date(day: date) -> str:
    """Kamis, 26 Maret 2026."""
    return f"{DAYS[day.weekday()]}, {long_date(day)}"


def clock_time(moment: time) -> str:
    """09.30 WIB (Indonesian writes hours and minutes with a full stop)."""
    return f"{moment.hour:02d}.{moment.minute:02d} WIB"


def roman_month(day: date) -> str:
    """The month in Roman numerals, as letter numbers carry it."""
    return ROMAN[day.month - 1]


def parse_date(value: object) -> date | None:
    """A form's "YYYY-MM-DD", or None."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def parse_time(value: object) -> time | None:
    """A form's time of day ("HH:MM" as stored; "15.00" as typed), or None."""
    return parse_clock(value)
