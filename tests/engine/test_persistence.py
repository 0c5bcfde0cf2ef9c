"""The database layer: migrations equal the models, SQLite is configured safely, locks become conflicts."""

from __future__ import annotations

import sqlite3
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from engine import runtime
from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import ConcurrentUpdate
from engine.persistence.models import Base, Case, CaseFinalRecord, CaseState
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from tests.builders import TIM, Step, application, steps, walk

People = dict[str, Actor]


def test_migrations_build_exactly_the_models(ctx: EngineContext) -> None:
    with ctx.database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_sqlite_runs_in_wal_with_full_sync(ctx: EngineContext) -> None:
    with ctx.database.engine.connect() as connection:
        assert connection.execute(text("pragma journal_mode")).scalar() == "wal"
        assert connection.execute(text("pragma synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("pragma foreign_keys")).scalar() == 1
        assert connection.execute(text("pragma busy_timeout")).scalar() == 5000


@SQLITE_ONLY
def test_a_lock_that_times_out_is_a_conflict_and_changes_nothing(ctx: EngineContext, people: dict[str, Actor]) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    from dataclasses import replace

    impatient = EngineContext.create(replace(ctx.settings, sqlite_busy_timeout_ms=100))
    path = Path(str(ctx.database.url.database))
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(ConcurrentUpdate) as caught:
            task_service.complete_task(
                impatient, actor=people["rina"], task_id=case.tasks[0].id, data={"berkas_lengkap": True}
            )
        assert "sibuk" in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        impatient.close()
    assert [t.element for t in case_queries.get_case(ctx, case.number).tasks] == ["Task_periksa_kelengkapan"]


def test_case_state_is_stored_without_the_diagram(ctx: EngineContext, people: dict[str, Actor]) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    with ctx.unit_of_work(write=False) as uow:
        row = uow.session.get(CaseState, case.id)
    assert row is not None and row.serializer_version == runtime.SERIALIZER_VERSION
    raw = zlib.decompress(row.state).decode()
    assert "task_specs" not in raw and "BpmnProcessSpec" not in raw and "Periksa kelengkapan berkas" not in raw
    assert len(row.state) < 4000


def test_a_finished_case_keeps_its_final_record_not_its_workflow(ctx: EngineContext, people: dict[str, Actor]) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    case_service.withdraw_case(ctx, actor=people["ani"], case_ref=case.number, reason="Dicabut.")
    with ctx.unit_of_work(write=False) as uow:
        assert uow.session.get(CaseState, case.id) is None
        row = uow.session.get(CaseFinalRecord, case.id)
    assert row is not None
    record = runtime.load_final(row.record)
    assert record["data"]["penghentian"]["alasan"] == "Dicabut."
    assert ["EndEvent_pencabutan", "COMPLETED"] in record["tasks"]
    assert ["Task_periksa_kelengkapan", "CANCELLED"] in record["tasks"]
    assert case_queries.case_data(ctx, case.number)["kategori_perkara"] == "perdata_keluarga"


def test_a_stale_cached_workflow_is_never_used(make_ctx, people: dict[str, Actor]) -> None:  # type: ignore[no-untyped-def]
    """Server A caches the workflow it saved; server B moves the case on; A must reload it."""
    a, b = make_ctx(), make_ctx()
    case = case_service.start_case(a, actor=people["ani"], data=application())
    task_service.complete_task(b, actor=people["rina"], task_id=case.tasks[0].id, data={"berkas_lengkap": True})
    review = case_queries.get_case(a, case.number).tasks[0]
    view = task_service.complete_task(a, actor=people["rina"], task_id=review.id, data=Step(review.element).payload())
    assert sorted(t.element for t in view.tasks) == sorted(TIM)


def test_the_event_chain_links_every_event(ctx: EngineContext, people: dict[str, Actor]) -> None:
    from sqlalchemy import select

    from engine.events import GENESIS, event_hash
    from engine.persistence.models import Event

    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    task_service.complete_task(ctx, actor=people["rina"], task_id=case.tasks[0].id, data={"berkas_lengkap": True})
    with ctx.unit_of_work(write=False) as uow:
        events = list(uow.session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)))
        row = uow.session.get(Case, case.id)
    assert [e.seq for e in events] == [1, 2]
    assert event_hash(events[0], GENESIS) == events[0].hash
    assert event_hash(events[1], events[0].hash) == events[1].hash
    assert row is not None and (row.event_seq, row.event_hash) == (2, events[1].hash)
    events[0].actor = "someone-else"  # an edited row no longer matches its hash
    assert event_hash(events[0], GENESIS) != events[0].hash


def test_migration_0002_backfills_links_and_steps_from_existing_rows(
    ctx: EngineContext, people: People, clock: FixedClock
) -> None:
    """Going down to 0001 drops the links; going up again rebuilds them from the rows.

    A task's opening step is backfilled from its creation moment, which a real clock makes unique.
    """
    from engine.persistence import migrate
    from engine.services import audit

    case = case_service.start_case(ctx, actor=people["ani"], data=application())

    def ticking() -> EngineContext:
        clock.advance(timedelta(minutes=1))
        return ctx

    walk(ticking, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM))
    query = text("select id, prev_hash from event order by id")
    steps_query = text("select id, opened_seq from case_task order by id")
    with ctx.database.engine.connect() as connection:
        links, opened = connection.execute(query).all(), connection.execute(steps_query).all()
    migrate.downgrade(ctx.database, "0001")
    migrate.upgrade(ctx.database)
    with ctx.database.engine.connect() as connection:
        assert connection.execute(query).all() == links
        assert connection.execute(steps_query).all() == opened
    assert audit.verify(ctx).ok and all(seq is not None for _, seq in opened)
