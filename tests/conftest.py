"""Fixtures: every database test runs on real SQLite and real PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.persistence import migrate
from engine.persistence.db import Database
from engine.persistence.models import Base
from engine.services import deploy as deploy_service
from engine.services import users as user_service
from engine.settings import Settings, normalize_database_url

PG_URL = normalize_database_url(
    os.environ.get("MEDIASI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
)
IN_CI = os.environ.get("CI", "").lower() == "true"
OPERATOR = Actor.operator("cli:test")
START = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)  # Tuesday 09:00 WIB

_pg_problem: str | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Find out once whether PostgreSQL is there; in CI its absence fails the run."""
    global _pg_problem
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not available"
        _pg_problem = f"PostgreSQL tidak tersedia di {make_url(PG_URL).render_as_string()}: {exc}"
        if IN_CI:
            pytest.exit(f"CI=true dan {_pg_problem}", returncode=3)
    finally:
        engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly that the PostgreSQL half of the suite was skipped."""
    if _pg_problem:
        terminalreporter.write_sep("!", "PERHATIAN: uji PostgreSQL dilewati", yellow=True)
        terminalreporter.write_line(_pg_problem)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "mediasi.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A private, migrated schema in the PostgreSQL test database for this test session."""
    if _pg_problem:
        pytest.skip(_pg_problem)
    schema = f"mediasi_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    database = Database(url)
    migrate.upgrade(database)
    database.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"truncate {tables} restart identity cascade"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "mediasi.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_schema_url")
    _truncate(url)
    return url


@pytest.fixture
def clock() -> FixedClock:
    """Time stands still unless a test moves it."""
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for the test database and a document store of its own; diagrams and forms from the project."""
    return replace(Settings(), database_url=database_url, secret_key="test-secret", document_dir=tmp_path / "documents")


# History is append-only: no statement of the application may update or delete an event or its
# payload. Every test watches for one; only the tests' own tampering (a statement whose nearest
# caller in the project is under tests/) and schema migrations (run by the owner role) may.
_REWRITES_HISTORY = re.compile(r"^\s*(UPDATE|DELETE\s+FROM)\s+\"?event(_payload)?\"?\s", re.IGNORECASE)
_PROJECT = Path(__file__).resolve().parent.parent
_APPLICATION = tuple(str(_PROJECT / name) for name in ("engine", "webapp", "cli"))
_TESTS = str(_PROJECT / "tests")
_MIGRATIONS = str(_PROJECT / "engine" / "persistence" / "migrations")


def _watch_history(ctx: EngineContext, violations: list[str]) -> None:
    @event.listens_for(ctx.database.engine, "before_cursor_execute")
    def _check(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _REWRITES_HISTORY.match(statement):
            return
        for frame in reversed(traceback.extract_stack()):
            if frame.filename.startswith(_MIGRATIONS):
                return  # a migration rewriting a column's format
            if frame.filename.startswith(_TESTS) and not frame.filename.endswith("conftest.py"):
                return  # a test tampering on purpose
            if frame.filename.startswith(_APPLICATION):
                violations.append(statement.strip().splitlines()[0])
                return


@pytest.fixture
def make_ctx(settings: Settings, clock: FixedClock) -> Iterator[Callable[[], EngineContext]]:
    """Build fresh engine contexts (own connections, empty spec cache), closed at the end."""
    made: list[EngineContext] = []
    violations: list[str] = []

    def make() -> EngineContext:
        ctx = EngineContext.create(settings, clock=clock)
        _watch_history(ctx, violations)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()
    assert violations == [], f"the application rewrote history: {violations}"


@pytest.fixture
def ctx(make_ctx: Callable[[], EngineContext]) -> EngineContext:
    """An engine context on the test database."""
    return make_ctx()


@pytest.fixture
def deployed(ctx: EngineContext) -> list[deploy_service.Deployment]:
    """The project's processes, deployed."""
    return deploy_service.deploy_directory(ctx, actor=OPERATOR)


PEOPLE = {
    "ani": ("Ani Pemohon", ["pemohon"]),
    "budi": ("Budi Pemohon Lain", ["pemohon"]),
    "dewi": ("Dewi Fulltimer", ["fulltimer"]),
    "rina": ("Rina Ketua", ["ketua_lppar"]),
    "rudi": ("Rudi Ketua Kedua", ["ketua_lppar"]),
    "tono": ("Tono Tim Teknis", ["tim_teknis"]),
    "sari": ("Sari Sekretaris", ["sekretaris"]),
    "kadin": ("Ahmad Kepala Dinas", ["kepala_dinas"]),
    "olga": ("Olga Pemilik Proses", ["process_owner"]),
}


@pytest.fixture
def people(ctx: EngineContext, deployed: object) -> dict[str, Actor]:
    """One account per person above, as Actors."""
    for username, (name, roles) in PEOPLE.items():
        user_service.add_user(ctx, actor=OPERATOR, username=username, full_name=name, roles=roles, password=None)
    return {username: user_service.actor_for(ctx, username) for username in PEOPLE}
