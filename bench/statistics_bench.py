"""Dashboard benchmark: the time of `engine.services.statistics.dashboard` at 100 and 1,000 cases.

Each size gets its own SQLite database of completed happy-path cases (a request and 15 completions
ending "mediated"): 100 made through the engine's services, bigger sizes copies of them made as
bench.audit_bench makes them. A case's violence types are read out of its screening record (never
its saved workflow or final record), so the time grows with the number of cases alone; the
benchmark also times a database of open cases (waiting on the Ketua's review), which cost more
while their saved workflows were restored.

It measures and prints; it sets no goal. Run it from the project root: `make bench`, or
`.venv/bin/python -m bench.statistics_bench --help`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.audit_bench import BASE_CASES, copy_cases, make_cases, progress
from bench.engine_bench import APPLICANT, OPERATOR, engine_on, happy_path, sqlite_file, sqlite_url, task_id_in
from engine.actors import Actor
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import statistics as statistics_service
from engine.services import users as user_service
from engine.services.tasks import complete_task
from tests.builders import WORKER

SIZES = (100, 1_000)
OPEN_CASES = 100
RUNS = 5
LABEL_WIDTH = 44


@dataclass(frozen=True)
class Timing:
    """The dashboard's time over one database: the first call, then the median of warm calls."""

    label: str
    cases: int
    first_ms: float
    median_ms: float

    @property
    def per_case_ms(self) -> float:
        return self.median_ms / self.cases


def auditor(ctx: EngineContext) -> Actor:
    """An account that may see the dashboard."""
    user_service.add_user(
        ctx, actor=OPERATOR, username="pemeriksa", full_name="Pemeriksa", roles=["auditor"], password=None
    )
    return user_service.actor_for(ctx, "pemeriksa")


def time_dashboard(ctx: EngineContext, label: str, cases: int, outcome: str | None) -> Timing:
    """Time the whole dashboard `RUNS + 1` times; every call must count `cases` (ending in `outcome`)."""
    reader = auditor(ctx)
    times: list[float] = []
    for _ in range(RUNS + 1):
        start = time.perf_counter()
        board = statistics_service.dashboard(ctx, actor=reader, start=None, end=None)
        times.append((time.perf_counter() - start) * 1000)
        counted = {c.key: c.count for c in board.outcomes}
        if board.cases != cases or (outcome is not None and counted.get(outcome) != cases):
            raise RuntimeError(f"expected {cases} cases ending {outcome!r}, the dashboard counts {board.cases}")
    return Timing(label, cases, times[0], statistics.median(times[1:]))


def completed(size: int, path: Path) -> Timing:
    """A database of `size` completed cases, timed."""
    with engine_on(sqlite_url(path)) as (ctx, people):
        base = min(size, BASE_CASES)
        progress(f"{size} completed cases: running {base} through the services")
        make_cases(ctx, people, base)
        if size > base:
            progress(f"{size} completed cases: copying them {size // base - 1} times")
            copy_cases(ctx, size // base - 1)
        return time_dashboard(ctx, f"{size} completed cases", size, "mediated")


def still_open(size: int, path: Path) -> Timing:
    """A database of `size` open cases, each past its completeness check (so it runs its clocks), timed."""
    scenario = happy_path()
    element, data = scenario.steps[0]
    with engine_on(sqlite_url(path)) as (ctx, people):
        progress(f"{size} open cases: filing them")
        for _ in range(size):
            view = case_service.start_case(ctx, actor=people[APPLICANT], data=scenario.request)
            complete_task(ctx, actor=people[WORKER[element]], task_id=task_id_in(view, element), data=data)
        return time_dashboard(ctx, f"{size} open cases", size, None)


def print_report(timings: Sequence[Timing]) -> None:
    print("Dashboard benchmark: engine.services.statistics.dashboard over every case (SQLite)")
    print(f"  each figure is the median of {RUNS} calls after a first one (shown beside it)")
    for t in timings:
        value = f"{t.median_ms:.1f} ms ({t.per_case_ms:.3f} ms per case; first call {t.first_ms:.1f} ms)"
        print(f"  {t.label + ' ':.<{LABEL_WIDTH}} {value}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="completed cases per database")
    parser.add_argument("--open", type=int, default=OPEN_CASES, help="open cases in the last database (0: none)")
    args = parser.parse_args(argv)
    if any(size % BASE_CASES and size > BASE_CASES for size in args.sizes):
        parser.error(f"sizes above {BASE_CASES} must be multiples of {BASE_CASES}")
    timings: list[Timing] = []
    for size in args.sizes:
        with sqlite_file() as path:
            timings.append(completed(size, path))
    if args.open:
        with sqlite_file() as path:
            timings.append(still_open(args.open, path))
    print_report(timings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
