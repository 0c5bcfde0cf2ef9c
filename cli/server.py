"""`mediasi serve`: the web app over HTTP, in as many processes as there are cores to use.

On Linux (and any POSIX system) gunicorn serves (cli.prefork): a master binds the port and forks
`workers` processes, each answering with `threads` threads. Every worker builds its own engine
context (database engine, caches) after the fork, so no connection or SQLite handle crosses a fork,
and its script workers are its own. The scheduler (timers, mail, letters) runs in one place only:
one child process of the master, a fresh interpreter running `run_scheduler`, never in a worker.
Elsewhere (Windows) waitress serves in this one process, the scheduler in a thread.

SIGTERM and SIGINT (Ctrl+C) stop gracefully: the master stops listening, the workers finish the
requests they hold (up to GRACEFUL_SECONDS) and the scheduler its round, then everything exits 0.
A second SIGINT stops at once.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import FrameType

from engine.context import EngineContext
from engine.errors import ConfigurationError
from engine.settings import Settings

MAX_WORKERS = 64
GRACEFUL_SECONDS = 30
SCHEDULER_ARG = "scheduler"  # `python -m cli.server scheduler MASTER_PID`: the scheduler child


@dataclass(frozen=True)
class Options:
    """What `mediasi serve` was asked for."""

    host: str
    port: int
    threads: int
    workers: int
    scheduler: bool


def workers_from_environ(environ: Mapping[str, str]) -> int:
    """The default of `--workers`: MEDIASI_WORKERS, else 1."""
    raw = environ.get("MEDIASI_WORKERS", "").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_WORKERS:
        raise ConfigurationError(f"MEDIASI_WORKERS harus bilangan bulat antara 1 dan {MAX_WORKERS}: {raw!r}")
    return int(raw)


def serve(ctx: EngineContext, options: Options) -> None:
    """Serve until SIGTERM or SIGINT; gunicorn on POSIX systems, waitress elsewhere."""
    if not 1 <= options.workers <= MAX_WORKERS:
        raise ConfigurationError(f"--workers harus antara 1 dan {MAX_WORKERS}: {options.workers}")
    if os.name != "posix" and options.workers > 1:
        raise ConfigurationError("--workers lebih dari 1 memerlukan Linux atau sistem POSIX lain (gunicorn)")
    print(f"Mediasi melayani di http://{bind_address(options)} (tekan Ctrl+C untuk berhenti)", flush=True)
    if os.name == "posix":
        from cli import prefork

        prefork.serve(ctx, options)
    else:
        _serve_in_process(ctx, options)


def bind_address(options: Options) -> str:
    """HOST:PORT, an IPv6 host in brackets."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    return f"{host}:{options.port}"


def _serve_in_process(ctx: EngineContext, options: Options) -> None:
    from waitress import serve as waitress_serve  # type: ignore[import-untyped]

    from engine.scheduler import Scheduler
    from webapp import create_app

    app = create_app(ctx=ctx)
    scheduler = Scheduler(ctx) if options.scheduler else None
    if scheduler is not None:
        scheduler.start()
    try:
        waitress_serve(app, host=options.host, port=options.port, threads=options.threads, ident="mediasi")
    finally:
        if scheduler is not None:
            scheduler.stop()


# -- the scheduler child ------------------------------------------------------------------------------


class _Stopped(Exception):
    """SIGTERM came: finish the round and exit."""


def _on_term(_signum: int, _frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one stop is enough; the master kills if it must
    raise _Stopped


def run_scheduler(master: int) -> int:
    """Tick until SIGTERM, or until the master is gone (never outlive it); returns the exit status."""
    from engine.scheduler import Scheduler

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the group; the master sends SIGTERM
    signal.signal(signal.SIGTERM, _on_term)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s")
    try:
        ctx = EngineContext.create(Settings.from_environ(os.environ))
    except _Stopped:
        return 0
    except Exception as exc:  # noqa: BLE001 - one line, as every mediasi error
        print(f"mediasi: penjadwal tidak dapat mulai ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 1
    scheduler = Scheduler(ctx)
    try:
        thread = scheduler.start()
        while thread.is_alive() and os.getppid() == master:
            time.sleep(1.0)
    except _Stopped:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        scheduler.stop(GRACEFUL_SECONDS)
        ctx.close()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != [SCHEDULER_ARG] or len(sys.argv) != 3 or not sys.argv[2].isdigit():
        sys.exit("pemakaian: python -m cli.server scheduler PID_MASTER")
    sys.exit(run_scheduler(int(sys.argv[2])))
