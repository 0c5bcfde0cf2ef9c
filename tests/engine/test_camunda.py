"""A diagram made in Camunda Modeler 5 deploys and runs: formKey, candidateGroups and assignee."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import DeploymentInvalid, NotFound, NotInLane, PermissionDenied
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import tasks as task_service
from tests.builders import FORMS, application, screening
from tests.conftest import OPERATOR

CAMUNDA = Path(__file__).resolve().parent.parent / "data" / "camunda5_pemeriksaan.bpmn"
LANES = {"Pemohon": ["applicant"], "Ketua LP-PAR": ["ketua_lppar"]}
People = dict[str, Actor]


def deploy(ctx: EngineContext, xml: bytes, lanes: dict[str, list[str]] = LANES) -> deploy_service.Deployment:
    return deploy_service.deploy(ctx, actor=OPERATOR, xml=xml, filename="pemeriksaan.bpmn", lane_roles=lanes)


def ready(view: object, element: str) -> object:
    return next(t for t in view.tasks if t.element == element)  # type: ignore[attr-defined]


def test_a_camunda_modeler_5_file_deploys_and_runs(ctx: EngineContext, people: People) -> None:
    deployment = deploy(ctx, CAMUNDA.read_bytes())
    assert (deployment.key, deployment.version) == ("pemeriksaan_permohonan", 1)
    case = case_service.start_case(ctx, actor=people["ani"], data=application(), process_key="pemeriksaan_permohonan")
    check = ready(case, "Activity_periksa")
    view = task_service.complete_task(
        ctx,
        actor=people["rina"],
        task_id=check.id,
        data=FORMS["Task_periksa_kelengkapan"],  # type: ignore[attr-defined]
    )

    # camunda:assignee="rina": the review starts claimed by rina; rudi, also a Ketua, cannot take it.
    review = ready(view, "Activity_telaah")
    detail = task_service.get_task(ctx, actor=people["rina"], task_id=review.id)  # type: ignore[attr-defined]
    assert detail.task.claimed_by == "rina"
    with pytest.raises((PermissionDenied, NotInLane)):
        task_service.complete_task(ctx, actor=people["rudi"], task_id=review.id, data=screening())  # type: ignore[attr-defined]
    done = task_service.complete_task(ctx, actor=people["rina"], task_id=review.id, data=screening())  # type: ignore[attr-defined]
    assert (done.status, done.outcome) == ("completed", "reviewed")


def test_candidate_groups_narrow_the_lane(ctx: EngineContext, people: People) -> None:
    """The lane is also worked by the secretary, but candidateGroups keeps the check for the Ketua."""
    deploy(ctx, CAMUNDA.read_bytes(), {**LANES, "Ketua LP-PAR": ["ketua_lppar", "sekretaris"]})
    case = case_service.start_case(ctx, actor=people["ani"], data=application(), process_key="pemeriksaan_permohonan")
    with pytest.raises((PermissionDenied, NotInLane, NotFound)):
        task_service.complete_task(
            ctx,
            actor=people["sari"],
            task_id=ready(case, "Activity_periksa").id,  # type: ignore[attr-defined]
            data=FORMS["Task_periksa_kelengkapan"],
        )


def test_an_assignee_without_the_lane_role_leaves_the_task_open(ctx: EngineContext, people: People) -> None:
    deploy(ctx, CAMUNDA.read_bytes().replace(b'camunda:assignee="rina"', b'camunda:assignee="tono"'))
    case = case_service.start_case(ctx, actor=people["ani"], data=application(), process_key="pemeriksaan_permohonan")
    view = task_service.complete_task(
        ctx,
        actor=people["rina"],
        task_id=ready(case, "Activity_periksa").id,  # type: ignore[attr-defined]
        data=FORMS["Task_periksa_kelengkapan"],
    )
    review = task_service.get_task(ctx, actor=people["rudi"], task_id=ready(view, "Activity_telaah").id)  # type: ignore[attr-defined]
    assert review.task.claimed_by is None


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        (b'camunda:assignee="rina"', b'camunda:assignee="${initiator}"', "JUEL"),
        (b"berkas_lengkap == True</bpmn:conditionExpression>", b"${berkas_lengkap}</bpmn:conditionExpression>", "JUEL"),
        (
            b'camunda:candidateGroups="ketua_lppar" camunda:assignee',
            b'camunda:candidateGroups="tim_teknis" camunda:assignee',
            "candidateGroups",
        ),
    ],
)
def test_camunda_only_expressions_are_refused_at_their_line(
    ctx: EngineContext, old: bytes, new: bytes, says: str
) -> None:
    xml = CAMUNDA.read_bytes()
    assert xml.count(old) == 1
    changed = xml.replace(old, new)
    line = changed[: changed.index(new)].count(b"\n") + 1
    with pytest.raises(DeploymentInvalid) as refused:
        deploy(ctx, changed)
    problems = refused.value.problems
    assert any(p.line == line and says in p.message for p in problems), [str(p) for p in problems]
