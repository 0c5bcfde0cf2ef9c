"""A new diagram whose lanes carry the standard names deploys without a lane map: the default map.

Precedence: a given map > the previous version's map > the default map for the standard names.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.bpmn.catalog import ENGINE_TASKS
from engine.context import EngineContext
from engine.errors import DeploymentInvalid
from engine.lanes import DEFAULT_LANE_ROLES, default_lane_roles
from engine.persistence.models import ProcessDefinition
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import packages
from engine.services import tasks as task_service
from engine.services import users as user_service
from engine.settings import PROJECT_ROOT
from tests.builders import application
from tests.conftest import OPERATOR, PEOPLE
from tests.engine.test_packages import package, shipped
from tests.snapshots import snapshot
from webapp import create_app

BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
COMPLAINTS = PROJECT_ROOT / "processes" / "pengaduan_layanan.bpmn"
DEFAULT = {
    "Pemohon": ["applicant"],
    "Ketua LP-PAR": ["ketua_lppar"],
    "Tim Teknis": ["tim_teknis", "sekretaris"],
    "Kepala Dinas": ["kepala_dinas"],
}


def line_of(path: Path, text: str) -> int:
    """The line of `path` where `text` first occurs."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def alone(tmp_path: Path, source: Path = BPMN, name: str | None = None) -> Path:
    """A copy of a shipped diagram in a folder of its own: no `.lanes.json` beside it."""
    path = tmp_path / (name or source.name)
    shutil.copy(source, path)
    return path


def stored_lanes(ctx: EngineContext, key: str = "mediasi_kekerasan") -> dict[int, dict[str, list[str]]]:
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key))
        return {row.version: dict(row.lane_roles) for row in rows}


def task_roles(ctx: EngineContext, definition_id: int) -> dict[str, set[tuple[str, ...]]]:
    """For each lane, who its diagram's tasks are open to ("applicant": the case's own applicant).

    A candidateGroups property may narrow a task's roles; the engine's own tasks are left out.
    """
    with ctx.unit_of_work(write=False) as uow:
        catalog = ctx.definitions.get(uow.session, definition_id).catalog
    by_lane: dict[str, set[tuple[str, ...]]] = {}
    for info in catalog.tasks.values():
        if info.element not in ENGINE_TASKS:
            who = ("applicant",) if info.for_applicant else ()
            by_lane.setdefault(info.lane, set()).add((*who, *info.roles))
    return by_lane


def test_the_default_map_is_the_shipped_lanes_json() -> None:
    shipped_map = json.loads((PROJECT_ROOT / "processes" / "mediasi_kekerasan.lanes.json").read_text())
    assert default_lane_roles() == shipped_map == DEFAULT
    assert set(DEFAULT_LANE_ROLES) == set(DEFAULT)


def test_a_new_file_with_standard_lanes_deploys_with_the_default_map(ctx: EngineContext, tmp_path: Path) -> None:
    done = deploy_service.deploy_file(ctx, alone(tmp_path), actor=OPERATOR)
    assert (done.key, done.version, done.created) == ("mediasi_kekerasan", 1, True)
    assert stored_lanes(ctx) == {1: DEFAULT}  # the version records the map it used
    roles = task_roles(ctx, done.definition_id)
    assert set(roles) == set(DEFAULT)
    assert roles["Pemohon"] == {("applicant",)}
    assert roles["Ketua LP-PAR"] == {("ketua_lppar",)}
    assert roles["Kepala Dinas"] == {("kepala_dinas",)}
    # Tim Teknis tasks are open to both roles, or narrowed by candidateGroups to the secretary.
    assert ("tim_teknis", "sekretaris") in roles["Tim Teknis"]
    assert roles["Tim Teknis"] <= {("tim_teknis", "sekretaris"), ("sekretaris",)}


def test_the_default_map_gives_the_same_version_as_the_shipped_map(ctx: EngineContext, tmp_path: Path) -> None:
    by_default = deploy_service.deploy_file(ctx, alone(tmp_path), actor=OPERATOR)
    with_map = deploy_service.deploy_file(ctx, BPMN, actor=OPERATOR)  # lanes.json beside it: identical content
    assert (with_map.version, with_map.created) == (by_default.version, False)


def test_a_case_on_the_default_map_reaches_the_right_people(ctx: EngineContext, tmp_path: Path) -> None:
    deploy_service.deploy_file(ctx, alone(tmp_path), actor=OPERATOR)
    people: dict[str, Actor] = {}
    for username, (name, roles) in PEOPLE.items():
        user_service.add_user(ctx, actor=OPERATOR, username=username, full_name=name, roles=roles, password=None)
        people[username] = user_service.actor_for(ctx, username)
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    first = case.tasks[0]
    assert (first.title, first.lane) == ("Periksa kelengkapan berkas", "Ketua LP-PAR")
    assert [t.id for t in task_service.list_tasks(ctx, actor=people["rina"])] == [first.id]
    for other in ("tono", "sari", "kadin", "dewi"):
        assert task_service.list_tasks(ctx, actor=people[other]) == []
    assert task_service.claim_task(ctx, actor=people["rina"], task_id=first.id).claimed_by == "rina"


def test_a_non_standard_lane_without_a_map_is_refused_at_its_line(ctx: EngineContext, tmp_path: Path) -> None:
    path = alone(tmp_path, COMPLAINTS)
    before = snapshot(ctx)
    with pytest.raises(DeploymentInvalid) as caught:
        deploy_service.deploy_file(ctx, path, actor=OPERATOR)
    assert snapshot(ctx) == before
    problems = [str(p) for p in caught.value.problems]
    line = line_of(COMPLAINTS, 'name="Fulltimer"')
    assert len(problems) == 1, problems  # the standard lanes got their roles
    assert problems[0].startswith(f"{path}:{line}: tidak ada peran yang mengerjakan lajur 'Fulltimer'")
    assert "lajur bernama baku (Pemohon, Ketua LP-PAR, Tim Teknis, Kepala Dinas)" in problems[0]
    assert "NAMA.lanes.json" in problems[0]
    assert caught.value.problems[0].element == "Lane_fulltimer"


def test_with_its_lane_map_the_non_standard_diagram_deploys(ctx: EngineContext) -> None:
    done = deploy_service.deploy_file(ctx, COMPLAINTS, actor=OPERATOR)
    assert stored_lanes(ctx, "pengaduan_layanan")[done.version]["Fulltimer"] == ["fulltimer"]


def test_a_given_map_is_used_as_it_is_never_merged_with_the_default(ctx: EngineContext) -> None:
    partial = {name: roles for name, roles in DEFAULT.items() if name != "Kepala Dinas"}
    with pytest.raises(DeploymentInvalid) as caught:
        deploy_service.deploy(ctx, actor=OPERATOR, xml=BPMN.read_bytes(), filename="uji.bpmn", lane_roles=partial)
    (problem,) = caught.value.problems
    line = line_of(BPMN, 'name="Kepala Dinas"')
    assert str(problem).startswith(f"uji.bpmn:{line}: tidak ada peran yang mengerjakan lajur 'Kepala Dinas'")
    assert "bernama baku" not in problem.message  # a given map: no word about defaults
    wider = {**DEFAULT, "Kepala Dinas": ["kepala_dinas", "ketua_lppar"]}
    done = deploy_service.deploy(ctx, actor=OPERATOR, xml=BPMN.read_bytes(), filename="uji.bpmn", lane_roles=wider)
    assert stored_lanes(ctx)[done.version] == wider
    assert task_roles(ctx, done.definition_id)["Kepala Dinas"] == {("kepala_dinas", "ketua_lppar")}


def test_the_previous_versions_map_wins_over_the_default(ctx: EngineContext, tmp_path: Path) -> None:
    wider = {**DEFAULT, "Kepala Dinas": ["kepala_dinas", "ketua_lppar"]}
    deploy_service.deploy(ctx, actor=OPERATOR, xml=BPMN.read_bytes(), filename="uji.bpmn", lane_roles=wider)
    path = alone(tmp_path)
    path.write_text(BPMN.read_text().replace('name="Dirujuk"', 'name="Dirujuk ke APH"', 1))
    done = deploy_service.deploy_file(ctx, path, actor=OPERATOR)
    assert done.version == 2
    assert stored_lanes(ctx) == {1: wider, 2: wider}
    assert task_roles(ctx, done.definition_id)["Kepala Dinas"] == {("kepala_dinas", "ketua_lppar")}


def test_a_zip_without_lanes_json_gets_the_default_map(ctx: EngineContext) -> None:
    files = {name: data for name, data in shipped().items() if not name.endswith("lanes.json")}
    done = packages.deploy_package(ctx, actor=OPERATOR, content=package(files), filename="paket.zip")
    assert isinstance(done, deploy_service.Deployment) and done.version == 1
    assert stored_lanes(ctx) == {1: DEFAULT}
    assert task_roles(ctx, done.definition_id)["Ketua LP-PAR"] == {("ketua_lppar",)}


def test_a_zip_with_a_non_standard_lane_and_no_map_is_refused(ctx: EngineContext) -> None:
    files = {"pengaduan_layanan.bpmn": COMPLAINTS.read_bytes()}
    files |= {f"forms/{p.name}": p.read_bytes() for p in sorted((PROJECT_ROOT / "forms").glob("*.json"))}
    with pytest.raises(DeploymentInvalid) as caught:
        packages.deploy_package(ctx, actor=OPERATOR, content=package(files), filename="paket.zip")
    line = line_of(COMPLAINTS, 'name="Fulltimer"')
    assert [str(p).split(";")[0] for p in caught.value.problems] == [
        f"paket.zip:pengaduan_layanan.bpmn:{line}: tidak ada peran yang mengerjakan lajur 'Fulltimer'"
    ]
    assert stored_lanes(ctx, "pengaduan_layanan") == {}


def test_the_api_deploys_a_new_diagram_with_the_default_map(ctx: EngineContext) -> None:
    user_service.add_user(
        ctx, actor=OPERATOR, username="olga", full_name="Olga", roles=["process_owner"], password=None
    )
    token = user_service.create_token(ctx, actor=OPERATOR, username="olga")
    client = create_app({"TESTING": True}, ctx=ctx).test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
    response = client.post("/api/v1/processes", data=BPMN.read_bytes(), headers=headers)
    assert response.status_code == 201, response.json
    assert response.json == {"key": "mediasi_kekerasan", "version": 1}
    assert stored_lanes(ctx) == {1: DEFAULT}
    refused = client.post("/api/v1/processes", data=COMPLAINTS.read_bytes(), headers=headers)
    assert refused.status_code == 422, refused.json
    line = line_of(COMPLAINTS, 'name="Fulltimer"')
    (error,) = refused.json["errors"]
    assert (error["line"], error["element"]) == (line, "Lane_fulltimer")
    assert error["message"].startswith("tidak ada peran yang mengerjakan lajur 'Fulltimer'")
    assert stored_lanes(ctx, "pengaduan_layanan") == {}
