"""Service hours (WIB), which a mediation date and time must fall inside.

The SOP's hours: Monday–Thursday 09.00–14.00 with a break 12.00–12.30, Friday 08.00–10.30.
This is a local check of the weekly hours only; national holidays and cuti bersama come with
the working-day calendar.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from engine.letters.dates import WIB, long_date, parse_date, parse_time

_MON_THU = ((time(9, 0), time(12, 0)), (time(12, 30), time(14, 0)))
_FRIDAY = ((time(8, 0), time(10, 30)),)
OPENING: dict[int, tuple[tuple[time, time], ...]] = {0: _MON_THU, 1: _MON_THU, 2: _MON_THU, 3: _MON_THU, 4: _FRIDAY}
HOURS_TEXT = "Senin–Kamis pukul 09.00–14.00 WIB (istirahat 12.00–12.30 WIB) dan Jumat pukul 08.00–10.30 WIB"


def within_service_hours(day: date, at: time) -> bool:
    """True when a session starting at `at` on `day` starts while the office is open."""
    return any(start <= at < end for start, end in OPENING.get(day.weekday(), ()))


def check_mediation_time(data: dict[str, Any], now: datetime) -> dict[str, str]:
    """Problems with the mediation date and time of an invitation, by form field (empty: none)."""
    day, at = parse_date(data.get("tanggal_mediasi")), parse_time(data.get("jam_mediasi"))
    if day is None:
        return {"tanggal_mediasi": "Tanggal mediasi wajib diisi dengan format TTTT-BB-HH."}
    if at is None:
        return {"jam_mediasi": "Pukul mediasi wajib diisi dengan format JJ:MM."}
    local = now.astimezone(WIB)
    if day < local.date():
        return {"tanggal_mediasi": f"Tanggal mediasi tidak boleh sebelum hari ini ({long_date(local.date())})."}
    if day.weekday() not in OPENING:
        return {"tanggal_mediasi": "Tanggal mediasi harus jatuh pada hari layanan, Senin sampai dengan Jumat."}
    if not within_service_hours(day, at):
        return {"jam_mediasi": f"Pukul mediasi harus berada dalam jam layanan: {HOURS_TEXT}."}
    if day == local.date() and at <= local.time():
        return {"jam_mediasi": "Pukul mediasi pada hari ini sudah lewat."}
    return {}
