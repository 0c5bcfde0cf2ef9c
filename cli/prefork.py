"""gunicorn for `mediasi serve` on POSIX systems: a master, its pre-forked workers, one scheduler.

The master binds the port, forks the workers and starts the scheduler; it never builds the app nor
opens the database. Each worker builds its own engine context when it loads the app, after the
fork. The scheduler is a fresh interpreter (`python -m cli.server scheduler PID`), so it shares
nothing with the master either; the master starts it again when it dies and stops it last.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from cli.server import GRACEFUL_SECONDS, SCHEDULER_ARG, Options, bind_address
from engine.context import EngineContext
from engine.settings import Settings

RESTART_PAUSE = 5.0  # seconds between two starts of a scheduler that keeps dying
_ROOT = str(Path(__file__).resolve().parent.parent)


def serve(master_ctx: EngineContext, options: Options) -> None:
    """Run the master until SIGTERM or SIGINT; exits with gunicorn's status (0 when stopped)."""
    _Server(master_ctx, options).run()


class _Server(BaseApplication):
    """gunicorn configured from `Options`; the app is built in each worker, never in the master."""

    def __init__(self, master_ctx: EngineContext, options: Options) -> None:
        self.master_ctx = master_ctx
        self.options = options
        super().__init__(prog="mediasi serve")

    def load_config(self) -> None:
        master_ctx = self.master_ctx

        def post_fork(_arbiter: Any, _worker: Any) -> None:
            # The master's engine was made before the fork and is never used here: drop its pool
            # without closing anything through it (SQLAlchemy's advice for a forked child).
            master_ctx.database.engine.dispose(close=False)

        settings = {
            "bind": [bind_address(self.options)],
            "workers": self.options.workers,
            "worker_class": "gthread",
            "threads": self.options.threads,
            "graceful_timeout": GRACEFUL_SECONDS,
            "proc_name": "mediasi",
            "forwarded_allow_ips": "",  # the app judges X-Forwarded-For itself (MEDIASI_TRUSTED_PROXIES)
            "control_socket_disable": True,  # no control socket: signals are the interface
            "post_fork": post_fork,
            "post_worker_init": _post_worker_init,
            "worker_exit": _worker_exit,
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        """The Flask app of one worker, around an engine context made in that worker."""
        from webapp import create_app

        return create_app(ctx=EngineContext.create(Settings.from_environ(os.environ)))

    def run(self) -> None:
        _Arbiter(self).run()


def _post_worker_init(_worker: Any) -> None:
    # Ctrl+C reaches the whole process group; the master alone decides how its workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_exit(_arbiter: Any, worker: Any) -> None:
    app = getattr(worker, "wsgi", None)
    ctx = app.extensions.get("mediasi") if app is not None else None
    if isinstance(ctx, EngineContext):
        ctx.close()


class _Arbiter(Arbiter):
    """gunicorn's master, which also keeps the one scheduler process running."""

    def __init__(self, app: _Server) -> None:
        super().__init__(app)
        self.scheduler = _SchedulerProcess() if app.options.scheduler else None

    def manage_workers(self) -> None:
        super().manage_workers()
        if self.scheduler is not None:
            self.scheduler.keep_running(self.log)

    def handle_chld(self) -> None:
        if self.scheduler is not None:
            self.scheduler.poll()  # reaped by its own pid first, so that its exit status is its own
        super().handle_chld()

    def handle_int(self) -> None:
        """SIGINT stops as gracefully as SIGTERM; a second one while stopping stops at once."""
        raise StopIteration

    def stop(self, graceful: bool = True) -> None:
        if self.scheduler is not None:
            self.scheduler.terminate()
        super().stop(graceful)
        if self.scheduler is not None:
            self.scheduler.wait(self.cfg.graceful_timeout if graceful else 1.0)


class _SchedulerProcess:
    """The master's scheduler child: one at a time, started again when it dies."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.started = -RESTART_PAUSE
        self.stopping = False
        self.reported = False

    def keep_running(self, log: Any) -> None:
        if self.stopping:
            return
        if self.process is not None:
            status = self.process.poll()
            if status is None:
                return
            if not self.reported:
                log.error("Penjadwal (pid %s) berhenti dengan kode %s; dimulai lagi", self.process.pid, status)
                self.reported = True
        if time.monotonic() - self.started < RESTART_PAUSE:
            return
        # A fresh interpreter: nothing of the master's (sockets, engine) reaches the scheduler.
        # -P: the current directory does not come first on sys.path; the master's packages do.
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter and module; no outside input
            [sys.executable, "-P", "-m", "cli.server", SCHEDULER_ARG, str(os.getpid())], env=_child_environ()
        )
        self.started, self.reported = time.monotonic(), False
        log.info("Penjadwal berjalan (pid %s)", self.process.pid)

    def poll(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def terminate(self) -> None:
        self.stopping = True
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _child_environ() -> dict[str, str]:
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, environ.get("PYTHONPATH", "")) if p)
    return environ
