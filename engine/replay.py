"""Deterministic replay: re-run a case in a fresh in-memory workflow from its recorded events.

The events hold everything a case's workflow ever received: the request that started it, every
form exactly as submitted, every signal (withdrawal, safety stop) and every timer firing with its
clock time. Replay applies them in order to a new workflow of the version the case started on
(a `case_migrated` event moves it onto the next version with the same utility the migration
used) and checks, step by step, that the tasks the recording says became ready are the ones that become
ready now, that each recorded completion hits a ready task of the same element, and at the end
that the state equals the stored one. Nothing here touches a database.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.bpmn.specs import ProcessSpecs
from engine.calendar import WorkingCalendar
from engine.errors import MediasiError
from engine.status import CaseOutcome, CaseStatus
from engine.version_migration import MigrationRefused, migrate_workflow

WITHDRAW_SIGNAL = "pencabutan_persetujuan"
SAFETY_STOP_SIGNAL = "penghentian_keselamatan"
# Events that deliver a signal to the workflow, and the signal they deliver.
SIGNAL_EVENTS = {"case_withdrawn": WITHDRAW_SIGNAL, "case_stopped": SAFETY_STOP_SIGNAL}
# Events that end the workflow where it stands, and the outcome they give the case (engine.status).
CANCEL_EVENTS: dict[str, str | None] = {"case_cancelled": None, "case_closed_as_duplicate": CaseOutcome.DUPLICATE}
# Events that move the workflow: each is one step of a replay (and of the auditor's slider).
STEP_EVENTS = frozenset(
    {"case_started", "task_completed", "timer_fired", "case_migrated", *SIGNAL_EVENTS, *CANCEL_EVENTS}
)
# A suspended case's resumption moves its pending timers out (engine.services.suspension); replay moves
# them alike, as recorded, without counting a step: no task opens or ends and no data changes.
RESUMED = "case_resumed"


# A version's specs and outcomes by definition id (None: no such version).
SpecsFor = Callable[[int], tuple[ProcessSpecs, Mapping[str, str]] | None]


def signal_payload(signal: str, reason: str, actor: str) -> dict[str, str]:
    """What a withdrawal or safety stop hands the workflow (the same live and in replay)."""
    return {"jenis": signal, "alasan": reason, "oleh": actor}


@dataclass(frozen=True)
class RecordedEvent:
    """One event of a case's chain, as replay reads it."""

    seq: int
    type: str
    actor: str
    at: datetime
    task_id: uuid.UUID | None
    element: str | None
    payload: Any


@dataclass(frozen=True)
class RecordedTask:
    """One case_task row: the step that opened it and how it ended."""

    id: uuid.UUID
    element: str
    opened_seq: int | None
    state: str


@dataclass(frozen=True)
class Stored:
    """What the case holds now: its outcome, and either its final record or its running workflow."""

    status: str
    outcome: str | None
    final: Mapping[str, Any] | None = None  # {"data", "tasks"} of a finished case
    workflow: BpmnWorkflow | None = None  # the saved workflow of a running case


@dataclass
class Step:
    """The case as it was right after one step."""

    n: int
    seq: int
    type: str
    actor: str
    at: datetime
    element: str | None
    submitted: Any
    opened: list[str]
    ready: list[str]
    completed: list[str]
    data: dict[str, Any]
    changes: list[dict[str, Any]] = field(default_factory=list)
    definition_id: int | None = None  # the version the case ran on after this step

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "seq": self.seq,
            "type": self.type,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "element": self.element,
            "submitted": self.submitted,
            "opened": self.opened,
            "ready": self.ready,
            "completed": self.completed,
            "data": self.data,
            "changes": self.changes,
            "definition_id": self.definition_id,
        }


@dataclass(frozen=True)
class Divergence:
    """Where the replay and the record part ways."""

    step: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"langkah {self.step} (peristiwa {self.seq}): {self.reason}"


@dataclass
class Replay:
    """The outcome of a replay: every step it made, and the first divergence if any."""

    steps: list[Step]
    divergence: Divergence | None
    total_steps: int
    final_checked: bool

    @property
    def ok(self) -> bool:
        return self.divergence is None

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ok": self.ok,
            "total_steps": self.total_steps,
            "final_checked": self.final_checked,
            "steps": [s.as_json() for s in self.steps],
        }
        if self.divergence is not None:
            d = self.divergence
            result["divergence"] = {"step": d.step, "seq": d.seq, "reason": d.reason}
        return result


class _Diverged(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def replay(
    specs: ProcessSpecs,
    events: Sequence[RecordedEvent],
    tasks: Iterable[RecordedTask],
    stored: Stored,
    *,
    outcomes: Mapping[str, str],
    to_step: int | None = None,
    definition_id: int | None = None,
    specs_for: SpecsFor | None = None,
    calendar: Callable[[datetime], WorkingCalendar] | None = None,
) -> Replay:
    """Re-run `events` on a fresh workflow of `specs` and compare each step with the record.

    `specs` is the version the case started on (`definition_id`); at each `case_migrated` event
    the workflow moves to the version `specs_for` gives for the event's target. `to_step` stops
    after that many steps (and skips the final comparison). Each step runs as of its event's
    moment, with `calendar(moment)`, the office calendar as it stood then, for working-day timer
    expressions, so timers come out as recorded.
    """
    session = _Session(specs, list(tasks), outcomes, definition_id, specs_for, calendar)
    moving = [e for e in events if e.type in STEP_EVENTS]
    limit = len(moving) if to_step is None else max(0, min(to_step, len(moving)))
    steps: list[Step] = []
    index, event = 0, None
    try:
        for event in events:
            if event.type == "case_completed":
                session.check_completed(event)
                continue
            if event.type == RESUMED:
                session.move_timers(event)
                continue
            if event.type not in STEP_EVENTS:
                continue  # claims, releases, uploads, notes, suspensions: they do not move the workflow
            if index == limit:
                break
            index += 1
            steps.append(session.apply(index, event, steps[-1] if steps else None))
        if to_step is None:
            session.check_final(stored, len(steps), events[-1].seq if events else 0)
    except _Diverged as exc:
        seq = event.seq if event is not None else 0
        return Replay(steps, Divergence(index, seq, exc.reason), len(moving), final_checked=False)
    return Replay(steps, None, len(moving), final_checked=to_step is None)


class _Session:
    """The replay's moving parts: the workflow and the mapping of recorded to replayed task ids."""

    def __init__(
        self,
        specs: ProcessSpecs,
        tasks: list[RecordedTask],
        outcomes: Mapping[str, str],
        definition_id: int | None = None,
        specs_for: SpecsFor | None = None,
        calendar: Callable[[datetime], WorkingCalendar] | None = None,
    ) -> None:
        self.calendar = calendar
        self.specs = specs
        self.outcomes = outcomes
        self.definition_id = definition_id
        self.specs_for = specs_for
        self.workflow: BpmnWorkflow | None = None
        self.ids: dict[uuid.UUID, uuid.UUID] = {}  # recorded task id -> replayed task id
        self.opened_by: dict[int | None, list[RecordedTask]] = {}
        for task in tasks:
            self.opened_by.setdefault(task.opened_seq, []).append(task)
        self.ready_before: set[uuid.UUID] = set()
        self.closing_outcome: str | None = None  # the outcome a cancelling event gave (no end event names it)
        self.timers_seen: set[uuid.UUID] = set()  # fired timer tasks already matched to an event

    def apply(self, n: int, event: RecordedEvent, previous: Step | None) -> Step:
        calendar = self.calendar
        with runtime.at(event.at, (lambda: calendar(event.at)) if calendar is not None else None):
            return self._apply(n, event, previous)

    def _apply(self, n: int, event: RecordedEvent, previous: Step | None) -> Step:
        if event.type == "case_started":
            if self.workflow is not None:
                raise _Diverged("kasus dimulai dua kali")
            self.workflow = _run(lambda: runtime.start_workflow(self.specs, _data_of_start(event.payload)))
        else:
            workflow = self._require_workflow()
            if event.type == "task_completed":
                self._complete(workflow, event)
            elif event.type in SIGNAL_EVENTS:
                reason = (event.payload or {}).get("reason", "")
                payload = signal_payload(SIGNAL_EVENTS[event.type], reason, event.actor)
                _run(lambda: runtime.send_signal(workflow, SIGNAL_EVENTS[event.type], payload))
            elif event.type in CANCEL_EVENTS:
                runtime.cancel(workflow)
                self.closing_outcome = CANCEL_EVENTS[event.type]
            elif event.type == "case_migrated":
                self._migrate(workflow, event)
            elif event.type == "timer_fired":
                self._fire(workflow, event)
            else:
                raise _Diverged(f"peristiwa {event.type} belum dapat diputar ulang")
        return self._step(n, event, previous)

    def _require_workflow(self) -> BpmnWorkflow:
        if self.workflow is None:
            raise _Diverged("peristiwa sebelum kasus dimulai")
        return self.workflow

    def _migrate(self, workflow: BpmnWorkflow, event: RecordedEvent) -> None:
        source, target = migration_ends(event.payload)
        if target is None:
            raise _Diverged("versi tujuan migrasi tidak tercatat (muatan dihapus?)")
        if self.definition_id is not None and source != self.definition_id:
            raise _Diverged(
                f"migrasi tercatat dari definisi {source}, diputar ulang pada definisi {self.definition_id}"
            )
        found = self.specs_for(target) if self.specs_for is not None else None
        if found is None:
            raise _Diverged(f"versi tujuan migrasi (definisi {target}) tidak tersedia")
        version = (event.payload or {}).get("to", {}).get("version", target)
        try:
            migrate_workflow(workflow, found[0], version=version)
        except MigrationRefused as exc:
            raise _Diverged(f"migrasi gagal saat diputar ulang: {exc.message}") from exc
        self.specs, self.outcomes, self.definition_id = found[0], found[1], target

    def _fire(self, workflow: BpmnWorkflow, event: RecordedEvent) -> None:
        """Fire the timers due at the event's moment; the recorded one must be among them.

        A step that fired several timers recorded one event each: the first event fires them all,
        the others find theirs already fired.
        """
        due = [t for t in runtime.pending_timers(workflow).values() if t[0] == event.element and t[1] <= event.at]
        if due:
            _run(lambda: runtime.fire_timers(workflow))
        fired = any(
            t.task_spec.name == event.element and t.state == TaskState.COMPLETED and t.id not in self.timers_seen
            for t in workflow.get_tasks(state=TaskState.COMPLETED)
        )
        if not fired:
            raise _Diverged(f"timer {event.element} yang tercatat berjalan tidak jatuh tempo saat diputar ulang")
        self.timers_seen |= {
            t.id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.name == event.element
        }

    def move_timers(self, event: RecordedEvent) -> None:
        """Move the pending timers as the recorded resumption moved them; they must be the same timers."""
        workflow = self._require_workflow()
        recorded = sorted(_timer_moves(event.payload))
        waiting = runtime.pending_timers(workflow).items()
        pending = sorted((element, due, task_id) for task_id, (element, due) in waiting)
        if [(e, d) for e, d, _ in recorded] != [(e, d) for e, d, _ in pending]:
            raise _Diverged(
                f"timer yang menunggu berbeda saat kasus dilanjutkan: tercatat {_timer_names(recorded) or '-'}, "
                f"diputar ulang {_timer_names(pending) or '-'}"
            )
        for (_, _, due), (_, _, task_id) in zip(recorded, pending, strict=True):
            runtime.move_timer(workflow, task_id, due)

    def _complete(self, workflow: BpmnWorkflow, event: RecordedEvent) -> None:
        replayed = self.ids.get(event.task_id) if event.task_id else None
        task = workflow.get_task_from_id(replayed) if replayed else None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise _Diverged(f"tugas {event.element} yang tercatat selesai tidak siap saat diputar ulang")
        if task.task_spec.name != event.element:
            raise _Diverged(f"tugas tercatat {event.element}, diputar ulang {task.task_spec.name}")
        submitted = event.payload if isinstance(event.payload, dict) else {}
        _run(lambda: runtime.complete_user_task(workflow, task.id, submitted))

    def _step(self, n: int, event: RecordedEvent, previous: Step | None) -> Step:
        workflow = self._require_workflow()
        ready = runtime.ready_user_tasks(workflow)
        opened = [t for t in ready if t.id not in self.ready_before]
        self._match_opened(event, opened)
        self.ready_before = {t.id for t in ready}
        data = _plain(runtime.current_data(workflow))
        return Step(
            n=n,
            seq=event.seq,
            type=event.type,
            actor=event.actor,
            at=event.at,
            element=event.element,
            submitted=event.payload,
            opened=sorted(t.task_spec.name for t in opened),
            ready=sorted({t.task_spec.name for t in ready}),
            completed=runtime.completed_elements(workflow),
            data=data,
            changes=diff(previous.data if previous else {}, data),
            definition_id=self.definition_id,
        )

    def _match_opened(self, event: RecordedEvent, opened: list[Any]) -> None:
        """The tasks this step opened are the ones recorded as opened by this event."""
        recorded = self.opened_by.get(event.seq, [])
        now, then = Counter(t.task_spec.name for t in opened), Counter(t.element for t in recorded)
        if now != then:
            raise _Diverged(
                f"tugas yang menjadi siap berbeda: tercatat {_names(then) or 'tidak ada'}, "
                f"diputar ulang {_names(now) or 'tidak ada'}"
            )
        pending: dict[str, list[uuid.UUID]] = {}
        for task in opened:
            pending.setdefault(task.task_spec.name, []).append(task.id)
        for row in recorded:
            self.ids[row.id] = pending[row.element].pop(0)

    def check_completed(self, event: RecordedEvent) -> None:
        workflow = self._require_workflow()
        if not workflow.completed:
            raise _Diverged("tercatat selesai, tetapi alur yang diputar ulang belum selesai")
        outcome = runtime.finished_outcome(workflow, self.outcomes)
        recorded = (event.payload or {}).get("outcome")
        if outcome != recorded:
            raise _Diverged(f"hasil tercatat {recorded}, diputar ulang {outcome}")

    def check_final(self, stored: Stored, steps: int, seq: int) -> None:
        workflow = self._require_workflow()
        if stored.status == CaseStatus.OPEN:
            if stored.workflow is None:
                raise _Diverged("keadaan alur yang tersimpan tidak ada")
            if workflow.completed:
                raise _Diverged("alur yang diputar ulang selesai, tetapi kasus tercatat masih berjalan")
            _same("keadaan tugas", runtime.task_states(stored.workflow), runtime.task_states(workflow))
            _same("data proses", _plain(stored.workflow.data), _plain(workflow.data))
            _same("data tugas yang siap", _ready_data(stored.workflow), _ready_data(workflow))
            return
        if stored.final is None:
            raise _Diverged("rekaman akhir kasus tidak ada")
        if not workflow.completed:
            raise _Diverged("kasus tercatat selesai, tetapi alur yang diputar ulang belum selesai")
        replayed = {"data": _plain(workflow.data), "tasks": [list(p) for p in runtime.task_states(workflow)]}
        _same("data akhir", _plain(stored.final["data"]), replayed["data"])
        _same("keadaan akhir tugas", [list(p) for p in stored.final["tasks"]], replayed["tasks"])
        outcome = self.closing_outcome or runtime.finished_outcome(workflow, self.outcomes)
        if outcome != stored.outcome:
            raise _Diverged(f"hasil tersimpan {stored.outcome}, diputar ulang {outcome}")


def migration_ends(payload: Any) -> tuple[int | None, int | None]:
    """The definition ids a `case_migrated` payload moves a case from and to (None: not recorded)."""

    def end(name: str) -> int | None:
        value = payload.get(name) if isinstance(payload, dict) else None
        found = value.get("id") if isinstance(value, dict) else None
        return found if isinstance(found, int) and not isinstance(found, bool) else None

    return end("from"), end("to")


def _timer_moves(payload: Any) -> list[tuple[str, datetime, datetime]]:
    """(element, due before, due after) of each timer a `case_resumed` payload moved."""
    moves = payload.get("timers") if isinstance(payload, dict) else None
    if not isinstance(moves, list):
        raise _Diverged("timer yang dipindah saat kasus dilanjutkan tidak tercatat (muatan dihapus?)")
    try:
        return [(m["element"], datetime.fromisoformat(m["from"]), datetime.fromisoformat(m["to"])) for m in moves]
    except (KeyError, TypeError, ValueError) as exc:
        raise _Diverged(f"catatan timer yang dipindah tidak terbaca: {exc}") from exc


def _timer_names(timers: Sequence[tuple[str, datetime, Any]]) -> str:
    return ", ".join(f"{element} {due.isoformat()}" for element, due, _ in timers)


def _run(step: Callable[[], Any]) -> Any:
    try:
        return step()
    except MediasiError as exc:
        raise _Diverged(f"alur gagal saat diputar ulang: {exc}") from exc


def _data_of_start(payload: Any) -> dict[str, Any]:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        raise _Diverged("data permohonan tidak tercatat (muatan dihapus?)")
    return data


def _ready_data(workflow: BpmnWorkflow) -> list[tuple[str, Any]]:
    return [(t.task_spec.name, _plain(t.data)) for t in runtime.ready_user_tasks(workflow)]


def _same(what: str, stored: Any, replayed: Any) -> None:
    if stored != replayed:
        raise _Diverged(f"{what} berbeda dari yang tersimpan: {_first_difference(stored, replayed)}")


def _first_difference(stored: Any, replayed: Any) -> str:
    changes = diff(stored, replayed) if isinstance(stored, dict) and isinstance(replayed, dict) else []
    if changes:
        c = changes[0]
        return f"{c['path']}: tersimpan {c.get('before')!r}, diputar ulang {c.get('after')!r}"
    if isinstance(stored, list) and isinstance(replayed, list):
        for i, (a, b) in enumerate(zip(stored, replayed, strict=False)):
            if a != b:
                return f"#{i}: tersimpan {a!r}, diputar ulang {b!r}"
        return f"panjang tersimpan {len(stored)}, diputar ulang {len(replayed)}"
    return "isi berbeda"


def _names(counts: Counter[str]) -> str:
    return ", ".join(sorted(counts.elements()))


def _plain(data: Any) -> Any:
    """JSON-normalised data (what is stored is JSON; what is in memory may hold tuples)."""
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def diff(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Fields added, removed or changed between two data snapshots, by dotted path."""
    changes: list[dict[str, Any]] = []
    for key in sorted(set(before) | set(after)):
        path = f"{prefix}{key}"
        old, new = before.get(key, _MISSING), after.get(key, _MISSING)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            changes += diff(old, new, f"{path}.")
        elif old is _MISSING:
            changes.append({"path": path, "change": "added", "after": new})
        elif new is _MISSING:
            changes.append({"path": path, "change": "removed", "before": old})
        else:
            changes.append({"path": path, "change": "changed", "before": old, "after": new})
    return changes


_MISSING: Any = object()
