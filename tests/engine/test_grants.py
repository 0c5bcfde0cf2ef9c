"""On PostgreSQL the application's role can append history but never rewrite or delete it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import ProgrammingError

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.persistence.grants import APPEND_ONLY, grant_app_role, grant_statements
from engine.services import audit, reads
from engine.services import cases as case_service
from tests.builders import TIM, application, steps, walk

POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def app_role(ctx: EngineContext) -> Iterator[str]:
    """A fresh login-less role granted the application's privileges in the test schema."""
    role = f"mediasi_app_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ctx.settings.database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        grant_app_role(connection, role)
    yield role
    with admin.begin() as connection:
        connection.execute(text(f'DROP OWNED BY "{role}"'))
        connection.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def as_role(ctx: EngineContext, role: str, clock: FixedClock) -> EngineContext:
    """An engine context whose every connection acts as `role`."""
    app_ctx = EngineContext.create(replace(ctx.settings), clock=clock)

    @event.listens_for(app_ctx.database.engine, "connect")
    def _set_role(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')
        dbapi_connection.commit()

    return app_ctx


@POSTGRES_ONLY
def test_the_app_role_runs_cases_but_cannot_rewrite_history(
    ctx: EngineContext, people: dict[str, Actor], app_role: str, clock: FixedClock
) -> None:
    app_ctx = as_role(ctx, app_role, clock)
    try:
        case = case_service.start_case(app_ctx, actor=people["ani"], data=application())
        walk(lambda: app_ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM))
        reads.record_read(app_ctx, actor=people["rina"], type=reads.CASE_READ, case_id=case.id)
        case_service.withdraw_case(app_ctx, actor=people["ani"], case_ref=case.number, reason="Dicabut.")
        assert audit.verify(app_ctx).ok
        for sql in (
            "UPDATE event SET actor = 'penyusup'",
            "DELETE FROM event",
            "UPDATE event_payload SET data = '{}'",
            "DELETE FROM event_payload",
            "TRUNCATE event",
            "UPDATE document SET filename = 'x'",
            "UPDATE process_definition SET bpmn_xml = ''",
        ):
            with app_ctx.database.engine.connect() as connection, pytest.raises(ProgrammingError) as refused:
                connection.execute(text(sql))
            assert "permission denied" in str(refused.value), sql
    finally:
        app_ctx.close()


@POSTGRES_ONLY
def test_the_owner_of_the_tables_is_refused_as_the_app_role(ctx: EngineContext) -> None:
    admin = create_engine(ctx.settings.database_url)
    with admin.begin() as connection, pytest.raises(ValueError, match="owns the tables"):
        owner = connection.execute(
            text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'event'")
        ).scalar_one()
        grant_app_role(connection, owner)
    admin.dispose()


def test_history_tables_get_select_and_insert_only() -> None:
    statements = grant_statements("mediasi_app")
    for table in APPEND_ONLY:
        assert f'GRANT SELECT, INSERT ON "{table}" TO "mediasi_app"' in statements
    assert not any("UPDATE" in s and any(f'"{t}"' in s for t in APPEND_ONLY) for s in statements)
    with pytest.raises(ValueError):
        grant_statements('app"; DROP TABLE event; --')
