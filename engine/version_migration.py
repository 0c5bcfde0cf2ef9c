"""Moving a running workflow onto another version of its process, in memory.

SpiffWorkflow aligns the tasks of the workflow with the new version's specs by element id
(`diff_workflow`) and moves them over (`migrate_workflow`), resetting the tasks that wait (READY,
WAITING) so they are predicted again from the new diagram; their ids are kept. A workflow follows
only when nothing it has done or waits on is lost:

- every subprocess it entered still exists;
- no task it waits on (READY, WAITING, STARTED) or has passed (COMPLETED, CANCELLED, ERROR) belongs
  to an element the new version removed, or, while it waits there, changed into another type;
- afterwards every task points into the new version, the engine runs to its next wait, and the
  result saves and loads again.

Unlike SpiffWorkflow's example engine, a task the case has passed may have changed (a new name,
a new condition on a gateway already passed, a new outgoing flow): what is done stays done, and
the case goes on along the new diagram from where it waits.

The live migration (engine.services.migration) and replay call the same function, so a replay
re-does exactly what the migration did. Nothing here touches a database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow
from SpiffWorkflow.bpmn.util.diff import migrate_workflow as spiff_migrate
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.bpmn.specs import ProcessSpecs
from engine.errors import Conflict, MediasiError

T = TypeVar("T")
WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED
PASSED = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR
# The registry SpiffWorkflow compares specs with (their serialized attributes).
_REGISTRY = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)


class MigrationRefused(Conflict):
    """The workflow cannot follow the new version; the message says why, in words for people."""


def migrate_workflow(workflow: BpmnWorkflow, specs: ProcessSpecs, *, version: int) -> None:
    """Move `workflow` in place onto `specs` (its process's version `version`), then run to the next wait.

    :raises MigrationRefused: why it cannot; `workflow` is then half-moved and must be discarded.
    """
    top, subprocesses = _spiff(
        lambda: diff_workflow(_REGISTRY, workflow, specs.spec, specs.subprocess_specs), "dibandingkan dengan", version
    )
    _check_subprocesses(workflow, subprocesses, version)
    diffs = [top, *(d for d in subprocesses.values() if d is not None)]
    _check_removed([t for d in diffs for t in d.removed], version)
    _check_retyped([t for d in diffs for t in d.changed], diffs, version)

    def move() -> None:
        spiff_migrate(top, workflow, specs.spec)
        for sp_id, subprocess in workflow.subprocesses.items():
            spiff_migrate(subprocesses[sp_id], subprocess, specs.subprocess_specs[subprocess.spec.name])
        workflow.subprocess_specs = specs.subprocess_specs

    _spiff(move, "dipindahkan ke", version)
    _check_aligned(workflow, version)
    try:
        runtime.run_engine(workflow)
        runtime.load_state(specs, runtime.dump_state(workflow))
    except MediasiError as exc:
        raise MigrationRefused(f"alur kasus tidak dapat berjalan pada versi {version}: {exc.message}") from exc
    except Exception as exc:  # whatever SpiffWorkflow raises, the case stays where it is
        raise MigrationRefused(
            f"keadaan alur tidak dapat disimpan pada versi {version} ({type(exc).__name__})"
        ) from exc


def _spiff(step: Callable[[], T], what: str, version: int) -> T:
    """Run a SpiffWorkflow utility; whatever it raises refuses the migration and leaves the case as it is."""
    try:
        return step()
    except Exception as exc:  # SpiffWorkflow's own errors, or a KeyError from a spec it cannot find
        raise MigrationRefused(f"alur kasus tidak dapat {what} versi {version} ({type(exc).__name__})") from exc


def label(task: Any) -> str:
    """An element as a process owner knows it: its name and its id."""
    spec = task.task_spec
    element = getattr(spec, "bpmn_id", None) or spec.name
    name = getattr(spec, "bpmn_name", None)
    return f"{name!r} ({element})" if name else str(element)


def _check_subprocesses(workflow: BpmnWorkflow, diffs: dict[Any, WorkflowDiff | None], version: int) -> None:
    for sp_id, diff in diffs.items():
        if diff is None:
            task = workflow.get_task_from_id(sp_id)
            what = label(task) if task is not None else str(workflow.subprocesses[sp_id].spec.name)
            raise MigrationRefused(f"subproses {what} yang sudah dimasuki kasus tidak ada di versi {version}")


def _check_removed(removed: list[Any], version: int) -> None:
    for task in removed:
        if task.state & WAITING:
            raise MigrationRefused(f"kasus menunggu pada {label(task)}, yang tidak ada di versi {version}")
    for task in removed:
        if task.state & PASSED:
            raise MigrationRefused(
                f"kasus sudah melewati {label(task)}, yang tidak ada di versi {version}; riwayatnya tidak dapat "
                "dipetakan"
            )


def _check_retyped(changed: list[Any], diffs: list[WorkflowDiff], version: int) -> None:
    for task in changed:
        if not task.state & WAITING:
            continue
        new_spec = next((d.alignment[task] for d in diffs if task in d.alignment), None)
        if new_spec is not None and type(new_spec) is not type(task.task_spec):
            raise MigrationRefused(f"kasus menunggu pada {label(task)}, yang jenisnya berubah di versi {version}")


def _check_aligned(workflow: BpmnWorkflow, version: int) -> None:
    for task in workflow.get_tasks():
        spec = task.task_spec
        if task.workflow.spec.task_specs.get(spec.name) is not spec:
            raise MigrationRefused(f"alur kasus tidak dapat diselaraskan dengan versi {version} pada {label(task)}")
