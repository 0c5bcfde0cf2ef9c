"""Scripts, conditions and timer expressions run in worker processes with CPU, memory and time limits.

A deployed script is code someone wrote in a modeler. The sandbox (engine.sandbox) decides what it
may touch; this module decides how much it may take. Each evaluation is sent to a worker process
(a fresh interpreter, so it inherits no database connection, file or thread of the server) that runs
it with RLIMIT_CPU and RLIMIT_AS set, while the caller waits with a wall-clock deadline and kills the
worker when it passes. A worker over a limit dies or is killed and is replaced; the step that asked
fails with `ScriptLimitExceeded` and the server goes on. There is no way to run scripts in-process.

Values cross the pipe as JSON, so a script sees and returns only data. Functions the engine offers
to scripts (`hari_kerja`) stay in the calling process: the worker calls back for them.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import sandbox

MAX_WORKERS = 8


@dataclass(frozen=True)
class Limits:
    """How much one evaluation may take: CPU seconds, address space in MB, wall-clock seconds."""

    cpu_seconds: float = 2.0
    memory_mb: int = 256
    wall_seconds: float = 5.0


class ScriptLimitExceeded(sandbox.SandboxViolation):
    """A script ran past its CPU, memory or time limit, or its worker died."""


class ScriptError(Exception):
    """An error a script raised in its worker, with the name of its Python type."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# -- the worker side ---------------------------------------------------------------------------------
# One JSON object per line each way. Nothing the worker sends is unpickled or executed by the
# caller: a script that escaped the sandbox still holds only a pipe of data.


def main() -> None:
    """A worker's loop (`python -m engine.script_worker`): run one request at a time until stdin closes."""
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything else written to stdout must not be taken for a reply
    requests = sys.stdin
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU must not dump the script's memory
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # a script never writes a file
    baseline = _address_space()

    def send(message: dict[str, Any]) -> None:
        replies.write(json.dumps(message, allow_nan=False) + "\n")
        replies.flush()

    def receive() -> dict[str, Any]:
        line = requests.readline()
        if not line:
            raise SystemExit(0)
        message: dict[str, Any] = json.loads(line)
        return message

    while True:
        request = receive()
        _apply_limits(baseline, request["cpu_seconds"], request["memory_mb"])
        try:
            reply: dict[str, Any] = {"ok": _run(request, send, receive)}
        except MemoryError:
            send({"limit": f"skrip melampaui batas memori ({request['memory_mb']} MB)"})
            return  # the heap may be in any state: the pool starts a fresh worker
        except sandbox.SandboxViolation as exc:
            reply = {"error": "SandboxViolation", "message": str(exc)}
        except Exception as exc:  # noqa: BLE001 - whatever the script raised goes back to its step
            reply = {"error": type(exc).__name__, "message": _with_line(exc)}
        send(reply)


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _apply_limits(baseline: int, cpu_seconds: float, memory_mb: int) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, resource.RLIM_INFINITY))
    # The address space is measured once, when the worker starts: a script's memory is freed when
    # it returns, and reading /proc for every call would be work on the hot path for nothing.
    memory = baseline + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, resource.RLIM_INFINITY))


Send = Callable[[dict[str, Any]], None]
Receive = Callable[[], dict[str, Any]]


def _run(request: dict[str, Any], send: Send, receive: Receive) -> Any:
    context, extra = request["context"], request["extra"]
    extra.update({name: _call_back(name, send, receive) for name in request["functions"]})
    if request["mode"] == "exec":
        sandbox.execute(request["source"], context, extra)  # bounds and checks the variables itself
        return context
    result = sandbox.evaluate(request["source"], context, extra)
    sandbox.require_bounded(result)
    try:
        json.dumps(result, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise sandbox.SandboxViolation(f"hasil ekspresi harus berupa data JSON: {exc}") from exc
    return result


def _call_back(name: str, send: Send, receive: Receive) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        send({"call": name, "args": list(args)})
        answer = receive()
        if "err" in answer:
            raise ValueError(answer["err"])
        return answer["ret"]

    call.__name__ = name
    return call


def _with_line(exc: Exception) -> str:
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == "<bpmn>"]
    return f"{exc} (baris {lines[-1]})" if lines else str(exc)


# -- the caller side ---------------------------------------------------------------------------------

_ROOT = str(Path(__file__).resolve().parent.parent)
_MAX_LINE = 4 * sandbox.MAX_RESULT_CHARS  # JSON escapes can make a line longer than its text


class _Worker:
    """One worker process and the caller's ends of its pipes."""

    def __init__(self) -> None:
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": _ROOT, "PYTHONHASHSEED": "0"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.script_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd="/",
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        self._buffer = b""

    def run(self, request: dict[str, Any], functions: Mapping[str, Callable[..., Any]], limits: Limits) -> Any:
        deadline = time.monotonic() + limits.wall_seconds
        self._send(request, limits)
        while True:
            message = self._receive(deadline, limits)
            if "call" in message:
                self._send(_answer(functions, message["call"], message.get("args", [])), limits)
            elif "ok" in message:
                return message["ok"]
            elif "limit" in message:
                self.stop()
                raise ScriptLimitExceeded(str(message["limit"]))
            elif message.get("error") == "SandboxViolation":
                raise sandbox.SandboxViolation(str(message.get("message")))
            else:
                raise ScriptError(str(message.get("error")), str(message.get("message")))

    def _send(self, message: dict[str, Any], limits: Limits) -> None:
        data = (json.dumps(message, allow_nan=False) + "\n").encode()
        try:
            while data:
                data = data[os.write(self._in, data) :]
        except OSError:
            raise self._died(limits) from None

    def _receive(self, deadline: float, limits: Limits) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise ScriptLimitExceeded(f"skrip melampaui batas waktu ({limits.wall_seconds:g} detik)")
            ready, _, _ = select.select([self._out], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._out, 1 << 16)
            if not chunk:
                raise self._died(limits)
            self._buffer += chunk
            if len(self._buffer) > _MAX_LINE:
                self.stop()
                raise ScriptLimitExceeded("hasil skrip terlalu besar untuk disimpan sebagai variabel proses")
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def _died(self, limits: Limits) -> ScriptLimitExceeded:
        try:
            code = self.process.wait(1)
        except subprocess.TimeoutExpired:
            code = None
        self.stop()
        if code == -signal.SIGXCPU:
            return ScriptLimitExceeded(f"skrip melampaui batas waktu CPU ({limits.cpu_seconds:g} detik)")
        return ScriptLimitExceeded(f"proses skrip berhenti tak terduga (kode {code})")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


def _answer(functions: Mapping[str, Callable[..., Any]], name: str, args: list[Any]) -> dict[str, Any]:
    if name not in functions:
        return {"err": f"fungsi {name!r} tidak tersedia"}
    try:
        return {"ret": functions[name](*args)}
    except Exception as exc:  # noqa: BLE001 - the script sees the function's error as a ValueError
        return {"err": str(exc)}


class ScriptPool:
    """Worker processes shared by the threads of one server process, started as they are needed."""

    def __init__(self, limits: Limits | None = None, size: int = MAX_WORKERS) -> None:
        self.limits = limits or Limits()
        self._size = size
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._started = 0
        self._pid = os.getpid()

    def evaluate(self, source: str, context: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Any:
        """Evaluate an expression against process variables, in a worker."""
        return self._call("eval", source, context, extra)

    def execute(self, source: str, context: MutableMapping[str, Any], extra: Mapping[str, Any] | None = None) -> None:
        """Run a script in a worker; the variables it leaves become the process variables."""
        result = self._call("exec", source, context, extra)
        for gone in set(context) - set(result):
            del context[gone]
        context.update(result)

    def _call(self, mode: str, source: str, context: Mapping[str, Any], extra: Mapping[str, Any] | None) -> Any:
        functions = {k: v for k, v in (extra or {}).items() if callable(v)}
        limits = self.limits
        request = {
            "mode": mode,
            "source": source,
            "context": dict(context),
            "extra": {k: v for k, v in (extra or {}).items() if not callable(v)},
            "functions": sorted(functions),
            "cpu_seconds": limits.cpu_seconds,
            "memory_mb": limits.memory_mb,
        }
        try:
            json.dumps(request, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise sandbox.SandboxViolation(f"variabel proses harus berupa data JSON: {exc}") from exc
        worker = self._acquire()
        try:
            return worker.run(request, functions, limits)
        finally:
            self._release(worker)

    def _acquire(self) -> _Worker:
        with self._lock:
            if self._pid != os.getpid():  # forked: the workers belong to the parent
                self._idle, self._started, self._pid = [], 0, os.getpid()
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    self._started -= 1
                if self._started < self._size:
                    self._started += 1
                    break
                self._lock.wait()
        try:
            return _Worker()
        except BaseException:
            with self._lock:
                self._started -= 1
                self._lock.notify()
            raise

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if worker.alive():
                self._idle.append(worker)
            else:
                self._started -= 1
            self._lock.notify()

    def close(self) -> None:
        """Stop every idle worker (busy ones stop when their call returns)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._started -= len(idle)
        for worker in idle:
            worker.stop()


POOL = ScriptPool()
atexit.register(POOL.close)


def configure(limits: Limits) -> None:
    """Set the limits every later evaluation runs under (from settings, when a context is created)."""
    POOL.limits = limits


if __name__ == "__main__":
    main()
