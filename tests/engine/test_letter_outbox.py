"""Letters after the commit: a step numbers its letters and writes jobs; the worker renders each once.

The Kepala Dinas' decision calls for the decree (Surat Keputusan). These tests complete it without
the worker, then render its job: alone, with a second worker taking over an expired lease, with
several workers at once, and after a worker was killed (kill -9) in the middle of its job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from engine import runtime
from engine.actors import Actor
from engine.casework.views import CaseView
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.letters import outbox
from engine.persistence.models import Document, Event, LetterJob, Signatory
from engine.services import audit, incidents, letter_jobs
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import signatories as letter_settings
from engine.services import tasks as task_service
from tests.builders import TO_DECISION, Step, application, ready_task, steps, walk
from tests.conftest import OPERATOR

People = dict[str, Actor]
SK = "surat_keputusan"


@pytest.fixture
def decided(ctx: EngineContext, people: People) -> CaseView:
    """A case whose decision step has committed, its decree's job not rendered yet."""
    letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR)
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION))
    task_id = ready_task(ctx, case.id, "Task_keputusan_kadin")
    outbox.DUE.clear()
    task_service.complete_task(ctx, actor=people["kadin"], task_id=task_id, data=_decision())
    return case


def _decision() -> dict[str, Any]:
    return Step("Task_keputusan_kadin").payload()


def counts(ctx: EngineContext, case: CaseView) -> tuple[int, int, int]:
    """(jobs not done, letter documents, document_issued events) of a case."""
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        pending = session.scalar(select(func.count()).where(LetterJob.case_id == case.id, LetterJob.done_at.is_(None)))
        documents = session.scalar(select(func.count()).where(Document.case_id == case.id, Document.kind != "unggahan"))
        events = session.scalar(
            select(func.count()).where(Event.case_id == case.id, Event.type == letter_jobs.DOCUMENT_ISSUED)
        )
        return int(pending or 0), int(documents or 0), int(events or 0)


def test_the_step_numbers_the_letter_and_writes_its_job_but_renders_nothing(
    ctx: EngineContext, decided: CaseView
) -> None:
    assert counts(ctx, decided) == (1, 0, 0)
    assert outbox.DUE.is_set()  # the step's commit woke this process's letter worker
    [pending] = letter_jobs.pending_letters(ctx, decided.id)
    assert (pending.kind, pending.title, pending.number) == (
        SK,
        "Surat Keputusan Kepala Dinas",
        "400/001/DPMPPA/III/2026",
    )
    [outcome] = letter_jobs.render_pending(ctx)
    assert outcome.error is None and outcome.document_id is not None
    assert counts(ctx, decided) == (0, 1, 1) and letter_jobs.pending_letters(ctx, decided.id) == []
    [view] = [d for d in case_queries.case_documents(ctx, decided.number) if d.kind == SK]
    assert view.number == pending.number and view.created_at == pending.created_at  # dated by its step
    content = case_queries.get_document(ctx, view.id)[1]
    assert content.startswith(b"%PDF-")
    assert audit.verify(ctx, case_ref=decided.number).ok
    assert letter_jobs.render_pending(ctx) == []  # nothing is rendered twice


def test_a_worker_whose_lease_ran_out_writes_nothing_when_another_finished_the_job(
    make_ctx: Callable[[], EngineContext], ctx: EngineContext, decided: CaseView, clock: FixedClock
) -> None:
    slow, fast = make_ctx(), make_ctx()
    first = letter_jobs.claim(slow)
    assert first is not None and letter_jobs.claim(fast) is None  # leased
    rendered = letter_jobs.render(slow, first)
    clock.advance(letter_jobs.LEASE + timedelta(seconds=1))
    [outcome] = letter_jobs.render_pending(fast)  # takes the job over and finishes it
    assert outcome.document_id is not None and outcome.job.attempts == 2
    assert letter_jobs.finish(slow, first, rendered) is None  # too late: nothing written
    assert counts(ctx, decided) == (0, 1, 1)
    assert audit.verify(ctx, case_ref=decided.number).ok


def test_several_workers_render_each_job_once(
    make_ctx: Callable[[], EngineContext], ctx: EngineContext, people: People, decided: CaseView
) -> None:
    others = []
    for _ in range(3):
        case = case_service.start_case(ctx, actor=people["ani"], data=application())
        walk(lambda: ctx, people, case, steps(*TO_DECISION))
        outbox.DUE.clear()
        task_id = ready_task(ctx, case.id, "Task_keputusan_kadin")
        task_service.complete_task(ctx, actor=people["kadin"], task_id=task_id, data=_decision())
        others.append(case)
    workers = [make_ctx() for _ in range(3)]
    done: list[list[letter_jobs.Outcome]] = [[] for _ in workers]
    start = threading.Barrier(len(workers))

    def work(i: int) -> None:
        start.wait()
        done[i] = letter_jobs.render_pending(workers[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    outcomes = [o for found in done for o in found]
    assert all(o.error is None for o in outcomes), outcomes
    assert sorted(str(o.job.id) for o in outcomes if o.document_id) == sorted({str(o.job.id) for o in outcomes})
    for case in [decided, *others]:
        assert counts(ctx, case) == (0, 1, 1)
    assert audit.verify(ctx).ok


def test_a_step_whose_case_got_a_letter_meanwhile_is_computed_again(
    make_ctx: Callable[[], EngineContext], ctx: EngineContext, people: People, decided: CaseView, monkeypatch: Any
) -> None:
    """The worker appends the decree's event while the next step computes: that step is not lost."""
    worker = make_ctx()
    real_load = runtime.load_state
    loads: list[int] = []

    def load_while_the_letter_is_issued(*args: Any) -> Any:
        loads.append(1)
        if len(loads) == 1:
            thread = threading.Thread(target=letter_jobs.render_pending, args=(worker,))
            thread.start()
            thread.join(timeout=60)
        return real_load(*args)

    ctx.workflows.clear()
    monkeypatch.setattr(runtime, "load_state", load_while_the_letter_is_issued)
    task_id = ready_task(ctx, decided.id, "Task_undangan_mediasi")
    data = Step("Task_undangan_mediasi").payload()
    view = task_service.complete_task(ctx, actor=people["kadin"], task_id=task_id, data=data)
    assert len(loads) == 2  # refused as stale once, computed again
    assert "Task_undangan_mediasi" not in [t.element for t in view.tasks]
    assert counts(ctx, decided) == (1, 1, 1)  # the decree issued; the invitation's job written
    assert audit.verify(ctx, case_ref=decided.number).ok


def test_a_failing_job_is_put_off_as_an_incident_and_retried_after_the_fix(
    ctx: EngineContext, decided: CaseView, people: People, clock: FixedClock
) -> None:
    with ctx.unit_of_work() as uow:  # after the step, the only signatory turns out to start later
        uow.session.execute(update(Signatory).values(valid_from=date(2026, 3, 18)))
    [outcome] = letter_jobs.render_pending(ctx)
    assert outcome.error is not None and "Belum ada penandatangan" in outcome.error
    assert letter_jobs.render_pending(ctx) == []  # put off: not tried again at once
    [incident] = incidents.list_open(ctx, people["olga"])
    assert (incident.kind, incident.case_number) == (incidents.LETTER, decided.number)
    [pending] = letter_jobs.pending_letters(ctx, decided.id)
    assert pending.error == outcome.error
    _add_signatory(ctx)
    retried = incidents.retry(ctx, incident.id, people["olga"])
    assert retried.outcome == incidents.FIRED and retried.incident.resolved_by == "kadin"
    assert counts(ctx, decided) == (0, 1, 1)


def _add_signatory(ctx: EngineContext) -> None:
    letter_settings.add_signatory(
        ctx,
        actor=OPERATOR,
        name="Kepala Dinas Baru",
        nip="197001012000031001",
        rank="Pembina",
        position="Kepala Dinas",
        valid_from=date(2026, 3, 17),
    )


# A worker process that claims the job, renders and stores it, and is killed (SIGKILL) before its
# commit: at `point` "stored" just after the PDF reached the store, at "finishing" inside the
# finishing transaction, after the document row was written.
KILLED_WORKER = """
import os, signal, sys
from dataclasses import replace
from pathlib import Path
from engine.context import EngineContext
from engine.persistence import case_store
from engine.services import letter_jobs
from engine.settings import Settings

point = sys.argv[1]
settings = replace(Settings(), database_url=os.environ["URL"], document_dir=Path(os.environ["DOCS"]))
ctx = EngineContext.create(settings)
die = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
if point == "stored":
    letter_jobs.finish = die
else:
    letter_jobs.casework.append_events = die  # inside the transaction that records the letter
letter_jobs.render_pending(ctx)
"""


@pytest.mark.parametrize("point", ["stored", "finishing"])
def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(
    ctx: EngineContext, decided: CaseView, clock: FixedClock, point: str
) -> None:
    env = {**os.environ, "URL": ctx.settings.database_url, "DOCS": str(ctx.settings.document_dir)}
    killed = subprocess.run([sys.executable, "-c", KILLED_WORKER, point], env=env, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL
    assert counts(ctx, decided) == (1, 0, 0)  # the job is still to do; no document, no event
    stored = list(ctx.settings.document_dir.rglob("*"))
    assert any(p.is_file() for p in stored)  # the PDF reached the store before the kill
    clock.set(datetime.now(UTC) + letter_jobs.LEASE + timedelta(seconds=5))  # the dead worker's lease ran out
    [outcome] = letter_jobs.render_pending(ctx)
    assert outcome.document_id is not None and outcome.job.attempts == 2
    assert counts(ctx, decided) == (0, 1, 1)
    assert audit.verify(ctx, case_ref=decided.number).ok
    issued = [e for e in case_queries.case_events(ctx, decided.number) if e.type == letter_jobs.DOCUMENT_ISSUED]
    assert [json.dumps(e.data["number"]) for e in issued] == ['"400/001/DPMPPA/III/2026"']
