"""List benchmark: the inbox (API and web), staff's case list and the dashboard, at 1,000 and 100,000 cases.

Each size gets its own SQLite database (with `--postgres`, also a PostgreSQL schema). One case
waiting at each point of the happy path (15 of them, from the completeness check to the
documentation) is made through the engine's services; the database is then filled by copying their
rows (`cases`, with their clocks and screening records, and every `case_task` row, ready and
completed) with bulk inserts, one case filed every ten minutes back from now, until it holds the
size's number of open cases (on PostgreSQL the two tables are then analyzed, as autovacuum would
have done by the time an office has that many). Saved workflows and events are not copied: none
of these pages reads them (tests/engine/test_statistics.py proves the dashboard never restores a
workflow).

It then times, through Flask's test client, as a sekretaris (whose inbox is the Tim Teknis lane):
page 1 of `GET /api/v1/tasks` and of the web inbox `/tugas`, page 1 of `GET /api/v1/cases` and of
the web list `/kasus`; and as the Kepala Dinas `GET /api/v1/statistics` over every case. Each figure
is the p50 of `--runs` requests after a first one (`--dashboard-runs` for the dashboard, which
reads every case), the databases of every size taking turns request by request, so that a busy
moment of a shared machine falls on all sizes alike. Goals (issue 14): the inbox and the case list
at 100,000 cases at most 1.5 times their time at 1,000; the dashboard at 1,000 open cases within
100 ms. About a minute (three more with `--postgres`). Run it from the project root: `make bench`,
or `.venv/bin/python -m bench.list_bench --help`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from flask.testing import FlaskClient
from sqlalchemy import select

from bench.engine_bench import (
    APPLICANT,
    OPERATOR,
    engine_on,
    happy_path,
    postgres_url,
    private_schema,
    progress,
    sqlite_file,
    sqlite_url,
    task_id_in,
)
from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import Case, CaseTask
from engine.services import users as user_service
from engine.services.cases import start_case
from engine.services.tasks import complete_task
from tests.builders import WORKER
from webapp import create_app

SIZES = (1_000, 100_000)
RUNS = 20
DASHBOARD_RUNS = 5
FILED_EVERY = timedelta(minutes=10)
BATCH = 5_000  # task rows per executemany
MICROSECOND = timedelta(microseconds=1)
PASSWORD = "bangku-uji-daftar"
SEKRETARIS, KADIN = "nur", "fauzi"
GOAL_FLAT = 1.5  # page 1 at the largest size at most this many times that at the smallest
GOAL_DASHBOARD_MS = 100.0  # the dashboard over 1,000 open cases
DASHBOARD_GOAL_CASES = 1_000
LABEL_WIDTH = 42


class Request(NamedTuple):
    """One timed page: who asks, over the API (bearer token) or the web (signed in), and whether it is a list."""

    label: str
    path: str
    username: str
    api: bool
    flat: bool = True


REQUESTS = (
    Request("inbox, API (GET /api/v1/tasks)", "/api/v1/tasks", SEKRETARIS, api=True),
    Request("inbox, web (/tugas)", "/tugas", SEKRETARIS, api=False),
    Request("case list, API (GET /api/v1/cases)", "/api/v1/cases?page=1", SEKRETARIS, api=True),
    Request("case list, web (/kasus)", "/kasus?page=1", SEKRETARIS, api=False),
    Request("dashboard, API (GET /api/v1/statistics)", "/api/v1/statistics", KADIN, api=True, flat=False),
)


@dataclass
class SizeFigures:
    """The p50 of every request over one database, in milliseconds."""

    database: str
    cases: int
    build_seconds: float = 0.0
    p50_ms: dict[str, float] = field(default_factory=dict)


# -- building the databases --------------------------------------------------------------------------


def make_templates(ctx: EngineContext, people: dict[str, Actor]) -> list[uuid.UUID]:
    """One case waiting at each point of the happy path, made through the services."""
    scenario = happy_path()
    ids: list[uuid.UUID] = []
    for stop in range(len(scenario.steps)):
        view = start_case(ctx, actor=people[APPLICANT], data=scenario.request)
        for element, data in scenario.steps[:stop]:
            view = complete_task(ctx, actor=people[WORKER[element]], task_id=task_id_in(view, element), data=data)
        ids.append(view.id)
    return ids


def copy_cases(ctx: EngineContext, templates: list[uuid.UUID], count: int) -> None:
    """Fill the database up to `count` open cases copied from `templates`, filed every ten minutes back from now.

    The rows go to the driver as they are stored (each template's columns encoded once; only ids,
    numbers and moments change per copy), in batches, so that 100,000 cases take seconds.
    """
    with ctx.unit_of_work() as uow:
        session = uow.session
        connection = session.connection()
        if connection.dialect.name == "sqlite":  # room for the indexes' pages while they fill
            connection.exec_driver_sql("PRAGMA cache_size = -262144")
        cases = Stored(connection.dialect, Case, session.scalars(select(Case).where(Case.id.in_(templates))))
        tasks = Stored(
            connection.dialect, CaseTask, session.scalars(select(CaseTask).where(CaseTask.case_id.in_(templates)))
        )
        tasks_of = {i: [t for t in tasks.rows if t[tasks.index["case_id"]] == i] for i in cases.column("id")}
        newest = max(cases.column("created_at"))
        case_rows: list[tuple[Any, ...]] = []
        task_rows: list[tuple[Any, ...]] = []
        for n in range(count - len(templates)):
            template = cases.rows[n % len(cases.rows)]
            shift = cases.shift(newest, template, FILED_EVERY * (n + 1))
            case_id = cases.new_id()
            case_rows.append(cases.copy(template, shift, id=case_id, number=f"MED-2026-B{n:06d}"))
            task_rows += [tasks.copy(t, shift, id=tasks.new_id(), case_id=case_id) for t in tasks_of[template[0]]]
            if len(task_rows) >= BATCH:
                cases.insert(connection, case_rows)
                tasks.insert(connection, task_rows)
        cases.insert(connection, case_rows)
        tasks.insert(connection, task_rows)
        if connection.dialect.name == "postgresql":  # what autovacuum would have done by then
            connection.exec_driver_sql("ANALYZE cases, case_task")


class Stored:
    """Rows of one table as the database stores them (UUIDs, moments and JSON encoded by the models'
    types), copied with new ids and moved moments, and handed to the driver's executemany."""

    MOMENTS = ("created_at", "updated_at", "due_at", "completed_at", "closed_at")

    def __init__(self, dialect: Any, model: Any, objects: Any) -> None:
        self.table = model.__table__
        self.names = [c.name for c in self.table.columns]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.moments = [self.index[m] for m in self.MOMENTS if m in self.index]
        encoders = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in self.table.columns]
        self.rows = [
            tuple(e(v) if e is not None and v is not None else v for e, v in zip(encoders, values, strict=True))
            for values in ([getattr(o, c.key) for c in self.table.columns] for o in objects)
        ]
        self.sqlite = dialect.name == "sqlite"
        self.mark = "?" if dialect.paramstyle == "qmark" else "%s"

    def column(self, name: str) -> list[Any]:
        """One column of every row."""
        return [row[self.index[name]] for row in self.rows]

    def new_id(self) -> Any:
        """A random UUID as stored: 16 bytes on SQLite, a UUID on PostgreSQL."""
        return os.urandom(16) if self.sqlite else uuid.uuid4()

    def shift(self, newest: Any, row: tuple[Any, ...], back: timedelta) -> Any:
        """What moves `row`'s moments so that it is filed `back` before `newest` (microseconds or a timedelta)."""
        return newest - row[self.index["created_at"]] - (back // MICROSECOND if self.sqlite else back)

    def copy(self, row: tuple[Any, ...], shift: Any, **changes: Any) -> tuple[Any, ...]:
        """`row` with its moments moved by `shift` and `changes` applied."""
        values = list(row)
        for i in self.moments:
            if values[i] is not None:
                values[i] += shift
        for name, value in changes.items():
            values[self.index[name]] = value
        return tuple(values)

    def insert(self, connection: Any, rows: list[tuple[Any, ...]]) -> None:
        """Insert `rows` (already encoded) and empty the list."""
        if rows:
            marks = ", ".join([self.mark] * len(self.names))
            sql = f"INSERT INTO {self.table.name} ({', '.join(self.names)}) VALUES ({marks})"
            connection.exec_driver_sql(sql, rows)
            rows.clear()


def add_readers(ctx: EngineContext) -> None:
    """The two people whose pages are timed, with passwords for the web pages."""
    for username, role in ((SEKRETARIS, "sekretaris"), (KADIN, "kepala_dinas")):
        user_service.add_user(
            ctx, actor=OPERATOR, username=username, full_name=username.title(), roles=[role], password=PASSWORD
        )


# -- measuring ---------------------------------------------------------------------------------------


def getters(ctx: EngineContext) -> dict[tuple[str, bool], Callable[[str], Any]]:
    """A GET per (person, API or web): with a bearer token, or signed in through the sign-in form."""
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, ctx=ctx)
    calls: dict[tuple[str, bool], Callable[[str], Any]] = {}
    for username in (SEKRETARIS, KADIN):
        headers = {"Authorization": f"Bearer {user_service.create_token(ctx, actor=OPERATOR, username=username)}"}
        client = app.test_client()
        calls[(username, True)] = lambda path, client=client, headers=headers: client.get(path, headers=headers)
        calls[(username, False)] = _signed_in(app.test_client(), username).get
    return calls


def _signed_in(client: FlaskClient, username: str) -> FlaskClient:
    response = client.post("/masuk", data={"username": username, "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"{username} could not sign in: {response.status_code}")
    return client


def p50s_ms(gets: Sequence[Callable[[str], Any]], request: Request, runs: int) -> list[float]:
    """Per database, the median time of `runs` GETs after a first one, the databases taking turns
    (so that a busy moment of the machine falls on all alike); every answer must be a full page."""
    times: list[list[float]] = [[] for _ in gets]
    for _ in range(runs + 1):
        for get, series in zip(gets, times, strict=True):
            start = time.perf_counter()
            response = get(request.path)
            series.append((time.perf_counter() - start) * 1000)
            check(request, response)
    return [statistics.median(series[1:]) for series in times]


def check(request: Request, response: Any) -> None:
    """Fail unless `response` is a full page (a list that lists something, a dashboard that counts cases)."""
    if response.status_code != 200:
        raise RuntimeError(f"GET {request.path}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    if request.api:
        answer = response.json
        if not (answer.get("items") if request.flat else answer.get("cases")):
            raise RuntimeError(f"GET {request.path} shows nothing: {str(answer)[:200]}")


def build(stack: ExitStack, kind: str, size: int) -> tuple[SizeFigures, dict[tuple[str, bool], Callable[[str], Any]]]:
    """A database of `size` open cases, open until `stack` closes, with the GETs of the people timed on it."""
    ctx, people = stack.enter_context(engine_on(stack.enter_context(database(kind))))
    started = time.perf_counter()
    progress(f"{kind}, {size:,} cases: 15 through the services, then copies")
    copy_cases(ctx, make_templates(ctx, people), size)
    add_readers(ctx)
    return SizeFigures(kind, size, time.perf_counter() - started), getters(ctx)


def measure(kind: str, sizes: Sequence[int], args: argparse.Namespace) -> list[SizeFigures]:
    """Build a database per size, then time every request over all of them in turn."""
    with ExitStack() as stack:
        built = [build(stack, kind, size) for size in sizes]
        for request in REQUESTS:
            progress(f"{kind}: {request.label}")
            runs = args.runs if request.flat else args.dashboard_runs
            gets = [calls[(request.username, request.api)] for _figures, calls in built]
            for (figures, _calls), ms in zip(built, p50s_ms(gets, request, runs), strict=True):
                figures.p50_ms[request.label] = ms
        return [figures for figures, _calls in built]


@contextmanager
def database(kind: str) -> Iterator[str]:
    """The URL of a fresh, empty database: a SQLite file, or a private PostgreSQL schema (dropped after)."""
    if kind == "SQLite":
        with sqlite_file() as path:
            yield sqlite_url(path)
    else:
        with private_schema(postgres_url()) as url:
            yield url


# -- the report --------------------------------------------------------------------------------------


def print_report(figures: Sequence[SizeFigures], args: argparse.Namespace) -> None:
    """Every p50, with the ratio of the largest size to the smallest, then the goals."""
    print("List benchmark: page 1 of the inbox and of the case list as a sekretaris, the dashboard (p50, ms)")
    print(f"  p50 of {args.runs} requests after a first one ({args.dashboard_runs} for the dashboard)")
    for kind in dict.fromkeys(f.database for f in figures):
        rows = [f for f in figures if f.database == kind]
        built = ", ".join(f"{f.cases:,} open cases built in {f.build_seconds:.0f} s" for f in rows)
        print(f"  {kind} ({built})")
        print(f"    {'':<{LABEL_WIDTH}}" + "".join(f"{f'{f.cases:,}':>10}" for f in rows) + "     ratio")
        for request in REQUESTS:
            values = "".join(f"{f.p50_ms[request.label]:10.1f}" for f in rows)
            ratio = f"{rows[-1].p50_ms[request.label] / rows[0].p50_ms[request.label]:10.2f}" if len(rows) > 1 else ""
            print(f"    {request.label + ' ':.<{LABEL_WIDTH}}{values}{ratio}")
    print("Goals")
    for line, met in goals(figures):
        print(f"  {'met   ' if met else 'MISSED'} {line}")


def goals(figures: Sequence[SizeFigures]) -> list[tuple[str, bool]]:
    """Each goal of issue 14 that these figures can judge, and whether it is met."""
    result: list[tuple[str, bool]] = []
    for kind in dict.fromkeys(f.database for f in figures):
        rows = [f for f in figures if f.database == kind]
        small, large = rows[0], rows[-1]
        for request in REQUESTS:
            if request.flat and large.cases > small.cases:
                ratio = large.p50_ms[request.label] / small.p50_ms[request.label]
                sizes = f"{large.cases:,} / {small.cases:,}"
                result.append((f"{kind}: {request.label} at {sizes}: {ratio:.2f} (<= {GOAL_FLAT})", ratio <= GOAL_FLAT))
        for f in rows:
            if f.cases == DASHBOARD_GOAL_CASES:
                ms = f.p50_ms[REQUESTS[-1].label]
                line = f"{kind}: dashboard at {f.cases:,} open cases: {ms:.1f} ms (<= {GOAL_DASHBOARD_MS:.0f})"
                result.append((line, ms <= GOAL_DASHBOARD_MS))
    return result


def positive(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def at_least_templates(value: str) -> int:
    """An argparse type: a number of cases, at least the 15 made through the services."""
    number = int(value)
    if number < len(happy_path().steps):
        raise argparse.ArgumentTypeError(f"must be at least {len(happy_path().steps)}")
    return number


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.list_bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", type=at_least_templates, nargs="+", default=list(SIZES), help="open cases per database"
    )
    parser.add_argument("--runs", type=positive, default=RUNS, help=f"timed requests per list (default {RUNS})")
    parser.add_argument(
        "--dashboard-runs", type=positive, default=DASHBOARD_RUNS, help=f"timed dashboards (default {DASHBOARD_RUNS})"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="also on PostgreSQL (MEDIASI_TEST_POSTGRES_URL, a private schema)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    figures: list[SizeFigures] = []
    for kind in ("SQLite", *(("PostgreSQL",) if args.postgres else ())):
        figures += measure(kind, sorted(set(args.cases)), args)
    print_report(figures, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
