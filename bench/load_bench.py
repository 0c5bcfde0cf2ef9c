"""Load benchmark over HTTP: real `mediasi serve` processes driven by client threads walking whole cases.

Each configuration gets a database of its own (a SQLite file, or a fresh PostgreSQL schema that is
dropped afterwards), prepared as an office would: `mediasi init --demo` (migrations, the process,
letter defaults, so letters are on) and API tokens from `mediasi token create`. Then
`mediasi serve --workers N` starts on a free port, and each client thread walks happy-path cases
through the API (POST /cases, then every task completed in order with the data the tests use)
until the time is up. It prints, per configuration (database × workers × clients), completions/s,
p50, p95 and errors by status, then, for one client on SQLite, each step's p50/p95 (letter steps
apart) and a whole case's. Run it from the project root: `make bench`, or
`.venv/bin/python -m bench.load_bench --help`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.settings import PROJECT_ROOT, normalize_database_url
from tests.builders import ACCEPTED_TO_END, TO_DECISION, WORKER, Step, application

HAPPY_PATH = [*TO_DECISION, *ACCEPTED_TO_END]
DEMO_USER = {
    "ani": "pemohon",
    "rina": "ketua_lppar",
    "tono": "tim_teknis",
    "sari": "sekretaris",
    "kadin": "kepala_dinas",
}
APPLICANT = "ani"
REQUEST = "POST /cases"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
MEDIASI = str(Path(sys.executable).parent / "mediasi")
BUSY = "Basis data sedang sibuk"

# The goals (issue 14).
GOAL_STEP_P50_MS, GOAL_STEP_P95_MS, GOAL_CASE_P50_MS = 6.0, 15.0, 120.0
GOAL_PG_RATE, GOAL_RATIO = 150.0, 1.7


def letter_steps() -> set[str]:
    """The user tasks of the diagram that issue letters (their `issuesLetters` property)."""
    tree = etree.parse(str(PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"))
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    found = tree.xpath("//bpmn:userTask[.//*[local-name()='property'][@name='issuesLetters']]/@id", namespaces=ns)
    return {str(element) for element in found}


# -- databases and servers ---------------------------------------------------------------------------


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    """A SQLite file in `folder` (removed with it)."""
    yield f"sqlite:///{folder / 'mediasi.db'}"


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A fresh schema in the PostgreSQL database `base_url` names, dropped afterwards."""
    schema = f"bench_load_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_database_url(base_url))
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    url = make_url(normalize_database_url(base_url)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


def postgres_problem(base_url: str) -> str | None:
    """Why PostgreSQL cannot be used, or None."""
    engine = create_engine(normalize_database_url(base_url))
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        engine.dispose()
    return None


def environment(url: str, folder: Path) -> dict[str, str]:
    """The caller's environment, pointed at this configuration's database and folder."""
    environ = {k: v for k, v in os.environ.items() if k != "MEDIASI_WORKERS"}
    environ |= {
        "MEDIASI_DATABASE_URL": url,
        "MEDIASI_SECRET_KEY": secrets.token_hex(16),
        "MEDIASI_DOCUMENT_DIR": str(folder / "documents"),
    }
    return environ


def mediasi(environ: dict[str, str], folder: Path, *args: str) -> str:
    """Run `mediasi ARGS`; its stdout."""
    done = subprocess.run([MEDIASI, *args], env=environ, cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: mediasi {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def prepare(environ: dict[str, str], folder: Path) -> dict[str, str]:
    """Migrate, deploy and add the demo users; an API token per person of the happy path (made at once)."""
    mediasi(environ, folder, "init", "--demo")
    made = {
        person: subprocess.Popen(
            [MEDIASI, "token", "create", user],
            env=environ,
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for person, user in DEMO_USER.items()
    }
    tokens = {}
    for person, process in made.items():
        out, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"bench: mediasi token create {DEMO_USER[person]} failed")
        tokens[person] = out.decode().splitlines()[-1]
    return tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(environ: dict[str, str], folder: Path, workers: int, threads: int) -> Iterator[int]:
    """`mediasi serve --workers N` on a free port, answering; stopped with SIGTERM afterwards."""
    port = free_port()
    command = [MEDIASI, "serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads)]
    with (folder / f"serve-{port}.log").open("wb") as log:
        process = subprocess.Popen(command, env=environ, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while Client(port).health() != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: the server did not start; see {folder}/serve-{port}.log")
            time.sleep(0.1)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- clients -----------------------------------------------------------------------------------------


class Client:
    """One kept-alive HTTP connection to the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        """Send one request (reconnecting once if the kept-alive connection was closed)."""
        payload = json.dumps(body) if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, f"/api/v1{path}", body=payload, headers=headers)
                response = self.connection.getresponse()
                return response.status, json.loads(response.read() or b"null")
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def health(self) -> int | None:
        try:
            return self.call("GET", "/health", "")[0]
        except (http.client.HTTPException, OSError):
            return None


@dataclass
class Samples:
    """What the clients saw from `since` (time.monotonic) on: milliseconds per step, whole cases (those
    begun since), errors; thread-safe."""

    since: float = 0.0
    steps: dict[str, list[float]] = field(default_factory=dict)
    cases: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by role over the recorded time

    def recording(self) -> bool:
        return time.monotonic() >= self.since

    def step(self, element: str, ms: float) -> None:
        if not self.recording():
            return
        with self.lock:
            self.steps.setdefault(element, []).append(ms)

    def case(self, ms: float) -> None:
        with self.lock:
            self.cases.append(ms)

    def error(self, status: int, answer: Any) -> None:
        if not self.recording():
            return
        message = answer.get("message", "") if isinstance(answer, dict) else ""
        kind = "sibuk" if message.startswith(BUSY) else (answer.get("error") if isinstance(answer, dict) else None)
        with self.lock:
            self.errors[f"{status} {kind or ''}".strip()] += 1

    def completions(self) -> list[float]:
        return [ms for element, values in self.steps.items() if element != REQUEST for ms in values]


def timed(client: Client, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any, float]:
    started = time.perf_counter()
    status, answer = client.call(method, path, token, body)
    return status, answer, (time.perf_counter() - started) * 1000


def task_id(client: Client, tokens: dict[str, str], case: dict[str, Any], element: str) -> str | None:
    """The ready task `element` of the case as last answered, or as its worker reads it now."""
    for task in case.get("tasks", []):
        if task["name"] == element:
            return str(task["id"])
    status, fresh = client.call("GET", f"/cases/{case['id']}", tokens[WORKER[element]])
    return next((str(t["id"]) for t in fresh.get("tasks", []) if t["name"] == element), None) if status == 200 else None


def walk_case(client: Client, tokens: dict[str, str], samples: Samples | None, deadline: float) -> None:
    """Walk one happy-path case; record into `samples` (None: warming up). Stops at the deadline."""
    started, whole = time.perf_counter(), samples is not None and samples.recording()
    filing = {"data": application(), "confirm_duplicate": True}  # one applicant files the same victim again and again
    status, case, ms = timed(client, "POST", "/cases", tokens[APPLICANT], filing)
    if status != 201:
        if samples:
            samples.error(status, case)
        return None
    if samples:
        samples.step(REQUEST, ms)
    for element in HAPPY_PATH:
        answered = complete(client, tokens, samples, case, element) if time.monotonic() < deadline else None
        if answered is None:
            return None
        case = answered
    if samples and whole:
        samples.case((time.perf_counter() - started) * 1000)
    return None


def complete(
    client: Client, tokens: dict[str, str], samples: Samples | None, case: dict[str, Any], element: str
) -> dict[str, Any] | None:
    """Complete the case's ready task `element`; the case as it then stands, or None when it could not.

    A refused attempt (a 409 "busy", say) is counted and tried again, twice.
    """
    for _ in range(3):
        task = task_id(client, tokens, case, element)
        if task is None:
            return None
        body = {"data": Step(element).payload(datetime.now(UTC))}  # the server runs on the wall clock
        status, answer, ms = timed(client, "POST", f"/tasks/{task}/complete", tokens[WORKER[element]], body)
        if status == 200:
            if samples:
                samples.step(element, ms)
            return dict(answer["case"])
        if samples:
            samples.error(status, answer)
    return None


# -- runs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """One configuration's figures."""

    database: str
    workers: int
    clients: int
    seconds: float
    samples: Samples

    @property
    def rate(self) -> float:
        return len(self.samples.completions()) / self.seconds


# -- where the machine's CPU went ---------------------------------------------------------------------

ROLES = ("web workers", "scheduler (letters, timers)", "PostgreSQL", "clients (this bench)")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Proc:
    ppid: int
    command: str
    seconds: float  # CPU time so far, user + system


def processes() -> dict[int, Proc]:
    """Every process's parent, command line and CPU time, from /proc (empty where there is none)."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*") if Path("/proc/self/stat").exists() else ():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        found[int(entry.name)] = Proc(int(fields[1]), command, (int(fields[11]) + int(fields[12])) / _TICK)
    return found


def role(pid: int, table: dict[int, Proc], port: int) -> str | None:
    """Which part of the set-up a process is: the server on `port` (its workers, its scheduler), PostgreSQL, us."""
    if pid == os.getpid():
        return ROLES[3]
    if table[pid].command.startswith("postgres"):
        return ROLES[2]
    seen, current = set(), pid
    while current in table and current not in seen:
        seen.add(current)
        command = table[current].command
        if "cli.server scheduler" in command:
            return ROLES[1]
        if f"serve --port {port} " in command:
            return ROLES[0]
        current = table[current].ppid
    return None


def cpu_spent(before: dict[int, Proc], after: dict[int, Proc], port: int) -> dict[str, float]:
    """CPU seconds each role spent between two readings of `processes()`."""
    spent = dict.fromkeys(ROLES, 0.0)
    for pid, proc in after.items():
        kind = role(pid, after, port)
        if kind is not None:
            earlier = before.get(pid)
            spent[kind] += proc.seconds - (earlier.seconds if earlier and earlier.command == proc.command else 0.0)
    return spent


def drive(port: int, tokens: dict[str, str], clients: int, warmup: float, seconds: float) -> Samples:
    """`clients` threads walking cases: `warmup` seconds unrecorded, then `seconds` recorded (with the
    CPU each part of the set-up spent meanwhile, in `Samples.cpu`)."""
    start = time.monotonic()
    measuring, deadline = start + warmup, start + warmup + seconds
    samples = Samples(since=measuring)

    def client_loop() -> None:
        # A connection per case, kept alive through it, as a person's browser would: the server's
        # workers share new connections out among themselves (one opened while a worker was still
        # starting would otherwise keep every later request on the first worker up).
        client = Client(port)
        while time.monotonic() < deadline:
            walk_case(client, tokens, samples, deadline)
            client.close()

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measuring - time.monotonic()))
    before = processes()
    time.sleep(max(0.0, deadline - time.monotonic()))
    samples.cpu = cpu_spent(before, processes(), port)
    for thread in threads:
        thread.join()
    return samples


def single_client(port: int, tokens: dict[str, str], warmup_cases: int, cases: int) -> Samples:
    """One client walking `cases` whole cases after `warmup_cases` unrecorded ones."""
    client, samples = Client(port), Samples()
    for _ in range(warmup_cases):
        walk_case(client, tokens, None, float("inf"))
    for _ in range(cases):
        walk_case(client, tokens, samples, float("inf"))
    return samples


@contextmanager
def prepared(kind: str, pg_url: str) -> Iterator[tuple[dict[str, str], Path, dict[str, str]]]:
    """A fresh database of `kind`, prepared: (environment, folder, tokens)."""
    with tempfile.TemporaryDirectory(prefix="mediasi-load-") as name:
        folder = Path(name)
        database = sqlite_database(folder) if kind == "sqlite" else postgres_database(pg_url)
        with database as url:
            environ = environment(url, folder)
            progress(f"{kind}: mediasi init --demo, tokens")
            yield environ, folder, prepare(environ, folder)


# -- report ------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank); NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def errors_text(errors: Counter[str]) -> str:
    return ", ".join(f"{kind}: {count}" for kind, count in sorted(errors.items())) or "none"


def print_loads(loads: list[Load]) -> None:
    print("\nThroughput: clients walking whole cases at once (completions only; the request apart)")
    print(
        f"  {'database':<11}{'workers':>8}{'clients':>8}{'compl./s':>10}{'p50 ms':>9}{'p95 ms':>9}{'cases':>7}  errors"
    )
    for load in loads:
        done = load.samples.completions()
        print(
            f"  {load.database:<11}{load.workers:>8}{load.clients:>8}{load.rate:>10.1f}"
            f"{percentile(done, 0.5):>9.1f}{percentile(done, 0.95):>9.1f}{len(load.samples.cases):>7}"
            f"  {errors_text(load.samples.errors)}"
        )
    print_cpu(loads)


def print_cpu(loads: list[Load]) -> None:
    """Where the CPU went, per completion, and the rate the machine's cores allow at that cost."""
    measured = [load for load in loads if load.samples.cpu and load.samples.completions()]
    if not measured:
        return
    cores = os.cpu_count() or 1
    print(f"\nCPU per completion over the recorded time, ms ({cores} cores; /proc)")
    print(
        f"  {'database':<11}{'workers':>8}" + "".join(f"{r.split(' (')[0]:>13}" for r in ROLES) + f"{'all':>8}  ceiling"
    )
    for load in measured:
        done = len(load.samples.completions())
        per = [load.samples.cpu[r] * 1000 / done for r in ROLES]
        total = sum(per)
        ceiling = cores * 1000 / total if total else float("nan")
        print(
            f"  {load.database:<11}{load.workers:>8}"
            + "".join(f"{ms:>13.2f}" for ms in per)
            + f"{total:>8.2f}  {ceiling:.0f}/s"
        )
    print("  ceiling: the completions/s the cores would give if every one of them did nothing else")


def print_single(samples: Samples, letters: set[str]) -> None:
    print("\nOne client, SQLite, 1 worker: milliseconds per request")
    print(f"  {'step':<32}{'p50':>8}{'p95':>8}{'n':>6}")
    for element in [REQUEST, *dict.fromkeys(HAPPY_PATH)]:
        values = samples.steps.get(element, [])
        mark = " (letters)" if element in letters else ""
        print(f"  {element + mark:<32}{percentile(values, 0.5):>8.1f}{percentile(values, 0.95):>8.1f}{len(values):>6}")
    plain = [ms for e, v in samples.steps.items() if e != REQUEST and e not in letters for ms in v]
    lettered = [ms for e, v in samples.steps.items() if e in letters for ms in v]
    for label, values in (("steps without letters", plain), ("steps with letters", lettered)):
        print(f"  {label:<32}{percentile(values, 0.5):>8.1f}{percentile(values, 0.95):>8.1f}{len(values):>6}")
    cases = samples.cases
    label = f"whole case (request + {len(HAPPY_PATH)})"
    print(f"  {label:<32}{percentile(cases, 0.5):>8.1f}{percentile(cases, 0.95):>8.1f}{len(cases):>6}")


def verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "skipped"}[met]


def goals(single: Samples | None, loads: list[Load]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) for each of the issue's goals that this benchmark measures."""
    found: list[tuple[str, str, bool | None]] = []
    if single is not None:
        done = single.completions()
        p50, p95, case = percentile(done, 0.5), percentile(done, 0.95), percentile(single.cases, 0.5)
        met = p50 <= GOAL_STEP_P50_MS and p95 <= GOAL_STEP_P95_MS
        found.append(("completion p50 <= 6 ms, p95 <= 15 ms (one client, SQLite)", f"{p50:.1f} / {p95:.1f} ms", met))
        found.append(("whole case p50 <= 120 ms", f"{case:.1f} ms", case <= GOAL_CASE_P50_MS))
    by = {(load.database, load.workers): load for load in loads}
    sqlite = next((load for load in loads if load.database == "sqlite"), None)
    if sqlite is not None:
        busy = sum(n for kind, n in sqlite.samples.errors.items() if kind.endswith("sibuk"))
        found.append((f"SQLite, {sqlite.clients} clients: 0 busy errors", f"{busy}", busy == 0))
    one, two = by.get(("postgresql", 1)), by.get(("postgresql", 2))
    if two is not None:
        errors = sum(two.samples.errors.values())
        found.append(
            (
                f">= 150 completions/s, 0 errors (PostgreSQL, 2 workers, {two.clients} clients)",
                f"{two.rate:.1f}/s, {errors} errors",
                two.rate >= GOAL_PG_RATE and errors == 0,
            )
        )
    if one is not None and two is not None and one.rate > 0:
        ratio = two.rate / one.rate
        found.append(("PostgreSQL 2 workers / 1 >= 1.7", f"{ratio:.2f}", ratio >= GOAL_RATIO))
    return found


def print_goals(single: Samples | None, loads: list[Load]) -> None:
    print("\nGoals (issue 14)")
    for name, measured, met in goals(single, loads):
        print(f"  [{verdict(met):^7}] {name + ' ':.<72} {measured}")


# -- main --------------------------------------------------------------------------------------------


def progress(message: str) -> None:
    """Say what is running, on stderr, so that stdout holds only the report."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="recorded seconds per load run (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unrecorded seconds before each (default 2)")
    parser.add_argument("--clients", type=positive, default=8, help="client threads of a load run (default 8)")
    parser.add_argument("--threads", type=positive, default=8, help="threads per server worker (default 8)")
    parser.add_argument("--cases", type=positive, default=20, help="whole cases of the one-client run (default 20)")
    parser.add_argument("--pg-url", default=os.environ.get("MEDIASI_TEST_POSTGRES_URL", DEFAULT_PG_URL))
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    return parser.parse_args(argv)


def load_run(kind: str, workers: int, port: int, tokens: dict[str, str], args: argparse.Namespace) -> Load:
    progress(f"{kind}: {args.clients} clients, {workers} worker(s), {args.warmup:g} + {args.seconds:g} s")
    return Load(kind, workers, args.clients, args.seconds, drive(port, tokens, args.clients, args.warmup, args.seconds))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    print(f"Mediasi load benchmark: happy-path cases over HTTP (POST /cases + {len(HAPPY_PATH)} completions),")
    print(f"letters on; `mediasi serve` subprocesses; {os.cpu_count()} cores, Python {platform.python_version()}")
    loads = []
    with prepared("sqlite", args.pg_url) as (environ, folder, tokens), server(environ, folder, 1, args.threads) as port:
        progress(f"sqlite: one client, {args.cases} cases")
        single = single_client(port, tokens, 2, args.cases)
        loads.append(load_run("sqlite", 1, port, tokens, args))
    problem = "--no-postgres" if args.no_postgres else postgres_problem(args.pg_url)
    if problem is None:
        with prepared("postgresql", args.pg_url) as (environ, folder, tokens):
            for workers in (1, 2):
                with server(environ, folder, workers, args.threads) as port:
                    loads.append(load_run("postgresql", workers, port, tokens, args))
    print_single(single, letter_steps())
    print_loads(loads)
    if problem is not None:
        print(f"  PostgreSQL skipped: {problem}")
    one, two = (next((x for x in loads if (x.database, x.workers) == ("postgresql", n)), None) for n in (1, 2))
    if one is not None and two is not None and one.rate > 0:
        print(f"  PostgreSQL, 2 workers / 1: {two.rate / one.rate:.2f}")
    print_goals(single, loads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
