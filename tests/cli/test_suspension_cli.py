"""The CLI suspends and resumes a case; a suspended case's task is refused in one line."""

from __future__ import annotations

import json

from tests.builders import FORMS, application
from tests.cli.conftest import Run
from tests.cli.test_cli import one_line_error


def test_suspend_refuse_the_task_and_resume(cli: Run) -> None:
    cli("init", "--demo")
    status, out, _ = cli("case", "start", "--user", "pemohon", "--data", json.dumps(application()))
    assert status == 0
    number = out.split()[1]
    task_id = next(line.split()[0] for line in out.splitlines() if "[" in line)
    data = json.dumps(FORMS["Task_periksa_kelengkapan"])

    one_line_error(cli("case", "suspend", number, "--user", "ketua_lppar"), status=2)  # no --reason
    assert "Ketua LP-PAR" in one_line_error(cli("case", "suspend", number, "--user", "tim_teknis", "--reason", "X"))
    status, out, _ = cli("case", "suspend", number, "--user", "ketua_lppar", "--reason", "Menunggu visum.")
    assert status == 0 and "Ditangguhkan sejak" in out and "Menunggu visum." in out
    assert "sudah ditangguhkan" in one_line_error(cli("case", "suspend", number, "--reason", "Lagi."))
    err = one_line_error(cli("task", "complete", task_id, "--user", "ketua_lppar", "--data", data))
    assert f"Kasus {number} sedang ditangguhkan" in err and "Lanjutkan kasus dahulu." in err

    status, out, _ = cli("case", "resume", number)  # the operator
    assert status == 0 and "Ditangguhkan" not in out
    assert cli("task", "complete", task_id, "--user", "ketua_lppar", "--data", data)[0] == 0
    status, out, _ = cli("case", "events", number)
    types = [line.split()[3] for line in out.splitlines()]
    assert types.count("case_suspended") == 1 and types.count("case_resumed") == 1
    assert cli("audit", "verify", "--case", number)[0] == 0
    assert cli("replay", number)[0] == 0
