"""The script sandbox: deploy-time rules and run-time guards."""

from __future__ import annotations

from typing import Any

import pytest

from engine import sandbox
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import ProcessFailed
from engine.services import cases as case_service
from engine.services import tasks as task_service
from tests.builders import Step, application, ready_task, steps, walk
from tests.conftest import OPERATOR
from tests.engine.test_deploy import LANES, mutated
from tests.snapshots import snapshot


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("().__class__.__bases__[0].__subclasses__()", "'__subclasses__' tidak diizinkan"),
        ("__import__('os')", "'__import__' tidak diizinkan"),
        ("open('/etc/passwd')", "fungsi bawaan 'open' tidak diizinkan"),
        ("eval('1')", "fungsi bawaan 'eval' tidak diizinkan"),
        ("getattr(x, 'y')", "fungsi bawaan 'getattr' tidak diizinkan"),
        ("globals()", "fungsi bawaan 'globals' tidak diizinkan"),
        ("type(x)", "fungsi bawaan 'type' tidak diizinkan"),
        ("(lambda _x: 1)(2)", "'_x' tidak diizinkan"),
        ("x ==", "sintaks Python tidak valid"),
    ],
)
def test_deploy_rules_refuse_escapes_in_expressions(source: str, message: str) -> None:
    problems = sandbox.check_source(source, "eval")
    assert any(message in text for _, text in problems), problems


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import os", "impor modul tidak diizinkan"),
        ("from os import path", "impor modul tidak diizinkan"),
        ("class A:\n    pass", "definisi kelas tidak diizinkan"),
        ("global x\nx = 1", "pernyataan global tidak diizinkan"),
        ("x = 1\ny = x.__dict__", "'__dict__' tidak diizinkan"),
        ("g = (i for i in [1])\nb = g.gi_frame.f_back", "'gi_frame' tidak diizinkan (membuka"),
        ("c = '{x}'.format_map", "'format_map' tidak diizinkan"),
        ("match x:\n    case 1:\n        y = 2", "sandbox: Match statements are not allowed"),
    ],
)
def test_deploy_rules_refuse_escapes_in_scripts(source: str, message: str) -> None:
    problems = sandbox.check_source(source, "exec")
    assert any(message in text for _, text in problems), problems


def test_ordinary_conditions_and_scripts_pass() -> None:
    assert sandbox.check_source('"seksual" not in jenis_kekerasan and len(korban) > 0', "eval") == []
    assert sandbox.check_source("x = sorted(k['umur'] for k in korban)\nx.append(1)", "exec") == []


@pytest.mark.parametrize(
    "source",
    [
        '"{0.__class__}".format(1)',  # str.format reaches attributes; refused at run time
        "x.__class__",  # a name check that slipped past deploy still fails here
        "[i for i in x].copy().gi_frame",
        "(i for i in x).gi_frame",
        "getattr(x, 'append')",
        "open('/etc/passwd')",
        "__import__('os')",
    ],
)
def test_run_time_guards_stop_what_slips_past(source: str) -> None:
    with pytest.raises(Exception) as caught:
        sandbox.evaluate(source, {"x": []})
    assert not isinstance(caught.value, AssertionError)


def test_scripts_update_process_variables_and_keep_them_json() -> None:
    data: dict[str, Any] = {"korban": [{"umur": 15}], "hapus": 1}
    sandbox.execute("anak = [k for k in korban if k['umur'] < 18]\nn = 0\nn += len(anak)\ndel hapus", data)
    assert data == {"korban": [{"umur": 15}], "anak": [{"umur": 15}], "n": 1}
    with pytest.raises(sandbox.SandboxViolation):
        sandbox.execute("s = {1, 2}", {})


def test_a_script_failing_at_run_time_fails_its_step_and_changes_nothing(
    ctx: EngineContext, people: dict[str, Actor]
) -> None:
    from engine.services import deploy as deploy_service

    xml, _ = mutated("peringatan_aturan = []", 'peringatan_aturan = "{0}".format(1)')
    deploy_service.deploy(ctx, actor=OPERATOR, xml=xml, filename="uji.bpmn", lane_roles=LANES)
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
    task_id = ready_task(ctx, case.id, "Task_telaah_permohonan")
    before = snapshot(ctx)
    with pytest.raises(ProcessFailed) as caught:
        task_service.complete_task(
            ctx, actor=people["rina"], task_id=task_id, data=Step("Task_telaah_permohonan").payload()
        )
    assert "Periksa aturan lunak" in str(caught.value)
    assert {**snapshot(ctx), "incident": None} == {**before, "incident": None}
