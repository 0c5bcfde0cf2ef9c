"""The kinds of letter the engine can issue, and what each needs to know about itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.calendar import WorkingCalendar
from engine.letters.hours import check_mediation_time

# Problems with the data of the step that issues a letter, by form field; the calendar is the office's.
Check = Callable[[Mapping[str, Any], datetime, WorkingCalendar], dict[str, str]]


def _always(_data: Mapping[str, Any]) -> bool:
    return True


def _agreed(data: Mapping[str, Any]) -> bool:
    """An agreement was reached and, where the Ketua LP-PAR reviews it, she approved it (R13)."""
    return data.get("hasil_mediasi") == "sepakat" and data.get("kesepakatan_disetujui") is not False


def _nothing_to_check(_data: Mapping[str, Any], _now: datetime, _calendar: WorkingCalendar) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class LetterKind:
    """One kind of letter: its title, who it is for, and when an element that declares it issues it."""

    name: str
    title: str
    for_applicant: bool  # addressed to the applicant (shown to them), or to third parties (R14)
    sifat: str  # Biasa, Segera or Rahasia (Tata Naskah Dinas)
    when: Callable[[Mapping[str, Any]], bool] = _always  # whether the step's data calls for this letter
    check: Check = _nothing_to_check  # problems with the step's data, by form field; any refuses the step
    uses_calendar: bool = False  # its check needs the working-day calendar (one more query)

    @property
    def number_field(self) -> str:
        """The optional form field in which staff enter a number given from outside (SRIKANDI)."""
        return f"nomor_{self.name}"


KINDS: dict[str, LetterKind] = {
    k.name: k
    for k in (
        LetterKind("surat_keputusan", "Surat Keputusan Kepala Dinas", True, "Rahasia"),
        LetterKind(
            "surat_undangan_mediasi",
            "Surat Undangan Mediasi",
            True,
            "Rahasia",
            check=check_mediation_time,
            uses_calendar=True,
        ),
        LetterKind("surat_pemberitahuan_penolakan", "Surat Pemberitahuan Penolakan", True, "Rahasia"),
        LetterKind(
            "surat_pemberitahuan_tidak_dapat_dilaksanakan",
            "Surat Pemberitahuan Mediasi Tidak Dapat Dilaksanakan",
            True,
            "Rahasia",
        ),
        LetterKind("surat_pemberitahuan_rujukan", "Surat Pemberitahuan", True, "Rahasia"),
        LetterKind("undangan_koordinasi", "Undangan Koordinasi Pihak Terkait", False, "Biasa"),
        LetterKind("berita_acara_mediasi", "Berita Acara Mediasi", True, "Rahasia"),
        LetterKind("kesepakatan", "Kesepakatan Mediasi", True, "Rahasia", when=_agreed),
    )
}


def title_of(kind: str) -> str:
    """The Indonesian title of a letter kind, or the kind itself when it is not a letter."""
    found = KINDS.get(kind)
    return found.title if found is not None else kind


def for_applicant(kind: str) -> bool:
    """Whether documents of `kind` are addressed to the applicant (uploads are not letters: False)."""
    found = KINDS.get(kind)
    return found is not None and found.for_applicant


def submission_errors(
    names: Iterable[str], data: Mapping[str, Any], now: datetime, calendar: Callable[[], WorkingCalendar]
) -> dict[str, str]:
    """The rules of the letters `names` (those a task issues) broken by its submission `data`, by form field.

    Checked with the form's other errors, before the step runs; the step checks them again on the
    case's data once it has run (engine.letters.issue.check_letters).
    """
    errors: dict[str, str] = {}
    for name in names:
        kind = KINDS.get(name)
        if kind is not None and kind.check is not _nothing_to_check and kind.when(data):
            for field, message in kind.check(data, now, calendar() if kind.uses_calendar else _NO_CALENDAR).items():
                errors.setdefault(field, message)
    return errors


_NO_CALENDAR = WorkingCalendar()


def parse_declaration(value: str) -> tuple[tuple[str, ...], list[str]]:
    """The kinds an `issuesLetters` property names (comma-separated), and the names that are no kind."""
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    return names, [n for n in names if n not in KINDS]
