"""The CLI files a likely duplicate only when told to, and closes a duplicate as "duplikat"."""

from __future__ import annotations

import json

from tests.builders import application
from tests.cli.conftest import Run
from tests.cli.test_cli import one_line_error


def test_a_likely_duplicate_needs_confirm_duplicate_and_closes_as_duplikat(cli: Run) -> None:
    cli("init", "--demo")
    data = json.dumps(application())
    status, out, _ = cli("case", "start", "--user", "pemohon", "--data", data)
    assert status == 0
    first = out.split()[1]
    err = one_line_error(cli("case", "start", "--user", "pemohon", "--data", data))
    assert first in err and "nama dan telepon yang sama" in err
    status, out, _ = cli("case", "start", "--user", "pemohon", "--data", data, "--confirm-duplicate")
    assert status == 0
    second = out.split()[1]
    assert second != first

    one_line_error(cli("case", "duplicate", second, "--user", "ketua_lppar", "--reason", "Ganda."), status=2)
    err = one_line_error(cli("case", "duplicate", second, "--user", "tim_teknis", "--original", first, "--reason", "X"))
    assert "Ketua LP-PAR" in err
    err = one_line_error(
        cli("case", "duplicate", second, "--user", "ketua_lppar", "--original", second, "--reason", "X")
    )
    assert "dirinya sendiri" in err
    status, out, _ = cli("case", "show", second)
    assert "Status : open" in out

    status, out, _ = cli(
        "case", "duplicate", second, "--user", "ketua_lppar", "--original", first, "--reason", "Ganda."
    )
    assert status == 0 and "Status : cancelled, hasil duplikat" in out
    status, out, _ = cli("case", "events", second)
    assert out.splitlines()[-1].split()[3] == "case_closed_as_duplicate"
    status, out, _ = cli("audit", "verify", "--case", second)
    assert status == 0
