"""mediasi migrate: a dry run and a migration from the terminal, one line per case."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.actors import Actor
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import queries as case_queries
from tests.builders import application, steps, walk
from tests.cli.test_cli import one_line_error
from tests.engine.test_migration import deploy, without_medis
from tests.snapshots import snapshot

KEY = "mediasi_kekerasan"
Run = Callable[..., tuple[int, str, str]]


def test_dry_run_then_migrate(cli: Run, ctx: EngineContext, people: dict[str, Actor]) -> None:
    early = case_service.start_case(ctx, actor=people["ani"], data=application())
    tim = case_service.start_case(ctx, actor=people["budi"], data=application())
    walk(lambda: ctx, people, tim, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    deploy(ctx, without_medis())

    before = snapshot(ctx)
    result = cli("migrate", KEY, "--from", "1", "--to", "2", "--dry-run")
    error = one_line_error(result)
    _, out, _ = result
    assert out.splitlines() == [
        f"{early.number}: dapat dimigrasikan ke versi 2.",
        f"{tim.number}: TIDAK DAPAT dimigrasikan: Kasus menunggu pada 'Pendapat medis' (Task_pendapat_medis), "
        "yang tidak ada di versi 2.",
    ]
    assert "1 dari 2 kasus tidak dapat dimigrasikan" in error
    assert snapshot(ctx) == before

    status, out, err = cli("migrate", KEY, "--from", "1", "--to", "2", "--case", early.number)
    assert (status, out, err) == (0, f"{early.number}: dimigrasikan ke versi 2.\n", "")
    assert case_queries.get_case(ctx, early.number).process_version == 2

    result = cli("migrate", KEY, "--from", "1", "--to", "2", "--case", tim.number, "--case", early.number)
    one_line_error(result)
    lines = result[1].splitlines()
    assert lines[0].startswith(f"{tim.number}: DITOLAK, tidak diubah: Kasus menunggu pada 'Pendapat medis'")
    assert lines[1] == f"{early.number}: DITOLAK, tidak diubah: Kasus berjalan pada {KEY} versi 2, bukan versi 1."
    assert case_queries.get_case(ctx, tim.number).process_version == 1

    status, out, _ = cli("migrate", KEY, "--from", "2", "--to", "3", "--dry-run")
    assert status == 1  # no version 3


def test_errors_are_one_line(cli: Run, ctx: EngineContext, deployed: object) -> None:
    assert "tidak ditemukan" in one_line_error(cli("migrate", KEY, "--from", "1", "--to", "2"))
    deploy(ctx, without_medis())
    assert "harus lebih lama" in one_line_error(cli("migrate", KEY, "--from", "2", "--to", "1"))
    assert "tidak ditemukan" in one_line_error(cli("migrate", "tidak_ada", "--from", "1", "--to", "2"))
    status, out, err = cli("migrate", KEY, "--from", "1", "--to", "2")
    assert (status, out, err) == (0, f"Tidak ada kasus terbuka pada {KEY} versi 1.\n", "")
    with pytest.raises(SystemExit) as usage:
        cli("migrate", KEY, "--from", "satu", "--to", "2")
    assert usage.value.code == 2
