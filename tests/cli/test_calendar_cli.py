"""mediasi calendar list|add|remove: the working-day calendar from the terminal, one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from engine.context import EngineContext
from tests.cli.test_cli import one_line_error

Run = Callable[..., tuple[int, str, str]]
REFERENCE = "SKB 3 Menteri tentang Hari Libur Nasional dan Cuti Bersama Tahun 2026"


def test_list_shows_the_years_holidays_and_cuti_bersama(cli: Run) -> None:
    status, out, _ = cli("calendar", "list", "--year", "2026")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "Kalender hari kerja 2026: 240 hari kerja; cuti bersama dihitung hari libur."
    assert len([line for line in lines if line.startswith("2026-")]) == 25
    assert sum("cuti bersama  " in line for line in lines) == 8
    assert "2026-03-19  Kamis   libur nasional  Hari Suci Nyepi" in lines
    assert "2026-03-18  Rabu    cuti bersama    Cuti Bersama Hari Suci Nyepi" in lines
    assert lines[-1] == "Tidak ada pengecualian."


def test_list_says_when_cuti_bersama_are_working_days(cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIASI_CUTI_BERSAMA_WORKING", "1")
    status, out, _ = cli("calendar", "list", "--year", "2026")
    assert status == 0 and "248 hari kerja; cuti bersama dihitung hari kerja." in out
    assert "2026-03-18  Rabu    cuti bersama    Cuti Bersama Hari Suci Nyepi  [dihitung hari kerja]" in out


def test_add_and_remove_an_override(cli: Run, ctx: EngineContext) -> None:
    status, out, _ = cli("calendar", "add", "2026-03-18", "--working", "--reference", REFERENCE)
    assert status == 0 and out == f"2026-03-18 (Rabu) kini hari kerja: {REFERENCE}\n"
    assert ctx.calendar().is_working_day(date(2026, 3, 18))
    status, out, _ = cli("calendar", "list", "--year", "2026")
    assert "Cuti Bersama Hari Suci Nyepi  [dihitung hari kerja]" in out
    *_, heading, override = out.splitlines()
    assert heading == "Pengecualian:"
    assert override.startswith(f"2026-03-18  Rabu    hari kerja      {REFERENCE}  (cli:")  # the operator's name
    status, out, _ = cli("calendar", "add", "2026-03-26", "--holiday", "--reference", "Libur pilkada (contoh)")
    assert status == 0 and "2026-03-26 (Kamis) kini hari libur" in out
    assert not ctx.calendar().is_working_day(date(2026, 3, 26))
    status, out, _ = cli("calendar", "remove", "2026-03-18")
    assert status == 0 and "dihapus" in out
    assert not ctx.calendar().is_working_day(date(2026, 3, 18))


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("calendar", "add", "2026-02-30", "--holiday", "--reference", "x"), 1, "TTTT-BB-HH"),
        (("calendar", "add", "2026-03-21", "--working", "--reference", "x"), 1, "Sabtu tidak memiliki jam layanan"),
        (("calendar", "add", "2026-03-18", "--working", "--reference", " "), 1, "Dasar hukum wajib diisi"),
        (("calendar", "add", "2026-03-18", "--reference", "x"), 2, "--working atau --holiday"),
        (("calendar", "add", "2026-03-18", "--holiday"), 2, "--reference"),
        (("calendar", "add"), 2, "sebutkan TANGGAL"),
        (("calendar", "remove", "2026-03-19"), 1, "Tidak ada pengecualian untuk tanggal 2026-03-19"),
        (("calendar", "remove", "2026-03-19", "--holiday"), 2, "hanya menerima TANGGAL"),
        (("calendar", "list", "2026-03-19"), 2, "hanya menerima --year"),
        (("calendar", "list", "--year", "1999"), 1, "Tahun harus antara 2000 dan 2099"),
    ],
)
def test_errors_are_one_line(cli: Run, args: tuple[str, ...], status: int, message: str) -> None:
    assert message in one_line_error(cli(*args), status)


def test_a_date_already_overridden_is_refused(cli: Run) -> None:
    assert cli("calendar", "add", "2026-03-18", "--working", "--reference", REFERENCE)[0] == 0
    err = one_line_error(cli("calendar", "add", "2026-03-18", "--holiday", "--reference", REFERENCE))
    assert "sudah memiliki pengecualian" in err
