"""Scripts run in worker processes with CPU, memory and wall-clock limits; the caller goes on."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from engine import script_worker
from engine.context import EngineContext
from engine.errors import ProcessFailed
from engine.policy import Actor
from engine.sandbox import SandboxViolation
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import incidents
from engine.services import tasks as task_service
from tests.builders import Step, application, ready_task, steps, walk
from tests.conftest import OPERATOR
from tests.engine.test_deploy import LANES, mutated
from tests.snapshots import snapshot

# The four scripts a security tester deployed: each froze the server before scripts had limits.
RUNAWAYS = {
    # The CPU limit stops these; on a loaded machine the wall clock may stop them first.
    "endless loop": ("while True:\n    pass", "skrip melampaui batas waktu"),
    "huge power": ("x = 10**10**10", "skrip melampaui batas waktu"),
    "huge string": ("x = 'a' * 10**10", "batas memori"),
    "shared references": ("a = [1] * 1000\nb = [a] * 1000\nc = [b] * 100", "hasil skrip terlalu besar"),
}


@pytest.fixture
def pool() -> Iterator[script_worker.ScriptPool]:
    pool = script_worker.ScriptPool(script_worker.Limits(cpu_seconds=1, memory_mb=128, wall_seconds=10), size=2)
    yield pool
    pool.close()


@pytest.mark.parametrize("name", list(RUNAWAYS))
def test_a_runaway_script_is_stopped_and_the_pool_goes_on(pool: script_worker.ScriptPool, name: str) -> None:
    source, message = RUNAWAYS[name]
    with pytest.raises(SandboxViolation, match=message):
        pool.execute(source, {})
    assert pool.evaluate("1 + x", {"x": 2}) == 3


def test_the_wall_clock_stops_a_script_the_cpu_limit_has_not_yet() -> None:
    pool = script_worker.ScriptPool(script_worker.Limits(cpu_seconds=60, memory_mb=128, wall_seconds=0.5), size=1)
    try:
        with pytest.raises(script_worker.ScriptLimitExceeded, match=r"batas waktu \(0.5 detik\)"):
            pool.execute("while True:\n    pass", {})
        assert pool.evaluate("2 * 2", {}) == 4  # a fresh worker replaced the killed one
    finally:
        pool.close()


def test_scripts_run_in_another_process(pool: script_worker.ScriptPool) -> None:
    functions = {"pid": os.getpid}
    assert pool.evaluate("pid()", {}, functions) == os.getpid()  # the caller answers call-backs
    worker = pool._acquire()
    try:
        assert worker.process.pid != os.getpid()
    finally:
        pool._release(worker)


def test_variables_go_in_and_out_as_data(pool: script_worker.ScriptPool) -> None:
    context = {"a": 1, "gone": True}
    pool.execute("b = a + 1\ndel gone", context)
    assert context == {"a": 1, "b": 2}
    with pytest.raises(SandboxViolation, match="data JSON"):
        pool.evaluate("a", {"a": object()})
    with pytest.raises(SandboxViolation, match="hasil ekspresi harus berupa data JSON"):
        pool.evaluate("{1, 2}", {})  # a set: refused in the worker, which goes on
    assert pool.evaluate("sorted({2, 1})", {}) == [1, 2]


def test_a_call_back_error_reaches_the_script_as_a_value_error(pool: script_worker.ScriptPool) -> None:
    def hari_kerja(n: int) -> str:
        raise ValueError(f"hari_kerja({n}) ditolak")

    with pytest.raises(script_worker.ScriptError) as caught:
        pool.evaluate("hari_kerja(-1)", {}, {"hari_kerja": hari_kerja})
    assert caught.value.kind == "ValueError" and "hari_kerja(-1) ditolak" in str(caught.value)
    assert pool.evaluate("f(1) if False else 7", {}, {"f": hari_kerja}) == 7


def test_a_script_error_keeps_its_type_and_line(pool: script_worker.ScriptPool) -> None:
    with pytest.raises(script_worker.ScriptError) as caught:
        pool.execute("x = 1\ny = x / 0", {})
    assert caught.value.kind == "ZeroDivisionError" and "(baris 2)" in str(caught.value)


@pytest.mark.parametrize("name", list(RUNAWAYS))
def test_a_deployed_runaway_script_fails_its_step_and_changes_nothing(
    ctx: EngineContext, people: dict[str, Actor], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, message = RUNAWAYS[name]
    monkeypatch.setattr(script_worker.POOL, "limits", script_worker.Limits(1, 128, 10))
    xml, _ = mutated("peringatan_aturan = []", source + "\nperingatan_aturan = []")
    deploy_service.deploy(ctx, actor=OPERATOR, xml=xml, filename="uji.bpmn", lane_roles=LANES)
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
    task_id = ready_task(ctx, case.id, "Task_telaah_permohonan")
    before = snapshot(ctx)
    with pytest.raises(ProcessFailed) as caught:
        task_service.complete_task(
            ctx, actor=people["rina"], task_id=task_id, data=Step("Task_telaah_permohonan").payload()
        )
    text = str(caught.value)
    assert text.startswith("Langkah otomatis pada Periksa aturan lunak") and message in text
    assert "WorkflowTaskException" not in text  # the script's own error, not the engine's wrapper
    after = snapshot(ctx)
    assert {**after, "incident": None} == {**before, "incident": None}  # the case is as it was
    [incident] = incidents.list_open(ctx, OPERATOR)  # and the process owner sees why
    assert (incident.case_id, incident.element, incident.kind) == (case.id, "Task_telaah_permohonan", "task")
    assert message in incident.error and incident.retries == 1
