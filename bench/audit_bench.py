"""Audit benchmark: verifying every hash chain and replaying every case, at 1, 100 and 10,000 cases.

Each size gets its own SQLite database. 100 happy-path cases (a request and 15 completions
ending "mediated") are made through the engine's services; bigger sizes copy them under new case
ids and numbers, with every event re-sealed for its new chain, so that each copy is a case the
verifier and the replayer cannot tell from an engine-made one. It then times `audit.verify` over
the whole database and `replay_case` for every case (each replay checked to match), and reports
the time per case at each size: growth is linear when the time per case stays flat. Run it from
the project root: `make bench`, or `.venv/bin/python -m bench.audit_bench --help`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.engine_bench import (
    EXPECTED_OUTCOME,
    SqlCounter,
    check_view,
    engine_on,
    happy_path,
    run_service_case,
    sqlite_file,
    sqlite_url,
)
from engine.context import EngineContext
from engine.events import GENESIS, event_hash
from engine.persistence.case_store import NewEvent
from engine.persistence.models import Case, CaseFinalRecord, CaseTask, Event, EventPayload
from engine.services import audit, replays

SIZES = (1, 100, 10_000)
BASE_CASES = 100
GOAL_REPLAY_MS = 50.0
GOAL_LINEAR = 1.5  # time per case at the largest size at most this many times that at 100 cases
LABEL_WIDTH = 46


@dataclass(frozen=True)
class SizeFigures:
    """Verify and replay times for one database size."""

    cases: int
    events: int
    verify_seconds: float
    replay_seconds: float
    replay_ms: list[float]

    @property
    def verify_ms_per_case(self) -> float:
        return self.verify_seconds * 1000 / self.cases

    @property
    def replay_ms_per_case(self) -> float:
        return self.replay_seconds * 1000 / self.cases


# -- building the databases --------------------------------------------------------------------------


def make_cases(ctx: EngineContext, people: Any, count: int) -> None:
    """Run `count` happy-path cases through the services."""
    counter = SqlCounter()
    for _ in range(count):
        view = run_service_case(ctx, people, happy_path(), counter)
        check_view(view)


def copy_cases(ctx: EngineContext, copies: int) -> None:
    """Add `copies` copies of every case in the database, under new ids, numbers and hashes."""
    with ctx.unit_of_work() as uow:
        session = uow.session
        originals = list(session.scalars(select(Case)))
        tasks = _by_case(session.scalars(select(CaseTask)))
        events = _by_case(session.scalars(select(Event).where(Event.case_id.is_not(None)).order_by(Event.seq)))
        payloads = {i: data for i, data in session.execute(select(EventPayload.event_id, EventPayload.data))}
        finals = {i: record for i, record in session.execute(select(CaseFinalRecord.case_id, CaseFinalRecord.record))}
        next_event_id = (max(payloads) if payloads else 0) + 1_000_000
        rows: dict[str, list[dict[str, Any]]] = {"cases": [], "tasks": [], "events": [], "payloads": [], "finals": []}
        for copy in range(1, copies + 1):
            for case in originals:
                next_event_id = _copy_case(case, copy, tasks, events, payloads, finals, next_event_id, rows)
        for model, key in (
            (Case, "cases"),
            (CaseTask, "tasks"),
            (Event, "events"),
            (EventPayload, "payloads"),
            (CaseFinalRecord, "finals"),
        ):
            for start in range(0, len(rows[key]), 5000):
                session.execute(insert(model), rows[key][start : start + 5000])


def _by_case(rows: Any) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.case_id, []).append(row)
    return grouped


def _copy_case(
    case: Case,
    copy: int,
    tasks: dict[uuid.UUID, list[CaseTask]],
    events: dict[uuid.UUID, list[Event]],
    payloads: dict[int, str],
    finals: dict[uuid.UUID, bytes],
    next_event_id: int,
    rows: dict[str, list[dict[str, Any]]],
) -> int:
    new_id = uuid.uuid4()
    task_ids = {t.id: uuid.uuid4() for t in tasks.get(case.id, [])}
    for task in tasks.get(case.id, []):
        rows["tasks"].append({**_columns(task), "id": task_ids[task.id], "case_id": new_id})
    prev = GENESIS
    for event in events.get(case.id, []):
        sealed = NewEvent(
            seq=event.seq,
            type=event.type,
            actor=event.actor,
            at=event.at,
            case_id=new_id,
            task_id=task_ids.get(event.task_id) if event.task_id else None,
            element=event.element,
            payload_hash=event.payload_hash,
        )
        sealed.prev_hash, sealed.hash = prev, event_hash(sealed, prev)
        prev = sealed.hash
        rows["events"].append({**{k: v for k, v in vars(sealed).items() if k != "payload"}, "id": next_event_id})
        if event.id in payloads:
            rows["payloads"].append({"event_id": next_event_id, "data": payloads[event.id]})
        next_event_id += 1
    year, serial = case.number.rsplit("-", 2)[1:]
    number = f"MED-{year}-{copy:03d}{serial}"
    rows["cases"].append({**_columns(case), "id": new_id, "number": number, "event_hash": prev})
    if case.id in finals:
        rows["finals"].append({"case_id": new_id, "record": finals[case.id]})
    return next_event_id


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


# -- measuring ---------------------------------------------------------------------------------------


def measure_size(ctx: EngineContext, cases: int) -> SizeFigures:
    """Time a whole verification, then a replay of every case (each must match)."""
    start = time.perf_counter()
    result = audit.verify(ctx)
    verify_seconds = time.perf_counter() - start
    if not result.ok or result.chains < cases:
        raise RuntimeError(f"verification failed or missed chains: {result.summary()}")
    with ctx.unit_of_work(write=False) as uow:
        ids = list(uow.session.scalars(select(Case.id)))
    if len(ids) != cases:
        raise RuntimeError(f"expected {cases} cases, found {len(ids)}")
    replay_ms: list[float] = []
    start = time.perf_counter()
    for case_id in ids:
        begin = time.perf_counter()
        report = replays.replay_case(ctx, case_ref=case_id)
        replay_ms.append((time.perf_counter() - begin) * 1000)
        if not report.result.ok or not report.result.final_checked:
            raise RuntimeError(f"replay of {report.number} diverged: {report.result.divergence}")
    replay_seconds = time.perf_counter() - start
    return SizeFigures(cases, result.events, verify_seconds, replay_seconds, replay_ms)


def build_and_measure(size: int, path: Path) -> SizeFigures:
    """A fresh SQLite database of `size` completed cases, measured."""
    with engine_on(sqlite_url(path)) as (ctx, people):
        base = min(size, BASE_CASES)
        progress(f"{size} cases: running {base} through the services")
        make_cases(ctx, people, base)
        if size > base:
            if size % base:
                raise ValueError(f"size {size} must be a multiple of {base}")
            progress(f"{size} cases: copying them {size // base - 1} times")
            copy_cases(ctx, size // base - 1)
        progress(f"{size} cases: verifying and replaying")
        return measure_size(ctx, size)


# -- report ------------------------------------------------------------------------------------------


def line(label: str, value: str) -> None:
    print(f"  {label + ' ':.<{LABEL_WIDTH}} {value}")


def print_report(figures: Sequence[SizeFigures]) -> None:
    print("Audit benchmark: whole-database verification and replay of every case (SQLite)")
    print(f"  each case: a request and {len(happy_path().steps)} completions ending {EXPECTED_OUTCOME!r}")
    print(f"  above {BASE_CASES} cases, the {BASE_CASES} engine-made cases are copied and re-sealed")
    for f in figures:
        print(f"\n{f.cases} case(s), {f.events} events")
        line("verify all chains", f"{f.verify_seconds * 1000:.1f} ms ({f.verify_ms_per_case:.3f} ms per case)")
        line("replay every case", f"{f.replay_seconds:.2f} s ({f.replay_ms_per_case:.2f} ms per case)")
        ms = sorted(f.replay_ms)
        line("one case's replay: median / p95 / max", f"{_median(ms):.1f} / {_p95(ms):.1f} / {ms[-1]:.1f} ms")
    print("\nGoals")
    for name, measured, met in goals(figures):
        print(f"  [{'met' if met else 'NOT met':^7}] {name + ' ':.<{LABEL_WIDTH + 8}} {measured}")


def goals(figures: Sequence[SizeFigures]) -> list[tuple[str, str, bool]]:
    by_size = {f.cases: f for f in figures}
    result: list[tuple[str, str, bool]] = []
    # One case's replay, judged at the 95th percentile: the rare slower one is a garbage collection
    # pause of the benchmark process, reported as the maximum beside it.
    p95 = max(_p95(sorted(f.replay_ms)) for f in figures)
    worst = max(max(f.replay_ms) for f in figures)
    result.append(
        (
            f"one complete case replays in under {GOAL_REPLAY_MS:g} ms (p95)",
            f"p95 {p95:.1f} ms, max {worst:.1f} ms",
            p95 < GOAL_REPLAY_MS,
        )
    )
    if 100 in by_size and len(by_size) > 1:
        largest = max(by_size)
        for what, per_case in (
            ("verify", lambda f: f.verify_ms_per_case),
            ("replay", lambda f: f.replay_ms_per_case),
        ):
            ratio = per_case(by_size[largest]) / per_case(by_size[100])
            result.append(
                (
                    f"{what}: linear (per-case time at {largest} / at 100 <= {GOAL_LINEAR:g})",
                    f"{ratio:.2f}",
                    ratio <= GOAL_LINEAR,
                )
            )
    return result


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _p95(values: Sequence[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.95))]


def progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(SIZES), help="database sizes in cases (default 1 100 10000)"
    )
    args = parser.parse_args(argv)
    figures = []
    for size in args.sizes:
        with sqlite_file() as path:
            figures.append(build_and_measure(size, path))
    print_report(figures)
    return 0 if all(met for _, _, met in goals(figures)) else 1


if __name__ == "__main__":
    sys.exit(main())
