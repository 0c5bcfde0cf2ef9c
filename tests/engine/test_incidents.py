"""Incidents: a timer whose step fails is put off with a back-off, recorded, and tried again after a fix.

The diagram under test sends the Kepala Dinas' first reminder (BoundaryEvent_keputusan_1, due at the
close of the first working day) through a script that divides by zero. The fix is simulated by
patching that script in the cached definition, as a corrected version and migration would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from engine import script_worker
from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import Conflict, NotFound, PermissionDenied
from engine.persistence.models import Case, Event, Incident, Timer
from engine.scheduler import Scheduler
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import incidents
from engine.services.timers import SYSTEM_ACTOR, TIMER_FIRED, back_off, fire_due, next_due
from tests.builders import TO_DECISION, application, steps, walk
from tests.conftest import OPERATOR
from tests.engine.test_deploy import LANES, ORIGINAL
from tests.snapshots import snapshot

People = dict[str, Actor]
REMINDER = "BoundaryEvent_keputusan_1"
SCRIPT = "Script_uji_pengingat"
FIRST = datetime(2026, 3, 25, 7, tzinfo=UTC)  # the reminder's due moment: close of service, 25 March
AFTER = FIRST + timedelta(seconds=1)
BOOKKEEPING = {"timer", "incident"}  # the tables a failed step may write
CAUSE = "division by zero"  # what the script's error says, however the runtime words the rest


def failing_reminder(script: str = "x = 1 / 0") -> bytes:
    """The shipped diagram with a script task between the first reminder and its end event."""
    flow = 'sourceRef="BoundaryEvent_keputusan_1" targetRef="EndEvent_pengingat_keputusan" />'
    end = '<bpmn:endEvent id="EndEvent_pengingat_keputusan" name="Pengingat terkirim">'
    lane = "<bpmn:flowNodeRef>EndEvent_pengingat_keputusan</bpmn:flowNodeRef>"
    xml = ORIGINAL
    for old, new in [
        (
            flow,
            f'sourceRef="BoundaryEvent_keputusan_1" targetRef="{SCRIPT}" />\n'
            f'<bpmn:sequenceFlow id="Flow_uji__pengingat" sourceRef="{SCRIPT}" '
            'targetRef="EndEvent_pengingat_keputusan" />',
        ),
        (
            end + "\n        <bpmn:incoming>Flow_keputusan_1__pengingat</bpmn:incoming>",
            f'<bpmn:scriptTask id="{SCRIPT}" name="Uji pengingat">\n'
            "<bpmn:incoming>Flow_keputusan_1__pengingat</bpmn:incoming>\n"
            "<bpmn:outgoing>Flow_uji__pengingat</bpmn:outgoing>\n"
            f"<bpmn:script>{script}</bpmn:script>\n</bpmn:scriptTask>\n"
            f"{end}\n<bpmn:incoming>Flow_uji__pengingat</bpmn:incoming>",
        ),
        (lane, f"{lane}<bpmn:flowNodeRef>{SCRIPT}</bpmn:flowNodeRef>"),
    ]:
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)
    return xml.encode()


def at_decision(ctx: EngineContext, people: People) -> Any:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION))
    return case


@pytest.fixture
def failing(ctx: EngineContext, people: People) -> Any:
    """A case of the failing version waiting on its reminders."""
    deploy_service.deploy(ctx, actor=OPERATOR, xml=failing_reminder(), filename="uji.bpmn", lane_roles=LANES)
    return at_decision(ctx, people)


@contextmanager
def patched_script(ctx: EngineContext, case_id: Any) -> Iterator[None]:
    """The failing script replaced in the cached definition (what a fix and a migration would do)."""
    with ctx.unit_of_work(write=False) as uow:
        definition_id = uow.session.scalars(select(Case.definition_id).where(Case.id == case_id)).one()
        specs = ctx.definitions.get(uow.session, definition_id).specs
    (spec,) = [s.task_specs[SCRIPT] for s in (specs.spec, *specs.subprocess_specs.values()) if SCRIPT in s.task_specs]
    broken, spec.script = spec.script, "x = 1"
    try:
        yield
    finally:
        spec.script = broken


@pytest.fixture
def fixed(ctx: EngineContext, failing: Any) -> Iterator[None]:
    with patched_script(ctx, failing.id):
        yield


def timer_row(ctx: EngineContext, case_id: Any, element: str = REMINDER) -> Timer | None:
    with ctx.unit_of_work(write=False) as uow:
        row = uow.session.scalar(select(Timer).where(Timer.case_id == case_id, Timer.element == element))
        if row is not None:
            uow.session.expunge(row)
        return row


def incident_rows(ctx: EngineContext) -> list[Incident]:
    with ctx.unit_of_work(write=False) as uow:
        rows = list(uow.session.scalars(select(Incident).order_by(Incident.id)))
        uow.session.expunge_all()
        return rows


def fired_events(ctx: EngineContext, case_id: Any) -> list[str | None]:
    with ctx.unit_of_work(write=False) as uow:
        query = select(Event.element).where(Event.case_id == case_id, Event.type == TIMER_FIRED)
        return list(uow.session.scalars(query.order_by(Event.seq)))


def without_bookkeeping(ctx: EngineContext) -> dict[str, str]:
    return {table: digest for table, digest in snapshot(ctx).items() if table not in BOOKKEEPING}


def test_back_off_doubles_from_a_minute_up_to_an_hour() -> None:
    assert [back_off(n) for n in range(1, 9)] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60, 60)]
    assert back_off(10_000) == timedelta(hours=1)


def test_a_failing_timer_step_is_put_off_and_leaves_its_case_as_it_was(
    ctx: EngineContext, clock: FixedClock, failing: Any
) -> None:
    before = without_bookkeeping(ctx)
    clock.set(AFTER)
    (failed,) = fire_due(ctx)  # returns, does not raise
    assert (failed.case_number, failed.elements) == (failing.number, ())
    assert failed.error is not None and "Uji pengingat" in failed.error and CAUSE in failed.error
    assert without_bookkeeping(ctx) == before
    row = timer_row(ctx, failing.id)
    assert row is not None and (row.attempts, row.retry_at) == (1, AFTER + timedelta(minutes=1))
    assert next_due(ctx) == AFTER + timedelta(minutes=1)

    clock.set(AFTER + timedelta(seconds=59))  # before retry_at: nothing is tried
    assert fire_due(ctx) == []
    assert timer_row(ctx, failing.id).attempts == 1  # type: ignore[union-attr]

    clock.set(AFTER + timedelta(minutes=1))
    assert [f.error is not None for f in fire_due(ctx)] == [True]
    row = timer_row(ctx, failing.id)
    assert row is not None and (row.attempts, row.retry_at) == (2, AFTER + timedelta(minutes=3))
    assert without_bookkeeping(ctx) == before
    assert fired_events(ctx, failing.id) == []


def test_a_runaway_script_after_a_timer_is_stopped_and_put_off(
    ctx: EngineContext, clock: FixedClock, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's "PT1S" timer into `while True: pass`: it hung the scheduler at every restart."""
    monkeypatch.setattr(script_worker.POOL, "limits", script_worker.Limits(1, 128, 10))
    xml = failing_reminder("while True:\n    pass")
    deploy_service.deploy(ctx, actor=OPERATOR, xml=xml, filename="uji.bpmn", lane_roles=LANES)
    case = at_decision(ctx, people)
    before = without_bookkeeping(ctx)
    clock.set(AFTER)
    (failed,) = fire_due(ctx)
    assert failed.error is not None and "batas waktu CPU" in failed.error
    assert without_bookkeeping(ctx) == before
    row = timer_row(ctx, case.id)
    assert row is not None and (row.attempts, row.retry_at) == (1, AFTER + timedelta(minutes=1))
    assert fire_due(ctx) == []  # the next tick goes straight on
    (incident,) = incident_rows(ctx)
    assert incident.kind == "timer" and "batas waktu CPU" in incident.error


def test_one_open_incident_counts_the_failures_of_a_step(ctx: EngineContext, clock: FixedClock, failing: Any) -> None:
    clock.set(AFTER)
    fire_due(ctx)
    clock.set(AFTER + timedelta(minutes=2))
    fire_due(ctx)
    (incident,) = incident_rows(ctx)
    assert (incident.case_id, incident.element, incident.kind, incident.retries) == (
        failing.id,
        REMINDER,
        "timer",
        2,
    )
    assert (incident.first_at, incident.last_at, incident.resolved_at) == (AFTER, AFTER + timedelta(minutes=2), None)
    assert CAUSE in incident.error


def test_the_scheduler_goes_on_to_another_cases_timer(
    ctx: EngineContext, clock: FixedClock, people: People, failing: Any
) -> None:
    # Deployed afresh, the shipped diagram is the newest version again: this case's reminder works.
    deploy_service.deploy(ctx, actor=OPERATOR, xml=ORIGINAL.encode(), filename="asli.bpmn", lane_roles=LANES)
    healthy = at_decision(ctx, people)
    clock.set(AFTER)
    tick = Scheduler(ctx).tick()  # the failing case's row is the older: it is claimed first
    assert [(f.case_number, f.elements, f.error is not None) for f in tick.fired] == [
        (failing.number, (), True),
        (healthy.number, (REMINDER,), False),
    ]
    assert fired_events(ctx, healthy.id) == [REMINDER]
    assert Scheduler(ctx).tick().fired == []  # the failed one waits out its back-off


def test_a_retry_after_the_fix_fires_the_timer_and_resolves_its_incident(
    ctx: EngineContext, clock: FixedClock, people: People, failing: Any, request: pytest.FixtureRequest
) -> None:
    clock.set(AFTER)
    fire_due(ctx)
    (listed,) = incidents.list_open(ctx, people["olga"])
    assert (listed.case_number, listed.element, listed.retries) == (failing.number, REMINDER, 1)

    clock.set(AFTER + timedelta(seconds=10))  # well inside the back-off
    failed = incidents.retry(ctx, listed.id, people["olga"])
    assert (failed.outcome, failed.succeeded, failed.incident.retries) == (incidents.FAILED, False, 2)
    assert CAUSE in (failed.error or "")
    assert timer_row(ctx, failing.id).attempts == 2  # type: ignore[union-attr]

    request.getfixturevalue("fixed")
    done = incidents.retry(ctx, listed.id, people["olga"])
    assert (done.outcome, done.succeeded) == (incidents.FIRED, True)
    assert (done.incident.resolved_at, done.incident.resolved_by) == (AFTER + timedelta(seconds=10), "olga")
    assert timer_row(ctx, failing.id) is None
    assert fired_events(ctx, failing.id) == [REMINDER]
    assert incidents.list_open(ctx, people["olga"]) == []
    with ctx.unit_of_work(write=False) as uow:
        retried = uow.session.scalars(select(Event.actor).where(Event.type == incidents.INCIDENT_RETRIED)).all()
    assert retried == ["olga", "olga"]


def test_the_scheduler_resolves_the_incident_when_a_later_try_succeeds(
    ctx: EngineContext, clock: FixedClock, failing: Any, request: pytest.FixtureRequest
) -> None:
    clock.set(AFTER)
    fire_due(ctx)
    request.getfixturevalue("fixed")
    clock.set(AFTER + timedelta(minutes=1))
    assert [f.elements for f in fire_due(ctx)] == [(REMINDER,)]
    (incident,) = incident_rows(ctx)
    assert (incident.resolved_at, incident.resolved_by) == (AFTER + timedelta(minutes=1), SYSTEM_ACTOR)


def test_the_step_that_ends_the_wait_settles_the_timer_incident(
    ctx: EngineContext, clock: FixedClock, people: People, failing: Any
) -> None:
    clock.set(AFTER)
    fire_due(ctx)
    (listed,) = incidents.list_open(ctx, people["olga"])
    clock.advance(timedelta(minutes=3))
    walk(lambda: ctx, people, failing, steps("Task_keputusan_kadin"))  # the decision ends the reminders
    assert incidents.list_open(ctx, people["olga"]) == []
    (incident,) = incident_rows(ctx)
    assert (incident.resolved_at, incident.resolved_by) == (AFTER + timedelta(minutes=3), "kadin")
    with pytest.raises(Conflict, match="sudah selesai"):
        incidents.retry(ctx, listed.id, people["olga"])


def test_a_retry_when_no_timer_waits_closes_the_incident(
    ctx: EngineContext, clock: FixedClock, people: People, failing: Any
) -> None:
    clock.set(AFTER)
    fire_due(ctx)
    with ctx.unit_of_work() as uow:  # a timer row gone without a step (a row from before incidents, say)
        uow.session.execute(delete(Timer).where(Timer.case_id == failing.id, Timer.element == REMINDER))
    (listed,) = incidents.list_open(ctx, people["olga"])
    retried = incidents.retry(ctx, listed.id, people["olga"])
    assert (retried.outcome, retried.incident.resolved_by) == (incidents.GONE, "olga")
    assert incidents.list_open(ctx, people["olga"]) == []


def test_a_case_that_ends_settles_all_its_incidents(
    ctx: EngineContext, clock: FixedClock, people: People, failing: Any
) -> None:
    clock.set(AFTER)
    fire_due(ctx)
    incidents.record_failure(ctx, failing.id, "Task_keputusan_kadin", incidents.TASK, "Langkah otomatis gagal: A")
    assert len(incidents.list_open(ctx, people["olga"])) == 2
    case_service.cancel_case(ctx, actor=OPERATOR, case_ref=failing.number, reason="Berkas ganda")
    assert incidents.list_open(ctx, people["olga"]) == []
    assert {row.resolved_by for row in incident_rows(ctx)} == {OPERATOR.username}


def test_record_failure_opens_and_updates_a_task_incident(ctx: EngineContext, clock: FixedClock, failing: Any) -> None:
    incidents.record_failure(ctx, failing.id, "Task_keputusan_kadin", incidents.TASK, "Langkah otomatis gagal: A")
    clock.advance(timedelta(minutes=5))
    incidents.record_failure(ctx, failing.id, "Task_keputusan_kadin", incidents.TASK, "Langkah otomatis gagal: B")
    (incident,) = incident_rows(ctx)
    assert (incident.kind, incident.retries, incident.error) == ("task", 2, "Langkah otomatis gagal: B")
    assert incident.last_at - incident.first_at == timedelta(minutes=5)


def test_only_process_owners_and_admins_see_and_retry_incidents(
    ctx: EngineContext, clock: FixedClock, people: People, failing: Any
) -> None:
    clock.set(AFTER)
    fire_due(ctx)
    (listed,) = incidents.list_open(ctx, people["olga"])
    admin = Actor(username="adam", roles=frozenset({"admin"}), user_id=99)
    assert [i.id for i in incidents.list_open(ctx, admin)] == [listed.id]
    for who in ("rina", "kadin", "ani"):
        with pytest.raises(PermissionDenied):
            incidents.list_open(ctx, people[who])
        with pytest.raises(PermissionDenied):
            incidents.retry(ctx, listed.id, people[who])
    for unknown in (listed.id + 1, 0, 2**40):
        with pytest.raises(NotFound):
            incidents.retry(ctx, unknown, people["olga"])
