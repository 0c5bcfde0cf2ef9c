"""mediasi export: de-identified files from the terminal, logged with the operator as actor; one-line errors."""

from __future__ import annotations

import getpass
import hashlib
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from tests.cli.test_cli import one_line_error
from tests.engine.test_exports import (
    STATISTICS,
    STATISTICS_HEADER,
    Seeded,
    logged_exports,
    read_csv,
    read_xlsx,
    seed,
    simfoni_expected,
    statistics_rows,
)

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def seeded(make_ctx: Callable[[], EngineContext], people: dict[str, Actor], clock: FixedClock) -> Seeded:
    return seed(make_ctx, people, clock)


def test_export_statistics_as_csv(cli: Run, ctx: EngineContext, seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "statistik.csv"
    status, stdout, stderr = cli("export", "statistik", "--format", "csv", "--out", str(out))
    content = out.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    assert (status, stderr) == (0, "")
    assert stdout == f"{out}: 4 baris, SHA-256 {digest}\n"
    assert read_csv(content) == [STATISTICS_HEADER, *statistics_rows(*STATISTICS)]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # the operator's own file
    actor, type_, subject, detail = logged_exports(ctx)[-1]
    assert (actor, type_, subject) == (f"cli:{getpass.getuser()}", "statistics_exported", None)
    assert detail == {
        "kind": "statistik",
        "format": "csv",
        "filter": {"dari": None, "sampai": None},
        "file": "statistik-kasus.csv",
        "rows": 4,
        "size": len(content),
        "sha256": digest,
    }


def test_export_simfoni_as_xlsx_for_some_days(cli: Run, ctx: EngineContext, seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "simfoni.xlsx"
    status, stdout, _ = cli(
        "export", "simfoni", "--format", "xlsx", "--dari", "2026-03-17", "--sampai", "2026-03-31", "--out", str(out)
    )
    content = out.read_bytes()
    assert status == 0 and stdout.startswith(f"{out}: 12 baris, SHA-256 ")
    rows = [["" if c is None else str(c) for c in row] for row in read_xlsx(content)[1:]]
    assert rows == [row for row in simfoni_expected() if row[0] in ("K0001", "K0002")]
    detail = logged_exports(ctx)[-1][3]
    assert detail["filter"] == {"dari": "2026-03-17", "sampai": "2026-03-31"}
    assert detail["sha256"] == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("--dari", "2026-13-01"), 1, "--dari: Tanggal awal harus tanggal yang sah berbentuk TTTT-BB-HH."),
        (
            ("--dari", "2026-04-02", "--sampai", "2026-04-01"),
            1,
            "--sampai: Tanggal akhir tidak boleh sebelum tanggal awal.",
        ),
    ],
)
def test_a_bad_date_is_one_line_and_writes_nothing(
    cli: Run, ctx: EngineContext, tmp_path: Path, args: tuple[str, ...], status: int, message: str
) -> None:
    out = tmp_path / "x.csv"
    err = one_line_error(cli("export", "statistik", "--format", "csv", *args, "--out", str(out)), status)
    assert err == f"mediasi: {message}\n"
    assert not out.exists() and logged_exports(ctx) == []


def test_a_missing_folder_is_refused_before_anything_is_exported(cli: Run, ctx: EngineContext, tmp_path: Path) -> None:
    out = tmp_path / "tidak-ada" / "x.csv"
    err = one_line_error(cli("export", "simfoni", "--format", "csv", "--out", str(out)), 2)
    assert err == f"mediasi: --out: folder {out.parent} tidak ada\n"
    assert logged_exports(ctx) == []


def test_format_and_out_are_required(cli: Run, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as usage:
        cli("export", "statistik", "--out", str(tmp_path / "x.csv"))
    assert usage.value.code == 2
    with pytest.raises(SystemExit):
        cli("export", "laporan", "--format", "csv", "--out", str(tmp_path / "x.csv"))
