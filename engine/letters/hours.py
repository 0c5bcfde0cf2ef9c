"""An invitation's mediation date and time must fall inside the office's service hours.

The hours and the working days are the working-day calendar's (engine.calendar): Monday–Thursday
09.00–14.00 WIB with a break 12.00–12.30, Friday 08.00–10.30, no national holiday, no cuti
bersama, and the admin's overrides. The step that issues the invitation has no settings, so a cuti
bersama day counts as closed here even where MEDIASI_CUTI_BERSAMA_WORKING=1; an override opens it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from engine.calendar import OFFICE_ZONE, WorkingCalendar
from engine.forms import TIME_MESSAGE
from engine.letters.dates import day_and_date, parse_date, parse_time

A_MONDAY = date(2024, 1, 1)
HOURS_TEXT = "Senin–Kamis pukul 09.00–14.00 WIB (istirahat pukul 12.00–12.30 WIB) dan Jumat pukul 08.00–10.30 WIB"


def check_mediation_time(data: Mapping[str, Any], _now: datetime, calendar: WorkingCalendar) -> dict[str, str]:
    """Problems with the mediation date and time of an invitation, by form field (empty: none).

    The date and the time are judged each on its own, so that one answer names every problem: on a
    day that is no working day, a time outside the hours of every weekday is refused too. Only the
    calendar decides here: a date in the past is not refused (an invitation may be recorded after it
    was sent); engine.legal.chronology keeps it after the case was filed.
    """
    day, at = parse_date(data.get("tanggal_mediasi")), parse_time(data.get("jam_mediasi"))
    errors: dict[str, str] = {}
    if day is None:
        errors["tanggal_mediasi"] = "Tanggal mediasi wajib diisi sebagai tanggal yang sah (TTTT-BB-HH)."
    elif not calendar.is_working_day(day):
        holiday = calendar.holiday(day)
        why = f"hari libur ({holiday.name})" if holiday is not None else "bukan hari kerja"
        errors["tanggal_mediasi"] = f"{day_and_date(day)} {why}; pilih hari kerja, Senin sampai dengan Jumat."
    if at is None:
        errors["jam_mediasi"] = f"Pukul mediasi wajib diisi. {TIME_MESSAGE}"
    elif not _in_hours(calendar, day, at):
        errors["jam_mediasi"] = f"Pukul mediasi harus berada dalam jam layanan: {HOURS_TEXT}."
    return errors


def _in_hours(calendar: WorkingCalendar, day: date | None, at: time) -> bool:
    """Whether `at` is in service hours on `day`; on a closed or unknown day, in those of any weekday."""
    if day is not None and calendar.is_working_day(day):
        return calendar.in_service_hours(datetime.combine(day, at, tzinfo=OFFICE_ZONE))
    week = (A_MONDAY + timedelta(days=n) for n in range(7))  # the hours of a day depend on its weekday only
    return any(period.start <= at < period.end for other in week for period in calendar.hours.periods(other))
