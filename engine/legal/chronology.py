"""What a submission's dates must respect in its own case: it was filed, it is today, it was invited.

A mediation recorded as held happened: not after today, and not before its invitation was issued;
so did a follow-up recorded as held (not before the follow-up case started).
No date of the case's letters (the mediation an invitation sets, the mediation held) falls before
the case was filed. Days are the office's (Asia/Jakarta), today the engine clock's; the fields are
read by their names, whatever form or version they come from, as the legal rules read theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.letters.dates import day_and_date, parse_date

HELD = "tanggal_pelaksanaan"  # the day a mediation was held
INVITED_FOR = "tanggal_mediasi"  # the day an invitation sets for the mediation
MONITORED = "tanggal_dipantau"  # the day a follow-up of an agreement was held (R12)
INVITATION = "surat_undangan_mediasi"  # the letter kind that invites to the mediation
# The dates a case's letters carry, with the words that name them.
CASE_DATES = {INVITED_FOR: "Tanggal mediasi dalam surat undangan", HELD: "Tanggal pelaksanaan mediasi"}


@dataclass(frozen=True)
class CaseDays:
    """The days a case's dates are judged against, in the office's zone."""

    filed: date  # the day the case was filed
    today: date  # the day of the step, on the engine clock
    invited: date | None = None  # the day the latest invitation to the mediation was issued, if any


def needs_invitation_day(data: Mapping[str, Any]) -> bool:
    """Whether judging `data` needs the day the invitation was issued (one more query)."""
    return parse_date(data.get(HELD)) is not None


def date_errors(data: Mapping[str, Any], days: CaseDays) -> dict[str, str]:
    """The dates of `data` that cannot be so in this case, by field (empty: none); the form judges unreadable ones."""
    errors: dict[str, str] = {}
    for field, label in CASE_DATES.items():
        day = parse_date(data.get(field))
        if day is not None and day < days.filed:
            errors[field] = (
                f"{label} ({day_and_date(day)}) tidak boleh sebelum kasus ini diajukan pada {day_and_date(days.filed)}."
            )
    monitored = parse_date(data.get(MONITORED))
    if monitored is not None and not days.filed <= monitored <= days.today:
        errors[MONITORED] = (
            f"Pemantauan yang dicatat tidak boleh bertanggal sebelum pemantauan ini dimulai "
            f"({day_and_date(days.filed)}) atau setelah hari ini ({day_and_date(days.today)})."
        )
    held = parse_date(data.get(HELD))
    if held is None or HELD in errors:
        return errors
    if held > days.today:
        errors[HELD] = (
            f"Mediasi yang dicatat sudah dilaksanakan tidak boleh bertanggal setelah hari ini "
            f"({day_and_date(days.today)}); tulis tanggal mediasi itu benar-benar dilaksanakan."
        )
    elif days.invited is not None and held < days.invited:
        errors[HELD] = (
            f"Mediasi tidak mungkin dilaksanakan ({day_and_date(held)}) sebelum surat undangannya diterbitkan "
            f"pada {day_and_date(days.invited)}."
        )
    return errors
