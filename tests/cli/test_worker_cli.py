"""`mediasi worker`: the scheduler as a process of its own, and the loop `mediasi serve` runs in a thread."""

from __future__ import annotations

import re
import threading

from sqlalchemy import select

from engine.context import EngineContext
from engine.persistence.models import Event
from engine.scheduler import Scheduler, Tick
from engine.services import cases as case_service
from tests.builders import ACCEPTED_TO_END, application, steps, walk
from tests.builders import TO_DECISION as BUILT_TO_DECISION
from tests.cli.conftest import Run

TIM = ("Task_pendapat_psikologis", "Task_pendapat_hukum", "Task_pendapat_medis", "Task_pendapat_sosial")
TO_DECISION = steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM, "Task_rekomendasi_ketua")
ESCALATIONS = ("BoundaryEvent_keputusan_1", "BoundaryEvent_keputusan_2", "BoundaryEvent_keputusan_3")


def fired_elements(ctx: EngineContext) -> list[str | None]:
    with ctx.unit_of_work(write=False) as uow:
        return list(uow.session.scalars(select(Event.element).where(Event.type == "timer_fired").order_by(Event.id)))


def test_worker_once_fires_what_is_due_and_then_nothing(cli: Run, ctx: EngineContext, people: dict) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, TO_DECISION)  # in March 2026; the CLI's wall clock is months later
    status, out, err = cli("worker", "--once")
    assert (status, err) == (0, "")
    assert f"Kasus {case.number}: timer {', '.join(ESCALATIONS)} berjalan." in out
    assert out.strip().endswith("1 langkah timer, 0 pemantauan dimulai, 0 surat dibuat, 0 email terkirim.")
    assert sorted(e for e in fired_elements(ctx) if e) == list(ESCALATIONS)
    status, out, _ = cli("worker", "--once")
    assert status == 0 and out.strip() == "0 langkah timer, 0 pemantauan dimulai, 0 surat dibuat, 0 email terkirim."


def test_worker_once_starts_the_follow_up_an_agreement_is_owed(cli: Run, ctx: EngineContext, people: dict) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*BUILT_TO_DECISION, *ACCEPTED_TO_END))
    status, out, err = cli("worker", "--once")
    assert (status, err) == (0, "")
    assert re.search(r"^Pemantauan kesepakatan PMK-\d{4}-0001 dimulai\.$", out, re.MULTILINE)  # the CLI's year
    assert ", 1 pemantauan dimulai, " in out
    status, out, _ = cli("worker", "--once")
    assert status == 0 and ", 0 pemantauan dimulai, " in out


class _Observed(Scheduler):
    """A scheduler that says when it has ticked."""

    def __init__(self, ctx: EngineContext) -> None:
        super().__init__(ctx)
        self.ticked = threading.Event()

    def tick(self) -> Tick:
        done = super().tick()
        self.ticked.set()
        return done


def test_the_scheduler_thread_fires_due_timers(ctx: EngineContext, clock: object, people: dict) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, TO_DECISION)
    clock.set(clock.now().replace(month=4))  # type: ignore[attr-defined] - past all three reminders
    scheduler = _Observed(ctx)
    scheduler.start()
    try:
        assert scheduler.ticked.wait(60), "the scheduler thread never ticked"
    finally:
        scheduler.stop()
    assert sorted(e for e in fired_elements(ctx) if e) == list(ESCALATIONS)
