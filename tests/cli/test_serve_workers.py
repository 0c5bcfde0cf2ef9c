"""`mediasi serve --workers N` as a real server: N worker processes, one scheduler, a clean stop.

Each test starts the command as a subprocess on a free port against the test database, and looks
at it from outside: which process holds the connection a request was answered on (/proc), which
processes the master started, what the scheduler wrote, and what is left after SIGTERM.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import Event
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.builders import Step, application, ready_task, steps, walk
from tests.cli.conftest import Run
from tests.cli.test_worker_cli import ESCALATIONS, TO_DECISION
from tests.conftest import OPERATOR

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")]

BOUND = 60.0  # seconds any wait below may take before the test gives up
MEDIASI = str(Path(sys.executable).parent / "mediasi")


@dataclass
class Served:
    """A running `mediasi serve` and where it writes."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(database_url: str, folder: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Start `mediasi serve ARGS` on a free port and wait for its health answer; kill what is left at the end."""
    port, log = free_port(), folder / "serve.log"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MEDIASI_")}
    environ |= {
        "MEDIASI_DATABASE_URL": database_url,
        "MEDIASI_SECRET_KEY": "test-secret",
        "MEDIASI_DOCUMENT_DIR": str(folder / "documents"),
        "MEDIASI_TIMER_INTERVAL": "1",
        **(env or {}),
    }
    command = [MEDIASI, "serve", "--port", str(port), "--threads", "4", *args]
    with log.open("wb") as sink:  # a session of its own, so that whatever is left can be killed at the end
        process = subprocess.Popen(
            command, env=environ, cwd=folder, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    served = Served(process, port, log)
    try:
        wait_for(lambda: process.poll() is not None or health(port) == 200, "the server never answered")
        assert process.poll() is None, served.output()
        yield served
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(done: Any, why: str) -> None:
    deadline = time.monotonic() + BOUND
    while not done():
        assert time.monotonic() < deadline, why
        time.sleep(0.1)


def health(port: int) -> int | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/api/v1/health")
        status = connection.getresponse().status
        connection.close()
        return status
    except OSError:
        return None


# -- processes, from /proc ------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    below = children(pid)
    return below + [d for child in below for d in descendants(child)]


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return []


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def is_scheduler(pid: int) -> bool:
    return cmdline(pid)[3:5] == ["cli.server", "scheduler"]


def workers_and_schedulers(served: Served) -> tuple[list[int], list[int]]:
    """The master's children: gunicorn's workers and scheduler processes."""
    below = children(served.process.pid)
    return [p for p in below if not is_scheduler(p)], [p for p in below if is_scheduler(p)]


def socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the loopback connection from `client_port`."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9]
    return None


def holder(inode: str, pids: list[int]) -> int | None:
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        if f"socket:[{inode}]" in links:
            return pid
    return None


def answered_by(served: Served, workers: list[int]) -> int | None:
    """The worker holding the kept-alive connection that a health request was just answered on."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        connection.request("GET", "/api/v1/health")
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (200, {"status": "ok"})
        assert connection.sock is not None
        inode = socket_inode(served.port, connection.sock.getsockname()[1])
        return holder(inode, workers) if inode else None
    finally:
        connection.close()


def answering_workers(served: Served, workers: list[int], wanted: int) -> set[int]:
    """Open connections until `wanted` different workers have answered (or a bounded number were tried)."""
    seen: set[int] = set()
    for _ in range(300):
        pid = answered_by(served, workers)
        if pid is not None:
            seen.add(pid)
        if len(seen) == wanted:
            break
    return seen


# -- what the scheduler did -----------------------------------------------------------------------------


def fired(ctx: EngineContext, case_id: Any) -> list[str | None]:
    with ctx.unit_of_work(write=False) as uow:
        query = select(Event.element).where(Event.case_id == case_id, Event.type == "timer_fired")
        return sorted(e for e in uow.session.scalars(query) if e)


def complete_over_http(served: Served, token: str, task_id: Any, data: dict[str, Any]) -> int:
    """POST a completion; a 409 (the scheduler moved the case meanwhile) is tried again, a few times."""
    for _ in range(5):
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        body = json.dumps({"data": data})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request("POST", f"/api/v1/tasks/{task_id}/complete", body=body, headers=headers)
        status = connection.getresponse().status
        connection.close()
        if status != 409:
            break
    return status


def stop(served: Served) -> tuple[int, list[int]]:
    """SIGTERM to the master alone, as a process manager sends it; its exit status and what still runs."""
    below = descendants(served.process.pid)
    served.process.send_signal(signal.SIGTERM)
    status = served.process.wait(BOUND)
    wait_for(lambda: not any(running(p) for p in below), "processes of the server outlived it")
    return status, [p for p in below if running(p)]


def test_two_workers_answer_one_scheduler_fires_and_sigterm_stops_all(
    database_url: str, tmp_path: Path, ctx: EngineContext, people: dict[str, Actor]
) -> None:
    waiting = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, waiting, steps(*TO_DECISION))  # in March 2026; the server's clock is later
    fresh = case_service.start_case(ctx, actor=people["ani"], data=application())
    token = user_service.create_token(ctx, actor=OPERATOR, username="rina")

    with serving(database_url, tmp_path, "--workers", "2") as served:
        wait_for(lambda: len(fired(ctx, waiting.id)) >= len(ESCALATIONS), "the scheduler never fired the timers")
        workers, schedulers = workers_and_schedulers(served)
        assert len(workers) == 2 and len(schedulers) == 1, served.output()
        assert answering_workers(served, workers, 2) == set(workers)

        # A step over HTTP runs its gateway in a script worker of the worker that serves it.
        task = ready_task(ctx, fresh.id, "Task_periksa_kelengkapan")
        assert complete_over_http(served, token, task, Step("Task_periksa_kelengkapan").payload()) == 200
        assert any(children(w) for w in workers), "no worker started a script worker"
        assert fired(ctx, waiting.id) == sorted(ESCALATIONS)  # each timer once, whoever looked

        status, left = stop(served)
        assert (status, left) == (0, []), served.output()
    assert "Traceback" not in served.output(), served.output()


def test_without_scheduler_no_worker_fires_and_workers_come_from_the_environment(
    database_url: str, tmp_path: Path, ctx: EngineContext, people: dict[str, Actor]
) -> None:
    waiting = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, waiting, steps(*TO_DECISION))

    with serving(database_url, tmp_path, "--no-scheduler", env={"MEDIASI_WORKERS": "2"}) as served:
        workers, schedulers = workers_and_schedulers(served)
        assert (len(workers), schedulers) == (2, []), served.output()
        assert answering_workers(served, workers, 2) == set(workers)
        time.sleep(2)  # a scheduler in a worker would have ticked by now (its first tick is at start)
        assert fired(ctx, waiting.id) == []
        status, left = stop(served)
        assert (status, left) == (0, []), served.output()


def test_sigint_stops_gracefully_too(database_url: str, tmp_path: Path, deployed: object) -> None:
    with serving(database_url, tmp_path, "--workers", "2") as served:
        below = descendants(served.process.pid)
        served.process.send_signal(signal.SIGINT)
        assert served.process.wait(BOUND) == 0, served.output()
        wait_for(lambda: not any(running(p) for p in below), "processes of the server outlived it")
    assert "Shutting down: Master" in served.output()


@pytest.mark.parametrize("value", ["0", "dua", "65"])
def test_a_bad_worker_count_is_one_line(cli: Run, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MEDIASI_WORKERS", value)
    status, _, err = cli("serve", "--port", "1")
    assert status == 1 and err.startswith("mediasi: MEDIASI_WORKERS harus bilangan bulat antara 1 dan 64"), err
    assert err.count("\n") == 1
