"""A served instance stays healthy while deployed runaway scripts run: the issue's acceptance test.

Four versions of the mediation process each carry one runaway script (in "Periksa aturan lunak",
which runs when the Ketua completes "Telaah permohonan"). The four completions are sent at once
over HTTP; while they run, /api/v1/health answers and a complaint case is filed and completed from
start to end, each within 2 s. Then every runaway step has failed with its limit and left its case
as it was.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine import script_worker
from engine.context import EngineContext
from engine.policy import Actor
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import users as user_service
from tests.builders import Step, application, ready_task, steps, walk
from tests.conftest import OPERATOR
from tests.engine.test_deploy import LANES, mutated
from tests.engine.test_script_worker import RUNAWAYS
from tests.engine.test_statistics import ANSWER, COMPLAINT, RESULT
from webapp import create_app

pytestmark = pytest.mark.slow


@pytest.fixture
def server(ctx: EngineContext, deployed: object) -> Iterator[str]:
    app = create_app({"TESTING": False}, ctx=ctx)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)


def call(base: str, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}/api/v1{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def runaway_cases(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Any]:
    """One case per runaway script, each at the task whose completion runs it: name -> (case id, task id)."""
    found = {}
    for name, (source, _) in RUNAWAYS.items():
        xml, _ = mutated("peringatan_aturan = []", source + "\nperingatan_aturan = []")
        deploy_service.deploy(ctx, actor=OPERATOR, xml=xml, filename="uji.bpmn", lane_roles=LANES)
        case = case_service.start_case(ctx, actor=people["ani"], data=application())
        walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
        found[name] = (case.id, ready_task(ctx, case.id, "Task_telaah_permohonan"))
    return found


def test_the_server_stays_healthy_while_runaway_scripts_run(
    ctx: EngineContext, people: dict[str, Actor], server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(script_worker.POOL, "limits", script_worker.Limits(2, 256, 5))
    tasks = runaway_cases(ctx, people)
    token = {u: user_service.create_token(ctx, actor=OPERATOR, username=u) for u in ("rina", "ani", "dewi")}
    answers: dict[str, tuple[int, Any]] = {}

    def run(name: str) -> None:
        payload = {"data": Step("Task_telaah_permohonan").payload()}
        answers[name] = call(server, token["rina"], "POST", f"/tasks/{tasks[name][1]}/complete", payload)

    threads = {name: threading.Thread(target=run, args=(name,)) for name in tasks}
    for thread in threads.values():
        thread.start()
    time.sleep(0.5)  # the runaways have reached their workers

    started = time.monotonic()
    status, health = call(server, token["ani"], "GET", "/health")
    health_seconds = time.monotonic() - started
    assert status == 200, health

    started = time.monotonic()
    status, case = call(server, token["ani"], "POST", "/cases", {"process": "pengaduan_layanan", "data": COMPLAINT})
    assert status == 201, case
    for form in (ANSWER, RESULT):
        task = case["tasks"][0]["id"]
        status, answer = call(server, token["dewi"], "POST", f"/tasks/{task}/complete", {"data": form})
        assert status == 200, answer
        case = answer["case"]
    other_case_seconds = time.monotonic() - started
    still_running = [name for name, thread in threads.items() if thread.is_alive()]

    assert case["status"] == "completed", case
    assert health_seconds < 2 and other_case_seconds < 2, (health_seconds, other_case_seconds)
    assert {"endless loop", "huge power"} <= set(still_running), still_running  # it all happened meanwhile

    for thread in threads.values():
        thread.join(timeout=30)
    for name, (_, limit) in RUNAWAYS.items():
        status, error = answers[name]
        assert status == 422 and error["error"] == "process_failed" and limit in error["message"], (name, status, error)
        case_id, task_id = tasks[name]
        assert ready_task(ctx, case_id, "Task_telaah_permohonan") == task_id  # the case is as it was
