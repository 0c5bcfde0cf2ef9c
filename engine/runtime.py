"""SpiffWorkflow behind a small interface: start, load, run a task, signal, save.

Everything here runs in memory; persistence is the caller's business. State is saved without
the spec (the diagram is stored once per version) and compressed.
"""

from __future__ import annotations

import copy
import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine import sandbox, script_worker
from engine.bpmn.specs import ProcessSpecs
from engine.calendar import WorkingCalendar
from engine.errors import Conflict, ProcessFailed, TaskNotReady

SERIALIZER_VERSION = "spiff-1.5+specless-zlib"
# A finished workflow can never run again, so a finished case keeps only what it ended with:
# its variables and the state of every task, in tree order (what replay compares).
FINAL_VERSION = "final-1"


# The moment a step runs at and the office calendar (built only when asked for). SpiffWorkflow reads
# the wall clock itself to start and fire timers; within a step it reads this moment instead, so a
# step's timers are computed from the moment its event records, and replay can compute them again.
_STEP: ContextVar[tuple[datetime, Callable[[], WorkingCalendar] | None] | None] = ContextVar("step", default=None)


@contextmanager
def at(now: datetime, calendar: Callable[[], WorkingCalendar] | None = None) -> Iterator[None]:
    """Run the engine as of `now` (aware), with `calendar` for working-day timer expressions."""
    token = _STEP.set((now.astimezone(UTC), calendar))
    try:
        yield
    finally:
        _STEP.reset(token)


def engine_now() -> datetime:
    """The moment of the step being run, or the wall clock outside one."""
    step = _STEP.get()
    return step[0] if step is not None else datetime.now(UTC)


class _StepDatetime(datetime):
    """What SpiffWorkflow's timer module takes for `datetime`: `now()` is the step's moment."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        moment = engine_now()
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)


spiff_timer.datetime = _StepDatetime


def hari_kerja(n: int) -> str:
    """Timer expressions: the close of service on the n-th working day after the step's moment.

    A timeDate of `hari_kerja(2)` fires when the second working day after today ends (a step
    outside service hours counts from the next opening), whatever holidays lie between.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 250:
        raise ValueError("hari_kerja(n) memerlukan bilangan bulat 0 sampai 250")
    step = _STEP.get()
    if step is None or step[1] is None:
        raise ValueError("hari_kerja() hanya dapat dipakai saat langkah kasus berjalan")
    return step[1]().due_at(step[0], n).isoformat()


def tanggal_layanan(tanggal: str) -> str:
    """Timer expressions: the opening of service on `tanggal` (YYYY-MM-DD), or the next working
    moment after it when the office is closed that day; a date already past fires at once.

    A timeDate of `tanggal_layanan(tanggal_pemantauan)` waits for a date the case's data holds.
    """
    try:
        day = date.fromisoformat(tanggal) if isinstance(tanggal, str) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError("tanggal_layanan(tanggal) memerlukan tanggal berbentuk TTTT-BB-HH")
    step = _STEP.get()
    if step is None or step[1] is None:
        raise ValueError("tanggal_layanan() hanya dapat dipakai saat langkah kasus berjalan")
    calendar = step[1]()
    opening = datetime.combine(day, time.min, tzinfo=calendar.zone)
    return calendar.next_working_moment(opening).isoformat()


TIMER_FUNCTIONS: dict[str, Any] = {"hari_kerja": hari_kerja, "tanggal_layanan": tanggal_layanan}


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's script environment: the sandbox, in a limited worker process, with the timer functions."""

    def evaluate(self, expression: str, context: Any, external_context: Any = None) -> Any:
        return script_worker.POOL.evaluate(expression, context, {**TIMER_FUNCTIONS, **(external_context or {})})

    def execute(self, script: str, context: Any, external_context: Any = None) -> bool:
        script_worker.POOL.execute(script, context, {**TIMER_FUNCTIONS, **(external_context or {})})
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise sandbox.SandboxViolation("service task tidak didukung")


SCRIPT_ENGINE = PythonScriptEngine(environment=SandboxedEnvironment())


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leaves the spec out of the saved state and takes it from the cache when loading."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], specs: ProcessSpecs | None = None) -> BpmnWorkflow:
        if specs is None:
            raise ValueError("specs are required to restore a workflow")
        workflow = self.target_class(specs.spec, specs.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    _SpeclessWorkflowConverter(BpmnWorkflow, registry)
    return BpmnWorkflowSerializer(registry)


_SERIALIZER = _serializer()


def dump_state(workflow: BpmnWorkflow) -> bytes:
    """Serialize a workflow without its spec, compressed."""
    return zlib.compress(_SERIALIZER.serialize_json(workflow).encode(), 6)


def load_state(specs: ProcessSpecs, state: bytes) -> BpmnWorkflow:
    """Restore a workflow saved by `dump_state` against its cached spec."""
    dct = json.loads(zlib.decompress(state))
    _SERIALIZER.migrate(dct)
    workflow: BpmnWorkflow = _SERIALIZER.registry.restore(dct, specs=specs)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def task_states(workflow: BpmnWorkflow) -> list[tuple[str, str]]:
    """(element, state name) of every task in tree order."""
    return [(t.task_spec.name, TaskState.get_name(t.state)) for t in workflow.get_tasks()]


def completed_elements(workflow: BpmnWorkflow) -> list[str]:
    """The BPMN ids of the diagram elements the workflow has passed (subprocesses excluded)."""
    containers = set(workflow.subprocess_specs)
    return sorted(
        {
            t.task_spec.bpmn_id
            for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if getattr(t.task_spec, "bpmn_id", None) and t.task_spec.name not in containers
        }
    )


def dump_final(workflow: BpmnWorkflow) -> bytes:
    """The compact record of a finished workflow: final variables and every task's end state."""
    return encode_final({"data": workflow.data, "tasks": [list(pair) for pair in task_states(workflow)]})


# In a final record the tasks are packed as two strings, the names joined by commas and one letter
# per state, which compresses to about half of a list of pairs; `load_final` unpacks them.
_STATE_CODES = {
    "MAYBE": "M",
    "LIKELY": "L",
    "FUTURE": "F",
    "WAITING": "W",
    "READY": "R",
    "STARTED": "S",
    "COMPLETED": "C",
    "ERROR": "E",
    "CANCELLED": "X",
}
_STATE_NAMES = {code: name for name, code in _STATE_CODES.items()}


# Final records are small (a few KB of JSON), where a preset dictionary of the words they repeat
# (the shipped diagram's element ids, the forms' field names and values) halves what deflate makes.
# A dictionary can never change once records use it: a new one gets a new file and a new marker.
_FINAL_MARKER = b"\x01"  # raw deflate with final_record_1.zdict; a zlib stream starts with 0x78
_FINAL_DICTIONARY = (Path(__file__).parent / "data" / "final_record_1.zdict").read_bytes()


def encode_final(record: Mapping[str, Any]) -> bytes:
    """A final record as stored: compact JSON with its tasks packed, deflated with the preset dictionary."""
    stored = dict(record)
    tasks = stored.pop("tasks", None)
    if tasks is not None and not any("," in name for name, _ in tasks):
        stored["names"] = ",".join(name for name, _ in tasks)
        stored["states"] = "".join(_STATE_CODES[state] for _, state in tasks)
    elif tasks is not None:
        stored["tasks"] = tasks
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=_FINAL_DICTIONARY)
    text = json.dumps(stored, separators=(",", ":"), ensure_ascii=False).encode()
    return _FINAL_MARKER + packer.compress(text) + packer.flush()


def load_final(state: bytes) -> dict[str, Any]:
    """Read a record written by `dump_final`: {"data": ..., "tasks": [[name, state], ...]}."""
    if state[:1] == _FINAL_MARKER:
        unpacker = zlib.decompressobj(-15, zdict=_FINAL_DICTIONARY)
        text = unpacker.decompress(state[1:]) + unpacker.flush()
    else:  # written before the dictionary: plain zlib
        text = zlib.decompress(state)
    record: dict[str, Any] = json.loads(text)
    if "names" in record:
        names = record.pop("names").split(",") if record["names"] else []
        states = record.pop("states")
        record["tasks"] = [[name, _STATE_NAMES[code]] for name, code in zip(names, states, strict=True)]
    return record


def start_workflow(specs: ProcessSpecs, data: Mapping[str, Any]) -> BpmnWorkflow:
    """Create a workflow whose start event carries `data`, and run it to its first wait."""
    workflow = BpmnWorkflow(specs.spec, specs.subprocess_specs, script_engine=SCRIPT_ENGINE)
    first = workflow.get_next_task(state=TaskState.READY)
    first.data.update(copy.deepcopy(dict(data)))
    run_engine(workflow)
    return workflow


def every_task(workflow: BpmnWorkflow) -> Iterator[Task]:
    """Every task of the workflow and of its subprocesses, in no particular order.

    A plain pass over the task dictionaries: several times cheaper than walking the task tree
    (`get_tasks`), for the questions whose answer is a set.
    """
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def ready_user_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """The tasks that wait for a person, in the workflow's own order."""
    return list(workflow.get_tasks(state=TaskState.READY, manual=True))


def complete_user_task(workflow: BpmnWorkflow, task_id: UUID, data: Mapping[str, Any]) -> Task:
    """Put `data` into a ready user task, complete it and run to the next wait."""
    task = workflow.get_task_from_id(task_id)
    if task is None or not task.task_spec.manual or task.state != TaskState.READY:
        raise TaskNotReady("Tugas ini tidak siap dikerjakan.")
    task.data.update(copy.deepcopy(dict(data)))
    _guarded(task.run)
    run_engine(workflow)
    return task


def send_signal(workflow: BpmnWorkflow, name: str, payload: Mapping[str, Any]) -> None:
    """Deliver a named signal (for example, a withdrawal) and run to the next wait."""
    event = BpmnEvent(SignalEventDefinition(name), copy.deepcopy(dict(payload)))
    try:
        workflow.send_event(event)
    except SpiffWorkflowException:
        raise Conflict("Kasus ini tidak sedang menunggu peristiwa tersebut.") from None
    run_engine(workflow)


def cancel(workflow: BpmnWorkflow) -> None:
    """End the workflow where it stands: every task not yet finished is cancelled."""
    workflow.cancel()


def run_engine(workflow: BpmnWorkflow) -> None:
    """Run every automatic step (gateways, scripts) until people or timers are needed.

    Unlike `do_engine_steps`, this does not look at timers afterwards: a timer fires only when the
    scheduler fires it (`fire_timers`), as its own step with its own event.
    """
    _guarded(lambda: _run_automatic(workflow))


def _run_automatic(workflow: BpmnWorkflow) -> None:
    while workflow._do_engine_steps():
        pass


def fire_timers(workflow: BpmnWorkflow) -> None:
    """Fire the timers due at the step's moment and run what follows them."""

    def fire() -> None:
        workflow.refresh_timers()
        _run_automatic(workflow)

    _guarded(fire)


def pending_timers(workflow: BpmnWorkflow) -> dict[UUID, tuple[str, datetime]]:
    """Timer events the workflow waits on: task id -> (element, due moment, UTC)."""
    found: dict[UUID, tuple[str, datetime]] = {}
    for task in every_task(workflow):
        if not task.state & (TaskState.WAITING | TaskState.READY):
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        due = _timer_due(task._get_internal_data("event_value"))
        if due is not None:
            found[task.id] = (task.task_spec.name, due)
    return found


def move_timer(workflow: BpmnWorkflow, task_id: UUID, due: datetime) -> None:
    """Make a pending timer fire at `due` instead (a suspended case's timers move out by the suspension)."""
    task = workflow.get_task_from_id(task_id)
    value = task._get_internal_data("event_value") if task is not None else None
    if task is None or value is None:
        raise Conflict("Timer ini tidak sedang ditunggu.")
    moment = due.astimezone(UTC).isoformat()
    task._set_internal_data(event_value={**value, "next": moment} if isinstance(value, dict) else moment)


def _timer_due(value: Any) -> datetime | None:
    if isinstance(value, dict):  # a cycle: the next firing
        return datetime.fromisoformat(value["next"]).astimezone(UTC)
    if isinstance(value, str):
        parsed = TimerEventDefinition.parse_time_or_duration(value)
        return parsed.astimezone(UTC) if isinstance(parsed, datetime) else None
    return None


def _guarded(step: Any) -> None:
    try:
        step()
    except (SpiffWorkflowException, sandbox.SandboxViolation) as exc:
        raise ProcessFailed(_describe_failure(exc)) from exc


def _describe_failure(exc: Exception) -> str:
    task = getattr(exc, "task", None)
    where = f" pada {task.task_spec.bpmn_name or task.task_spec.name}" if task is not None else ""
    # SpiffWorkflow wraps a script's error in a WorkflowTaskException raised while handling it.
    inner = exc.__context__
    scripted = isinstance(inner, script_worker.ScriptError | sandbox.SandboxViolation)
    cause = inner if scripted and inner is not None else getattr(exc, "exception", None) or exc
    if isinstance(cause, script_worker.ScriptLimitExceeded):
        return f"Langkah otomatis{where} dihentikan: {cause}"
    kind = cause.kind if isinstance(cause, script_worker.ScriptError) else type(cause).__name__
    return f"Langkah otomatis{where} gagal: {kind}: {cause}"


def finished_outcome(workflow: BpmnWorkflow, outcomes: Mapping[str, str]) -> str | None:
    """The outcome named by the completed end event that has one (None while running)."""
    if not workflow.completed:
        return None
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        if task.task_spec.name in outcomes:
            return outcomes[task.task_spec.name]
    return None


def current_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The process variables as the next person (or the finished case) sees them."""
    ready = ready_user_tasks(workflow)
    if ready:
        return dict(ready[0].data)
    if workflow.completed:
        return dict(workflow.data)
    last = workflow.last_task
    return dict(last.data) if last is not None else {}
