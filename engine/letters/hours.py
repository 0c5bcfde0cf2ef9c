"""An invitation's mediation date and time must fall inside the office's service hours.

The hours and the working days are the working-day calendar's (engine.calendar): Monday–Thursday
09.00–14.00 WIB with a break 12.00–12.30, Friday 08.00–10.30, no national holiday, no cuti
bersama, and the admin's overrides. The step that issues the invitation has no settings, so a cuti
bersama day counts as closed here even where MEDIASI_CUTI_BERSAMA_WORKING=1; an override opens it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.calendar import OFFICE_ZONE, WorkingCalendar
from engine.letters.dates import day_and_date, parse_date, parse_time

HOURS_TEXT = "Senin–Kamis pukul 09.00–14.00 WIB (istirahat pukul 12.00–12.30 WIB) dan Jumat pukul 08.00–10.30 WIB"


def check_mediation_time(data: Mapping[str, Any], _now: datetime, calendar: WorkingCalendar) -> dict[str, str]:
    """Problems with the mediation date and time of an invitation, by form field (empty: none).

    Only the calendar decides: a date in the past is not refused here (an invitation may be
    recorded after it was sent, and scenarios with fixed dates run on the wall clock).
    """
    day, at = parse_date(data.get("tanggal_mediasi")), parse_time(data.get("jam_mediasi"))
    if day is None:
        return {"tanggal_mediasi": "Tanggal mediasi wajib diisi dengan format TTTT-BB-HH."}
    if at is None:
        return {"jam_mediasi": "Pukul mediasi wajib diisi dengan format JJ:MM."}
    if not calendar.is_working_day(day):
        holiday = calendar.holiday(day)
        why = f"hari libur ({holiday.name})" if holiday is not None else "bukan hari kerja"
        return {"tanggal_mediasi": f"{day_and_date(day)} {why}; pilih hari kerja, Senin sampai dengan Jumat."}
    start = datetime.combine(day, at, tzinfo=OFFICE_ZONE)
    if not calendar.in_service_hours(start):
        return {"jam_mediasi": f"Pukul mediasi harus berada dalam jam layanan: {HOURS_TEXT}."}
    return {}
