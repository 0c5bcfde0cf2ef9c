"""The database layer: migrations equal the models, SQLite is configured safely, locks become conflicts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import ConcurrentUpdate
from engine.persistence.models import Base
from engine.services import cases as case_service
from engine.services import tasks as task_service
from tests.builders import application


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
    assert [t.element for t in case_service.get_case(ctx, case.number).tasks] == ["Task_periksa_kelengkapan"]


def test_case_state_is_stored_without_the_diagram(ctx: EngineContext, people: dict[str, Actor]) -> None:
    import zlib

    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    with ctx.unit_of_work(write=False) as uow:
        from engine.persistence.models import Case

        state = uow.session.get(Case, case.id).state  # type: ignore[union-attr]
    raw = zlib.decompress(state).decode()
    assert "task_specs" not in raw and "BpmnProcessSpec" not in raw and "Periksa kelengkapan berkas" not in raw
    assert len(state) < 4000


def test_the_event_chain_links_every_event(ctx: EngineContext, people: dict[str, Actor]) -> None:
    from sqlalchemy import select

    from engine.events import GENESIS, event_hash
    from engine.persistence.models import Case, Event

    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    task_service.complete_task(ctx, actor=people["rina"], task_id=case.tasks[0].id, data={"berkas_lengkap": True})
    with ctx.unit_of_work(write=False) as uow:
        events = list(uow.session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)))
        row = uow.session.get(Case, case.id)
    assert [e.seq for e in events] == [1, 2]
    assert events[0].prev_hash == GENESIS and events[1].prev_hash == events[0].hash
    assert all(event_hash(e) == e.hash for e in events)
    assert row is not None and (row.event_seq, row.event_hash) == (2, events[1].hash)
