"""Script worker benchmark: what running scripts in a limited worker process costs, and how fast runaways stop.

It times, per call, a gateway condition and a short script evaluated in-process by the sandbox
(what the engine did before issue 13) and through the worker pool (what it does now), the start of
a fresh worker, and how long each of the issue's four runaway scripts runs before its limit stops
it. Run it from the project root: `make bench`, or `.venv/bin/python -m bench.script_bench --help`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from engine import sandbox, script_worker

CONDITION = '"seksual" not in jenis_kekerasan and tingkat_bahaya != "tinggi"'
SCRIPT = 'peringatan_aturan = []\nif tingkat_bahaya == "sedang":\n    peringatan_aturan.append("R9")'
CONTEXT = {"jenis_kekerasan": ["fisik", "psikis"], "tingkat_bahaya": "sedang", "korban": [{"umur": 34}]}
RUNAWAYS = {
    "while True: pass": "while True:\n    pass",
    "10**10**10": "x = 10**10**10",
    "'a'*10**10": "x = 'a' * 10**10",
    "[[[1]*1000]*1000]*100": "a = [1] * 1000\nb = [a] * 1000\nc = [b] * 100",
}


def timed(call: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls."""
    figures = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        figures.append((time.perf_counter() - started) * 1000)
    return figures


def p(figures: list[float], q: float) -> float:
    return statistics.quantiles(figures, n=100)[int(q) - 1]


def row(label: str, figures: list[float]) -> None:
    print(f"  {label:<44} p50 {p(figures, 50):8.3f} ms   p95 {p(figures, 95):8.3f} ms")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="calls per figure (default 2000)")
    args = parser.parse_args(argv)
    limits = script_worker.Limits(cpu_seconds=2, memory_mb=256, wall_seconds=5)
    pool = script_worker.ScriptPool(limits, size=1)
    print(f"Script worker benchmark ({args.runs} calls per figure; limits 2 s CPU, 256 MB, 5 s wall)")
    try:
        (start_ms,) = timed(lambda: pool.evaluate("1", {}), 1)
        print(f"  {'worker start (first call)':<44} {start_ms:12.3f} ms")
        row("condition, in-process sandbox", timed(lambda: sandbox.evaluate(CONDITION, dict(CONTEXT)), args.runs))
        row("condition, worker pool", timed(lambda: pool.evaluate(CONDITION, CONTEXT), args.runs))
        row("script, in-process sandbox", timed(lambda: sandbox.execute(SCRIPT, dict(CONTEXT)), args.runs))
        row("script, worker pool", timed(lambda: pool.execute(SCRIPT, dict(CONTEXT)), args.runs))
        print("Runaway scripts, from call to refusal (then a fresh worker answers):")
        for label, source in RUNAWAYS.items():
            started = time.perf_counter()
            try:
                pool.execute(source, {})
                outcome = "NOT STOPPED"
            except sandbox.SandboxViolation as refused:
                outcome = str(refused)
            seconds = time.perf_counter() - started
            assert pool.evaluate("1 + 1", {}) == 2
            print(f"  {label:<26} {seconds:6.2f} s  {outcome}")
    finally:
        pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
