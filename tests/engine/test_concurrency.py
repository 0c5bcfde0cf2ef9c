"""Two people completing one task: one wins, the other is told, nothing is applied twice."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import runtime
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict
from engine.persistence.models import Case, Event
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from tests.builders import application

DATA = {"berkas_lengkap": True}


def completions(ctx: EngineContext, case_id: Any) -> tuple[int, int]:
    """(task_completed events, case version) of a case."""
    with ctx.unit_of_work(write=False) as uow:
        events = uow.session.scalar(
            select(func.count()).select_from(Event).where(Event.case_id == case_id, Event.type == "task_completed")
        )
        version = uow.session.scalar(select(Case.version).where(Case.id == case_id))
    return int(events or 0), int(version or 0)


def race(make_ctx: Callable[[], EngineContext], actors: list[Actor], task_id: Any) -> list[Any]:
    """Complete one task from two threads released together; return each result or error."""
    contexts = [make_ctx() for _ in actors]
    barrier = threading.Barrier(len(actors))
    results: list[Any] = [None] * len(actors)

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = task_service.complete_task(contexts[i], actor=actors[i], task_id=task_id, data=DATA)
        except Conflict as exc:
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(actors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_threads_one_task(
    make_ctx: Callable[[], EngineContext], ctx: EngineContext, people: dict[str, Actor]
) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    results = race(make_ctx, [people["rina"], people["rudi"]], case.tasks[0].id)
    errors = [r for r in results if isinstance(r, Conflict)]
    assert len(errors) == 1, results
    assert completions(ctx, case.id) == (1, 2)
    assert [t.element for t in case_queries.get_case(ctx, case.number).tasks] == ["Task_telaah_permohonan"]


def test_stale_version_is_a_conflict(
    make_ctx: Callable[[], EngineContext],
    ctx: EngineContext,
    people: dict[str, Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both completions load the case before either saves; exactly the later save is refused.

    A step computes in a read transaction on both databases (the write lock is taken only for its
    writes), so both read the same version and the version counter refuses the second save. The
    refused step is read again, and the task is then done: the later person is told so.
    """
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    both_loaded = threading.Barrier(2, timeout=5)
    real_load = runtime.load_state
    loads = []

    def load_then_wait(*args: Any) -> Any:
        workflow = real_load(*args)
        loads.append(1)
        if len(loads) <= 2:  # the two first reads meet; a read after a refused save does not wait
            both_loaded.wait()
        return workflow

    monkeypatch.setattr(runtime, "load_state", load_then_wait)
    monkeypatch.setattr(task_service, "_open", counted(task_service._open, attempts := []))
    results = race(make_ctx, [people["rina"], people["rudi"]], case.tasks[0].id)
    assert sorted(type(r).__name__ for r in results) == ["CaseView", "TaskNotReady"], results
    assert len(attempts) == 3  # the step computed: by the winner once, by the refused one twice
    assert completions(ctx, case.id) == (1, 2)


def counted(function: Any, calls: list[int]) -> Any:
    def wrapper(*args: Any) -> Any:
        calls.append(1)
        return function(*args)

    return wrapper


def test_two_processes_one_task(ctx: EngineContext, people: dict[str, Actor], settings: Any) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    task_id = str(case.tasks[0].id)
    env = {**os.environ, "MEDIASI_DATABASE_URL": settings.database_url}
    code = (
        "import sys, time\n"
        "from cli.main import main\n"
        "start = float(sys.argv[1])\n"
        "time.sleep(max(0.0, start - time.time()))\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    import time

    start = str(time.time() + 1.5)  # both interpreters are up by then; they begin together
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                start,
                "task",
                "complete",
                task_id,
                "--user",
                user,
                "--data",
                '{"berkas_lengkap": true}',
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for user in ("rina", "rudi")
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        outcomes.append((proc.returncode, out, err))
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 1], outcomes
    loser = next(err for code, _, err in outcomes if code == 1)
    assert loser.count("\n") == 1 and "Traceback" not in loser
    assert "sudah diselesaikan" in loser or "baru saja diubah" in loser
    assert completions(ctx, case.id) == (1, 2)


def test_reads_are_logged_while_completions_go_on_and_never_make_them_fail(
    make_ctx: Callable[[], EngineContext], ctx: EngineContext, people: dict[str, Actor]
) -> None:
    """Readers append to the shared access chain; completions write their cases' own rows."""
    from engine.services import audit, reads
    from tests.builders import TIM, steps, walk

    cases = [case_service.start_case(ctx, actor=people["ani"], data=application()) for _ in range(3)]
    stop = threading.Event()
    read_counts = [0, 0, 0]  # one counter per reader thread
    failures: list[BaseException] = []

    def reader(i: int, reader_ctx: EngineContext, who: Actor) -> None:
        try:
            while not stop.is_set():
                for case in cases:
                    reads.record_read(reader_ctx, actor=who, type=reads.CASE_READ, case_id=case.id)
                    read_counts[i] += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    readers = [
        threading.Thread(target=reader, args=(i, make_ctx(), people[name]))
        for i, name in enumerate(("rina", "tono", "kadin"))
    ]
    for thread in readers:
        thread.start()
    try:
        writer = make_ctx()
        for case in cases:  # every completion must succeed while the readers log
            walk(lambda: writer, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM))
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
    assert failures == []
    for case in cases:
        assert completions(ctx, case.id) == (6, 7)
    result = audit.verify(ctx)
    assert result.ok, result.first_break
    with ctx.unit_of_work(write=False) as uow:
        logged = uow.session.scalar(select(func.count()).select_from(Event).where(Event.chain == "access"))
    assert logged == sum(read_counts) and all(read_counts)
