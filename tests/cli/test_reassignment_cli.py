"""`mediasi task release --reason` and `task reassign`: the Ketua or an admin moves a task someone claimed."""

from __future__ import annotations

import pytest

from cli.main import EXIT_ERROR, EXIT_USAGE
from engine.actors import Actor
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from tests.builders import application
from tests.cli.conftest import Run
from tests.cli.test_cli import one_line_error
from tests.snapshots import snapshot


@pytest.fixture
def claimed(ctx: EngineContext, people: dict[str, Actor]) -> tuple[str, str]:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    task_service.claim_task(ctx, actor=people["rina"], task_id=case.tasks[0].id)
    return case.number, str(case.tasks[0].id)


def test_reassign_then_release_with_a_reason(cli: Run, ctx: EngineContext, claimed: tuple[str, str]) -> None:
    number, task_id = claimed
    status, out, _ = cli("task", "reassign", task_id, "--user", "rudi", "--to", "rudi", "--reason", "Rina cuti.")
    assert status == 0 and "diambil rudi" in out
    status, out, _ = cli("task", "release", task_id, "--user", "rina", "--reason", "Rudi sakit.")
    assert status == 0 and "diambil" not in out
    assert [e.type for e in case_queries.case_events(ctx, number)][-2:] == ["task_reassigned", "task_released"]


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("reassign", "--user", "rudi", "--to", "tono", "--reason", "Cuti."), EXIT_ERROR, "tidak bekerja di lajur"),
        (("reassign", "--user", "rudi", "--to", "rudi", "--reason", " "), EXIT_ERROR, "Alasan wajib diisi"),
        (("reassign", "--user", "rudi", "--reason", "Cuti."), EXIT_USAGE, "--to"),
        (("release", "--user", "sari", "--reason", "Cuti."), EXIT_ERROR, "Hanya Ketua LP-PAR atau administrator"),
    ],
)
def test_refusals_are_one_line_and_change_nothing(
    cli: Run, ctx: EngineContext, claimed: tuple[str, str], args: tuple[str, ...], status: int, message: str
) -> None:
    before = snapshot(ctx)
    action, *rest = args
    result = cli("task", action, claimed[1], *rest)
    assert message in one_line_error(result, status)
    assert snapshot(ctx) == before
