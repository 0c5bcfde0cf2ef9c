"""Happy-path benchmark of the engine, from bare SpiffWorkflow to the services on a database.

It measures, per happy-path case (a request and 15 completions ending "mediated"):
(a) SpiffWorkflow in memory, (b) the same with a save and load before every completion,
(c) the engine services on SQLite and (d) on PostgreSQL; the SQL statements and commits per
service call; and the growth of the SQLite file per completed case. Run it from the project
root: `make bench`, or `.venv/bin/python -m bench.engine_bench --help`.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from engine.actors import Actor
from engine.bpmn.validate import CompiledDefinition, compile_definition
from engine.calendar import WorkingCalendar
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.persistence import migrate
from engine.runtime import (
    at,
    complete_user_task,
    dump_state,
    finished_outcome,
    load_state,
    ready_user_tasks,
    start_workflow,
)
from engine.services.cases import DEFAULT_PROCESS, start_case
from engine.services.deploy import LANES_SUFFIX, deploy_directory, forms_from_directory, read_lane_roles
from engine.services.tasks import complete_task
from engine.services.users import actor_for, add_user
from engine.settings import Settings, normalize_database_url
from tests.builders import ACCEPTED_TO_END, TO_DECISION, WORKER, Step, application

T = TypeVar("T")

EXPECTED_OUTCOME = "mediated"
WARMUP_CASES = 3
APPLICANT = "ani"
PEOPLE: dict[str, str] = {
    "ani": "pemohon",
    "rina": "ketua_lppar",
    "tono": "tim_teknis",
    "sari": "sekretaris",
    "kadin": "kepala_dinas",
}
OPERATOR = Actor.operator("cli:bench")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
KB = 1024

# Goals, and the figures of a peer (SpiffArena's backend) measured on the same machine.
GOAL_COMMITS = 1
GOAL_STATEMENTS = 10
GOAL_RATIO = 2.0
GOAL_KB_PER_CASE = 10.0
PEER_KB_PER_CASE = 19.8
PEER_COMMITS = 4
PEER_STATEMENTS = 94

LABEL_WIDTH = 62


# -- the scenario -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """The happy path's data, built once: the request and every step's element and form data."""

    request: dict[str, Any]
    steps: tuple[tuple[str, dict[str, Any]], ...]


def happy_path() -> Scenario:
    """The happy path of tests.builders: TO_DECISION then ACCEPTED_TO_END, with default payloads whose
    dates hold today (the benchmarks run on the wall clock, and the engine checks dates against it)."""
    elements = (*TO_DECISION, *ACCEPTED_TO_END)
    today = datetime.now(UTC)
    return Scenario(application(), tuple((element, Step(element).payload(today)) for element in elements))


def compile_process() -> CompiledDefinition:
    """Validate and parse the project's diagram once, with its forms and lane map."""
    settings = Settings()
    bpmn = settings.processes_dir / f"{DEFAULT_PROCESS}.bpmn"
    lanes = read_lane_roles(settings.processes_dir / f"{DEFAULT_PROCESS}{LANES_SUFFIX}")
    return compile_definition(bpmn.read_bytes(), str(bpmn), forms_from_directory(settings.forms_dir), lanes)


# -- (a) and (b): SpiffWorkflow without a database ------------------------------------------------


def ready_task_id(workflow: BpmnWorkflow, element: str) -> uuid.UUID:
    """The id of the ready user task `element`, or fail naming what is ready instead."""
    ready = ready_user_tasks(workflow)
    for task in ready:
        if task.task_spec.name == element:
            return task.id
    raise RuntimeError(f"{element} is not ready; ready: {[t.task_spec.name for t in ready]}")


# The bare runs evaluate the diagram's working-day timers too, against the same calendar.
OFFICE = WorkingCalendar()


def run_in_memory(compiled: CompiledDefinition, scenario: Scenario) -> BpmnWorkflow:
    """Run the whole happy path on one in-memory workflow."""
    with at(datetime.now(UTC), lambda: OFFICE):
        workflow = start_workflow(compiled.specs, scenario.request)
        for element, data in scenario.steps:
            complete_user_task(workflow, ready_task_id(workflow, element), data)
    return workflow


def run_serialized(compiled: CompiledDefinition, scenario: Scenario) -> bytes:
    """Run the happy path, saving and restoring the state before every completion; return the final state."""
    with at(datetime.now(UTC), lambda: OFFICE):
        workflow = start_workflow(compiled.specs, scenario.request)
        for element, data in scenario.steps:
            workflow = load_state(compiled.specs, dump_state(workflow))
            complete_user_task(workflow, ready_task_id(workflow, element), data)
    return dump_state(workflow)


def check_workflow(compiled: CompiledDefinition, workflow: BpmnWorkflow) -> None:
    """Fail unless the workflow ended with the expected outcome."""
    outcome = finished_outcome(workflow, compiled.catalog.outcomes)
    if outcome != EXPECTED_OUTCOME:
        raise RuntimeError(f"the case ended with {outcome!r}, not {EXPECTED_OUTCOME!r}")


def check_state(compiled: CompiledDefinition, state: bytes) -> None:
    """Fail unless the saved state restores to a workflow with the expected outcome."""
    check_workflow(compiled, load_state(compiled.specs, state))


def timed(run: Callable[[], T], check: Callable[[T], None], cases: int) -> float:
    """Median seconds of `cases` runs of `run` (each result checked outside the timing)."""
    samples = []
    for _ in range(cases):
        start = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - start)
        check(result)
    return statistics.median(samples)


def warm_up(run: Callable[[], T], check: Callable[[T], None]) -> None:
    """Run and check the untimed warm-up cases."""
    for _ in range(WARMUP_CASES):
        check(run())


def measure_bare(run: Callable[[], T], check: Callable[[T], None], cases: int) -> float:
    """Warm up, then return the median seconds per case."""
    warm_up(run, check)
    return timed(run, check, cases)


# -- (c) and (d): the engine services ------------------------------------------------------------


class Count(NamedTuple):
    """SQL statements and commits of one service call."""

    statements: int
    commits: int


@dataclass
class SqlCounter:
    """Counts the statements and commits of an engine, service call by service call."""

    statements: int = 0
    commits: int = 0
    starts: list[Count] = field(default_factory=list)
    completions: list[Count] = field(default_factory=list)

    def attach(self, engine: Engine) -> None:
        """Listen to `engine`'s cursor executions and commits."""
        event.listen(engine, "before_cursor_execute", self._on_statement)
        event.listen(engine, "commit", self._on_commit)

    def _on_statement(self, *_: Any) -> None:
        self.statements += 1

    def _on_commit(self, *_: Any) -> None:
        self.commits += 1

    def record(self, into: list[Count], call: Callable[[], T]) -> T:
        """Run `call` and append its statement and commit counts to `into`."""
        self.statements = self.commits = 0
        result = call()
        into.append(Count(self.statements, self.commits))
        return result

    def clear(self) -> None:
        """Forget the calls recorded so far."""
        self.starts.clear()
        self.completions.clear()


@dataclass(frozen=True)
class ServiceFigures:
    """Median seconds per case and the SQL counts of every measured call."""

    seconds: float
    starts: list[Count]
    completions: list[Count]


def task_id_in(view: CaseView, element: str) -> uuid.UUID:
    """The id of the ready task `element` in a case view, or fail naming what is ready instead."""
    for task in view.tasks:
        if task.element == element:
            return task.id
    raise RuntimeError(f"{element} is not ready; ready: {[t.element for t in view.tasks]}")


def run_service_case(ctx: EngineContext, people: dict[str, Actor], scenario: Scenario, counter: SqlCounter) -> CaseView:
    """Start a case and complete the happy path through the services, counting each call."""
    start = partial(start_case, ctx, actor=people[APPLICANT], data=scenario.request)
    view = counter.record(counter.starts, start)
    for element, data in scenario.steps:
        actor = people[WORKER[element]]
        complete = partial(complete_task, ctx, actor=actor, task_id=task_id_in(view, element), data=data)
        view = counter.record(counter.completions, complete)
    return view


def check_view(view: CaseView) -> None:
    """Fail unless the case is finished with the expected outcome."""
    if view.outcome != EXPECTED_OUTCOME or view.tasks:
        raise RuntimeError(f"the case ended with {view.outcome!r} and {len(view.tasks)} open tasks")


def set_up_engine(url: str) -> tuple[EngineContext, dict[str, Actor]]:
    """Migrate the database at `url`, deploy the project's processes and create the people."""
    ctx = EngineContext.create(replace(Settings(), database_url=url))
    migrate.upgrade(ctx.database)
    deploy_directory(ctx, actor=OPERATOR)
    for username, role in PEOPLE.items():
        add_user(ctx, actor=OPERATOR, username=username, full_name=username.title(), roles=[role], password=None)
    return ctx, {username: actor_for(ctx, username) for username in PEOPLE}


@contextmanager
def engine_on(url: str) -> Iterator[tuple[EngineContext, dict[str, Actor]]]:
    """A set-up engine context on `url`, closed at the end."""
    ctx, people = set_up_engine(url)
    try:
        yield ctx, people
    finally:
        ctx.close()


def measure_services(url: str, scenario: Scenario, cases: int) -> ServiceFigures:
    """Time the happy path through the services on `url` and count SQL of the timed cases."""
    with engine_on(url) as (ctx, people):
        counter = SqlCounter()
        counter.attach(ctx.database.engine)
        run = partial(run_service_case, ctx, people, scenario, counter)
        warm_up(run, check_view)
        counter.clear()
        seconds = timed(run, check_view, cases)
        return ServiceFigures(seconds, list(counter.starts), list(counter.completions))


@contextmanager
def sqlite_file() -> Iterator[Path]:
    """The path of a SQLite file in a temporary directory, removed at the end."""
    with tempfile.TemporaryDirectory(prefix="mediasi-bench-") as directory:
        yield Path(directory) / "mediasi.db"


def sqlite_url(path: Path) -> str:
    """The database URL of a SQLite file."""
    return f"sqlite:///{path}"


# -- PostgreSQL --------------------------------------------------------------------------------------


def postgres_url() -> str:
    """The PostgreSQL URL of the test suite (MEDIASI_TEST_POSTGRES_URL), for psycopg 3."""
    return normalize_database_url(os.environ.get("MEDIASI_TEST_POSTGRES_URL", DEFAULT_PG_URL))


def postgres_version(url: str) -> str:
    """The server version at `url`; raises when the server cannot be reached."""
    probe = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with probe.connect() as connection:
            return str(connection.execute(text("show server_version")).scalar_one())
    finally:
        probe.dispose()


def first_line(exc: Exception) -> str:
    """The first line of an exception's message, its driver's message when there is one."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return f"{type(cause).__name__}: {lines[0]}"


@contextmanager
def private_schema(url: str) -> Iterator[str]:
    """A new, empty schema, as a URL whose search_path points at it; dropped at the end."""
    schema = f"mediasi_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'create schema "{schema}"'))
        try:
            query = {"options": f"-csearch_path={schema}"}
            yield make_url(url).update_query_dict(query).render_as_string(hide_password=False)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'drop schema "{schema}" cascade'))
    finally:
        admin.dispose()


# -- SQLite file growth ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Growth:
    """Size of a SQLite file before and after a number of completed cases."""

    cases: int
    size_before: int
    size_after: int
    seconds: float

    @property
    def bytes_per_case(self) -> float:
        """Growth of the file per completed case, in bytes."""
        return (self.size_after - self.size_before) / self.cases


def checkpoint(ctx: EngineContext) -> None:
    """Move the whole WAL into the database file and truncate the WAL."""
    connection = ctx.database.engine.raw_connection()
    try:
        busy, _, _ = connection.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    if busy:
        raise RuntimeError("PRAGMA wal_checkpoint(TRUNCATE) could not finish (database busy)")


def measure_growth(scenario: Scenario, cases: int) -> Growth:
    """Run `cases` happy-path cases on a fresh SQLite file and measure how much it grew."""
    with sqlite_file() as path, engine_on(sqlite_url(path)) as (ctx, people):
        checkpoint(ctx)
        before = path.stat().st_size
        counter = SqlCounter()  # not attached: the growth run only needs the call bookkeeping
        start = time.perf_counter()
        for _ in range(cases):
            check_view(run_service_case(ctx, people, scenario, counter))
        seconds = time.perf_counter() - start
        checkpoint(ctx)
        return Growth(cases, before, path.stat().st_size, seconds)


# -- report ------------------------------------------------------------------------------------------


@dataclass
class Results:
    """Every figure the report prints."""

    cases: int
    memory: float
    serialized: float
    sqlite: ServiceFigures
    postgres: ServiceFigures | None
    postgres_note: str
    growth: Growth | None


@dataclass(frozen=True)
class Goal:
    """One goal: what it asks, what was measured, and whether it holds (None: not measured)."""

    name: str
    measured: str
    met: bool | None


def line(label: str, value: str) -> None:
    """Print one figure with its label."""
    print(f"  {label + ' ':.<{LABEL_WIDTH}} {value}")


def seconds_text(seconds: float) -> str:
    """Seconds per case, with milliseconds for reading."""
    return f"{seconds:.4f} s/case ({seconds * 1000:.1f} ms)"


def counts_text(values: Sequence[int]) -> str:
    """Median and max of a list of counts."""
    return f"median {statistics.median(values):g}, max {max(values)} (over {len(values)} calls)"


def print_header(results: Results) -> None:
    """Print what was run, and on what."""
    steps = len(happy_path().steps)
    print(f"Mediasi engine benchmark: happy path (start_case + {steps} completions, outcome 'mediated')")
    line("Python", platform.python_version())
    line("SpiffWorkflow", version("SpiffWorkflow"))
    line("SQLAlchemy", version("SQLAlchemy"))
    line("SQLite", sqlite3.sqlite_version)
    line("PostgreSQL", results.postgres_note)
    line("timed cases per variant", f"{results.cases} (after {WARMUP_CASES} warm-up cases, not timed)")


def print_timing(results: Results) -> None:
    """Print the median time per case of every variant and the ratios."""
    print("\nTime per case (median)")
    line("(a) SpiffWorkflow in memory", seconds_text(results.memory))
    line("(b) SpiffWorkflow + dump/load state at every step", seconds_text(results.serialized))
    line("(c) engine services on SQLite (file, WAL, synchronous=FULL)", seconds_text(results.sqlite.seconds))
    line("c/b", f"{results.sqlite.seconds / results.serialized:.2f}")
    if results.postgres is None:
        line("(d) engine services on PostgreSQL", "skipped")
        line("d/b", "skipped")
        return
    line("(d) engine services on PostgreSQL", seconds_text(results.postgres.seconds))
    line("d/b", f"{results.postgres.seconds / results.serialized:.2f}")


def print_sql(name: str, figures: ServiceFigures | None) -> None:
    """Print the statements and commits per call of one database."""
    print(f"\nSQL per service call on {name} (before_cursor_execute / commit events)")
    if figures is None:
        line("all figures", "skipped")
        return
    line("statements per completion", counts_text([c.statements for c in figures.completions]))
    line("commits per completion", counts_text([c.commits for c in figures.completions]))
    line("statements per start_case", counts_text([c.statements for c in figures.starts]))
    line("commits per start_case", counts_text([c.commits for c in figures.starts]))


def print_growth(growth: Growth | None) -> None:
    """Print the growth of the SQLite file per completed case."""
    print("\nSQLite file growth (fresh database, sizes after PRAGMA wal_checkpoint(TRUNCATE))")
    if growth is None:
        line("all figures", "skipped (--skip-growth)")
        return
    line("completed cases", f"{growth.cases} (run in {growth.seconds:.1f} s)")
    line("file size after setup", f"{growth.size_before} bytes")
    line("file size after the cases", f"{growth.size_after} bytes")
    line("growth per completed case", f"{growth.bytes_per_case:.0f} bytes ({growth.bytes_per_case / KB:.2f} KB)")


def sql_goals(name: str, figures: ServiceFigures | None) -> list[Goal]:
    """The per-completion SQL goals of one database."""
    commits = [c.commits for c in figures.completions] if figures else []
    statements = [c.statements for c in figures.completions] if figures else []
    measured = figures is not None
    return [
        Goal(
            f"exactly {GOAL_COMMITS} commit per completion ({name})",
            f"min {min(commits)}, max {max(commits)}" if measured else "skipped",
            all(c == GOAL_COMMITS for c in commits) if measured else None,
        ),
        Goal(
            f"at most {GOAL_STATEMENTS} statements per completion ({name})",
            f"max {max(statements)}" if measured else "skipped",
            max(statements) <= GOAL_STATEMENTS if measured else None,
        ),
        Goal(
            f"fewer commits per completion than SpiffArena's {PEER_COMMITS} ({name})",
            f"max {max(commits)}" if measured else "skipped",
            max(commits) < PEER_COMMITS if measured else None,
        ),
        Goal(
            f"fewer statements per completion than SpiffArena's ~{PEER_STATEMENTS} ({name})",
            f"max {max(statements)}" if measured else "skipped",
            max(statements) < PEER_STATEMENTS if measured else None,
        ),
    ]


def growth_goals(growth: Growth | None) -> list[Goal]:
    """The goals on the growth of the SQLite file."""
    kb = growth.bytes_per_case / KB if growth else None
    measured = f"{kb:.2f} KB per case" if kb is not None else "skipped"
    return [
        Goal(
            f"at most {GOAL_KB_PER_CASE:g} KB per completed case",
            measured,
            kb <= GOAL_KB_PER_CASE if kb is not None else None,
        ),
        Goal(
            f"less growth per case than SpiffArena's {PEER_KB_PER_CASE} KB",
            measured,
            kb < PEER_KB_PER_CASE if kb is not None else None,
        ),
    ]


def goals(results: Results) -> list[Goal]:
    """Every goal, judged from the measured figures."""
    ratio = results.sqlite.seconds / results.serialized
    return [
        *sql_goals("SQLite", results.sqlite),
        *sql_goals("PostgreSQL", results.postgres),
        Goal(
            f"c/b at most {GOAL_RATIO:g} (SQLite engine vs. SpiffWorkflow + state I/O)",
            f"{ratio:.2f}",
            ratio <= GOAL_RATIO,
        ),
        *growth_goals(results.growth),
    ]


def verdict(met: bool | None) -> str:
    """The word for a goal's outcome."""
    return {True: "met", False: "NOT met", None: "skipped"}[met]


def print_goals(results: Results) -> None:
    """Print every goal with its measured figure and verdict."""
    print(f"\nGoals (peer: SpiffArena's backend measured here, {PEER_KB_PER_CASE} KB/case, ", end="")
    print(f"{PEER_COMMITS} commits and ~{PEER_STATEMENTS} statements per completion; KB = {KB} bytes)")
    for goal in goals(results):
        print(f"  [{verdict(goal.met):^7}] {goal.name + ' ':.<{LABEL_WIDTH + 8}} {goal.measured}")


def print_report(results: Results) -> None:
    """Print the whole report."""
    print_header(results)
    print_timing(results)
    print_sql("SQLite", results.sqlite)
    print_sql("PostgreSQL", results.postgres)
    print_growth(results.growth)
    print_goals(results)


# -- main ----------------------------------------------------------------------------------------------


def progress(message: str) -> None:
    """Say what is running, on stderr, so that stdout holds only the report."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def positive(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.engine_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=positive, default=30, help="timed cases per variant (default 30)")
    parser.add_argument("--growth-cases", type=positive, default=1000, help="cases of the growth run (default 1000)")
    parser.add_argument("--skip-growth", action="store_true", help="leave out the SQLite growth run")
    return parser.parse_args(argv)


def measure_postgres(scenario: Scenario, cases: int) -> tuple[ServiceFigures | None, str]:
    """Measure (d) in a private schema, or say why it was skipped."""
    url = postgres_url()
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        server = postgres_version(url)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means (d) is skipped
        progress(f"(d) skipped: PostgreSQL unreachable at {shown}")
        return None, f"skipped: unreachable at {shown} ({first_line(exc)})"
    progress(f"(d) engine services on PostgreSQL {server}")
    with private_schema(url) as schema_url:
        return measure_services(schema_url, scenario, cases), f"{server} at {shown} (private schema, dropped)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run every measurement and print the report."""
    args = parse_args(argv)
    scenario = happy_path()
    compiled = compile_process()
    progress("(a) SpiffWorkflow in memory")
    memory = measure_bare(partial(run_in_memory, compiled, scenario), partial(check_workflow, compiled), args.cases)
    progress("(b) SpiffWorkflow with dump/load at every step")
    serialized = measure_bare(partial(run_serialized, compiled, scenario), partial(check_state, compiled), args.cases)
    progress("(c) engine services on SQLite")
    with sqlite_file() as path:
        sqlite_figures = measure_services(sqlite_url(path), scenario, args.cases)
    postgres, postgres_note = measure_postgres(scenario, args.cases)
    growth = None
    if not args.skip_growth:
        progress(f"SQLite growth over {args.growth_cases} cases")
        growth = measure_growth(scenario, args.growth_cases)
    print_report(Results(args.cases, memory, serialized, sqlite_figures, postgres, postgres_note, growth))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
