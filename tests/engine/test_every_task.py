"""The cheap pass over a workflow's tasks answers what the tree walk answered, at every step of a case."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.bpmn.validate import compile_definition
from engine.calendar import WorkingCalendar
from engine.casework.record import snapshot
from engine.services.cases import DEFAULT_PROCESS
from engine.services.deploy import LANES_SUFFIX, forms_from_directory, read_lane_roles
from engine.settings import Settings
from tests.builders import ACCEPTED_TO_END, TO_DECISION, Step, application


def _tree_snapshot(
    workflow: BpmnWorkflow,
) -> tuple[frozenset[UUID], frozenset[UUID]]:
    """What snapshot() computed by walking the tree, before every_task."""
    ready = frozenset(t.id for t in runtime.ready_user_tasks(workflow))
    completed = frozenset(t.id for t in workflow.get_tasks(state=TaskState.COMPLETED))
    return ready, completed


def test_every_task_and_snapshot_agree_with_the_tree_at_every_step() -> None:
    settings = Settings()
    bpmn = settings.processes_dir / f"{DEFAULT_PROCESS}.bpmn"
    lanes = read_lane_roles(settings.processes_dir / f"{DEFAULT_PROCESS}{LANES_SUFFIX}")
    compiled = compile_definition(bpmn.read_bytes(), str(bpmn), forms_from_directory(settings.forms_dir), lanes)
    with runtime.at(datetime.now(UTC), WorkingCalendar):
        workflow = runtime.start_workflow(compiled.specs, application())
        for element in [*TO_DECISION, *ACCEPTED_TO_END]:
            assert {t.id for t in runtime.every_task(workflow)} == {t.id for t in workflow.get_tasks()}
            before = snapshot(workflow)
            assert (before.ready, before.completed) == _tree_snapshot(workflow)
            task = next(t for t in runtime.ready_user_tasks(workflow) if t.task_spec.name == element)
            runtime.complete_user_task(workflow, task.id, Step(element).payload())
    assert workflow.completed
