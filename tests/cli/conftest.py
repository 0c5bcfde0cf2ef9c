"""The CLI run in-process against the test database."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

import pytest

from cli.main import main
from engine.settings import Settings

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """Run `mediasi ARGS` in-process against the test database and its document store.

    Returns (status, stdout, stderr).
    """
    monkeypatch.setenv("MEDIASI_DATABASE_URL", database_url)
    monkeypatch.setenv("MEDIASI_DOCUMENT_DIR", str(settings.document_dir))
    monkeypatch.delenv("MEDIASI_CUTI_BERSAMA_WORKING", raising=False)

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run
