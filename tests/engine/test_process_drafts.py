"""Process drafts: a copy of a version, edited, validated and deployed; the two-person rule."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import Conflict, DeploymentInvalid, InvalidInput, NotFound, PermissionDenied
from engine.events import SYSTEM_CHAIN
from engine.services import audit_search
from engine.services import cases as case_service
from engine.services import process_drafts as drafts
from engine.services import users as user_service
from engine.settings import Settings
from tests.builders import application
from tests.conftest import OPERATOR

KEY = "mediasi_kekerasan"
SHIPPED = (Path(__file__).resolve().parents[2] / "processes" / "mediasi_kekerasan.bpmn").read_text(encoding="utf-8")

# A broken copy of the shipped diagram: (what to replace, with what, the element its problem names).
BROKEN: dict[str, tuple[str, str, str]] = {
    "task outside any lane": (
        "<bpmn:flowNodeRef>Task_koordinasi</bpmn:flowNodeRef>",
        "",
        "Task_koordinasi",
    ),
    "unknown form": (
        'value="koordinasi_pihak_terkait.json"',
        'value="tidak_ada.json"',
        "Task_koordinasi",
    ),
    "JUEL condition": (
        "pihak_terkait_bersedia == True</bpmn:conditionExpression>",
        "${pihak_terkait_bersedia}</bpmn:conditionExpression>",
        "Flow_pihak_bersedia__arahan_sekretaris",
    ),
    "XSD violation": (
        '<bpmn:userTask id="Task_koordinasi"',
        '<bpmn:userTask id="Task_koordinasi" prioritas="tinggi"',
        "Task_koordinasi",
    ),
}


def broken(name: str) -> str:
    """The shipped diagram with one of the BROKEN faults."""
    old, new, _ = BROKEN[name]
    assert SHIPPED.count(old) == 1
    return SHIPPED.replace(old, new)


_TIMER_EVENT = """
      <bpmn:sequenceFlow id="Flow_tunggu__siapkan_dokumen" sourceRef="Timer_tunggu" targetRef="Task_siapkan_dokumen" />
      <bpmn:intermediateCatchEvent id="Timer_tunggu" name="Tunggu sehari">
        <bpmn:incoming>Flow_arahan_sekretaris__siapkan_dokumen</bpmn:incoming>
        <bpmn:outgoing>Flow_tunggu__siapkan_dokumen</bpmn:outgoing>
        <bpmn:timerEventDefinition id="Timer_tunggu_def">
          <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P1D"</bpmn:timeDuration>
        </bpmn:timerEventDefinition>
      </bpmn:intermediateCatchEvent>"""
_TIMER_SHAPES = """
      <bpmndi:BPMNShape id="Timer_tunggu_di" bpmnElement="Timer_tunggu">
        <dc:Bounds x="3542" y="440" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_tunggu__siapkan_dokumen_di" bpmnElement="Flow_tunggu__siapkan_dokumen">
        <di:waypoint x="3560" y="476" />
        <di:waypoint x="3560" y="595" />
        <di:waypoint x="3580" y="595" />
      </bpmndi:BPMNEdge>"""


def with_timer() -> str:
    """The shipped diagram with a one-day timer between the Ketua's direction and the documents."""
    lane_ref = "<bpmn:flowNodeRef>Task_arahan_sekretaris</bpmn:flowNodeRef>"
    flow = 'sourceRef="Task_arahan_sekretaris" targetRef="Task_siapkan_dokumen" />'
    incoming = (
        "<bpmn:incoming>Flow_arahan_sekretaris__siapkan_dokumen</bpmn:incoming>\n        <bpmn:outgoing>Flow_siapkan"
    )
    edge_end = '<di:waypoint x="3560" y="595" />\n        <di:waypoint x="3580" y="595" />\n      </bpmndi:BPMNEdge>'
    edits = [
        (lane_ref, lane_ref + "<bpmn:flowNodeRef>Timer_tunggu</bpmn:flowNodeRef>"),
        (flow, flow.replace("Task_siapkan_dokumen", "Timer_tunggu") + _TIMER_EVENT),
        (incoming, incoming.replace("Flow_arahan_sekretaris__siapkan_dokumen", "Flow_tunggu__siapkan_dokumen")),
        (edge_end, '<di:waypoint x="3560" y="440" />\n      </bpmndi:BPMNEdge>' + _TIMER_SHAPES),
    ]
    xml = SHIPPED
    for old, new in edits:
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)
    return xml


@pytest.fixture
def owners(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """Olga (from the shared people) and a second process owner, Pia."""
    user_service.add_user(
        ctx, actor=OPERATOR, username="pia", full_name="Pia Pemilik Kedua", roles=["process_owner"], password=None
    )
    return {**people, "pia": user_service.actor_for(ctx, "pia")}


@pytest.fixture
def approval_ctx(ctx: EngineContext, clock: FixedClock) -> Iterator[EngineContext]:
    """The same database with the two-person rule on."""
    strict = EngineContext.create(replace(ctx.settings, deploy_approval=True), clock=clock)
    yield strict
    strict.close()


def test_a_draft_starts_as_a_copy_of_its_version(ctx: EngineContext, owners: dict[str, Actor]) -> None:
    olga = owners["olga"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    draft = drafts.get_draft(ctx, actor=olga, draft_id=draft_id)
    version = drafts.get_version(ctx, actor=olga, key=KEY, version=1)
    assert (draft.key, draft.base_version, draft.status, draft.revision) == (KEY, 1, "draft", 1)
    assert draft.xml == version.xml == SHIPPED
    assert draft.lane_roles == version.lane_roles
    assert {name: json.loads(text) for name, text in draft.forms.items()} == version.forms
    assert [d.id for d in drafts.list_drafts(ctx, actor=olga)] == [draft_id]
    assert drafts.validate_draft(ctx, actor=olga, draft_id=draft_id) == []


def test_only_process_owners_work_on_processes(ctx: EngineContext, owners: dict[str, Actor]) -> None:
    draft_id = drafts.create_draft(ctx, actor=owners["olga"], key=KEY, version=1)
    rina = owners["rina"]
    calls: list[Callable[[], object]] = [
        lambda: drafts.list_versions(ctx, actor=rina),
        lambda: drafts.get_version(ctx, actor=rina, key=KEY, version=1),
        lambda: drafts.create_draft(ctx, actor=rina, key=KEY, version=1),
        lambda: drafts.get_draft(ctx, actor=rina, draft_id=draft_id),
        lambda: drafts.save_draft(ctx, actor=rina, draft_id=draft_id, revision=1, xml=SHIPPED.encode()),
        lambda: drafts.deploy_draft(ctx, actor=rina, draft_id=draft_id, revision=1),
        lambda: drafts.delete_draft(ctx, actor=rina, draft_id=draft_id),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(NotFound):
        drafts.create_draft(ctx, actor=owners["olga"], key=KEY, version=9)


def test_versions_list_who_when_and_open_cases(ctx: EngineContext, owners: dict[str, Actor]) -> None:
    olga = owners["olga"]
    case_service.start_case(ctx, actor=owners["ani"], data=application())
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    changed = SHIPPED.replace('name="Catat rujukan"', 'name="Catat rujukan dan pendampingan"')
    drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=1, xml=changed.encode())
    drafts.deploy_draft(ctx, actor=olga, draft_id=draft_id, revision=2)
    (process,) = [p for p in drafts.list_versions(ctx, actor=olga) if p.key == KEY]
    assert [(v.version, v.deployed_by, v.open_cases) for v in process.versions] == [(2, "olga", 0), (1, "cli:test", 1)]


def test_saving_checks_what_it_stores_and_refuses_stale_revisions(ctx: EngineContext, owners: dict[str, Actor]) -> None:
    olga = owners["olga"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    lanes = {k: v for k, v in _lanes().items() if k != "Kepala Dinas"}
    assert drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=1, lane_roles=lanes) == 2
    with pytest.raises(Conflict, match="revisi 2"):
        drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=1, xml=SHIPPED.encode())
    for bad_xml in (b"<bpmn:definitions", b"<!DOCTYPE x><x/>", b"x" * (6 * 1024 * 1024)):
        with pytest.raises(InvalidInput):
            drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=2, xml=bad_xml)
    with pytest.raises(InvalidInput, match="Peta lajur-peran"):
        drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=2, lane_roles={"Pemohon": "applicant"})  # type: ignore[dict-item]
    draft = drafts.get_draft(ctx, actor=olga, draft_id=draft_id)
    assert (draft.revision, draft.lane_roles, draft.xml) == (2, lanes, SHIPPED)
    problems = drafts.validate_draft(ctx, actor=olga, draft_id=draft_id)
    assert [(p.element, "Kepala Dinas" in p.message) for p in problems] == [("Lane_kadin", True)]


def test_forms_are_checked_like_a_deploy_and_kept_as_written(ctx: EngineContext, owners: dict[str, Actor]) -> None:
    olga = owners["olga"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    with pytest.raises(InvalidInput, match="Nama formulir tidak sah"):
        drafts.save_form(ctx, actor=olga, draft_id=draft_id, name="../rahasia.json", text="{}")
    with pytest.raises(InvalidInput, match="JSON tidak valid"):
        drafts.save_form(ctx, actor=olga, draft_id=draft_id, name="baru.json", text="{")
    open_form = '{"type": "object", "properties": {"a": {"type": "string"}}}'
    with pytest.raises(InvalidInput, match="additionalProperties"):
        drafts.save_form(ctx, actor=olga, draft_id=draft_id, name="baru.json", text=open_form)
    text = '{"type": "object",\n "properties": {"z": {"type": "string"}, "a": {}},\n "additionalProperties": false}'
    assert drafts.save_form(ctx, actor=olga, draft_id=draft_id, name="baru.json", text=text) == 2
    assert drafts.get_draft(ctx, actor=olga, draft_id=draft_id).forms["baru.json"] == text


@pytest.mark.parametrize("name", list(BROKEN))
def test_validation_names_the_broken_element(name: str, ctx: EngineContext, owners: dict[str, Actor]) -> None:
    olga = owners["olga"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    xml = broken(name)
    drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=1, xml=xml.encode())
    problems = drafts.validate_draft(ctx, actor=olga, draft_id=draft_id)
    expected = BROKEN[name][2]
    assert problems and all(p.line for p in problems)
    assert expected in {p.element for p in problems}, problems
    with pytest.raises(DeploymentInvalid) as caught:
        drafts.deploy_draft(ctx, actor=olga, draft_id=draft_id, revision=2)
    assert expected in {p.element for p in caught.value.problems}
    assert [v.version for v in drafts.list_versions(ctx, actor=olga)[0].versions] == [1]


def test_a_problem_inside_an_event_names_the_event(ctx: EngineContext, owners: dict[str, Actor]) -> None:
    olga = owners["olga"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    timer = with_timer()
    drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=1, xml=timer.encode())
    assert drafts.validate_draft(ctx, actor=olga, draft_id=draft_id) == []
    unquoted = timer.replace('>"P1D"<', ">P1D<")
    drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=2, xml=unquoted.encode())
    (problem,) = drafts.validate_draft(ctx, actor=olga, draft_id=draft_id)
    assert problem.element == "Timer_tunggu" and "dikutip" in problem.message  # not its event definition


def test_the_process_id_stays(ctx: EngineContext, owners: dict[str, Actor]) -> None:
    olga = owners["olga"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    renamed = SHIPPED.replace('id="mediasi_kekerasan"', 'id="proses_lain"').replace(
        'processRef="mediasi_kekerasan"', 'processRef="proses_lain"'
    )
    drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=1, xml=renamed.encode())
    (problem,) = drafts.validate_draft(ctx, actor=olga, draft_id=draft_id)
    assert problem.element == "Participant_dpmppa" and "mediasi_kekerasan" in problem.message  # the pool


def test_deploying_a_draft_makes_the_next_version(ctx: EngineContext, owners: dict[str, Actor]) -> None:
    olga = owners["olga"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    assert drafts.deploy_draft(ctx, actor=olga, draft_id=draft_id, revision=1) == drafts.DraftDeployment(
        "deployed", 1, created=False
    )  # unchanged: version 1 is found, not repeated

    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    form = json.loads(drafts.get_draft(ctx, actor=olga, draft_id=draft_id).forms["koordinasi_pihak_terkait.json"])
    form["title"] = "Koordinasi Pihak Terkait (versi 2)"
    drafts.save_form(
        ctx, actor=olga, draft_id=draft_id, name="koordinasi_pihak_terkait.json", text=json.dumps(form, indent=2)
    )
    done = drafts.deploy_draft(ctx, actor=olga, draft_id=draft_id, revision=2)
    assert done == drafts.DraftDeployment("deployed", 2, created=True)
    version = drafts.get_version(ctx, actor=olga, key=KEY, version=2)
    assert version.version.deployed_by == "olga"
    assert version.forms["koordinasi_pihak_terkait.json"]["title"] == "Koordinasi Pihak Terkait (versi 2)"
    old = drafts.get_version(ctx, actor=olga, key=KEY, version=1).forms["koordinasi_pihak_terkait.json"]
    assert old["title"] == "Koordinasi dengan Pihak Terkait"  # version 1 keeps its own form
    draft = drafts.get_draft(ctx, actor=olga, draft_id=draft_id)
    assert (draft.status, draft.deployed_version, draft.submitted_by, draft.approved_by) == (
        "deployed",
        2,
        "olga",
        None,
    )
    assert drafts.list_drafts(ctx, actor=olga) == []
    with pytest.raises(Conflict):
        drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=3, xml=SHIPPED.encode())
    deploy_event = _system_events(ctx, "process_deployed")[-1]
    assert deploy_event[0] == "olga" and deploy_event[1]["version"] == 2 and "approved_by" not in deploy_event[1]


def test_two_person_rule(approval_ctx: EngineContext, owners: dict[str, Actor]) -> None:
    ctx, olga, pia = approval_ctx, owners["olga"], owners["pia"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    changed = SHIPPED.replace('name="Catat rujukan"', 'name="Catat rujukan dan pendampingan"').encode()
    drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=1, xml=changed)

    assert drafts.deploy_draft(ctx, actor=olga, draft_id=draft_id, revision=2) == drafts.DraftDeployment("submitted")
    assert [v.version for v in drafts.list_versions(ctx, actor=olga)[0].versions] == [1]  # not live yet
    submitted = drafts.get_draft(ctx, actor=olga, draft_id=draft_id)
    assert (submitted.status, submitted.submitted_by, submitted.revision) == ("submitted", "olga", 2)
    with pytest.raises(PermissionDenied, match="pemilik proses lain"):
        drafts.approve_draft(ctx, actor=olga, draft_id=draft_id, revision=2)
    with pytest.raises(PermissionDenied):
        drafts.approve_draft(ctx, actor=owners["rina"], draft_id=draft_id, revision=2)
    with pytest.raises(Conflict, match="revisi"):
        drafts.approve_draft(ctx, actor=pia, draft_id=draft_id, revision=1)

    done = drafts.approve_draft(ctx, actor=pia, draft_id=draft_id, revision=2)
    assert done == drafts.DraftDeployment("deployed", 2, created=True)
    version = drafts.get_version(ctx, actor=pia, key=KEY, version=2)
    assert version.version.deployed_by == "olga"
    actor, payload = _system_events(ctx, "process_deployed")[-1]
    assert (actor, payload["approved_by"], payload["version"]) == ("olga", "pia", 2)
    draft = drafts.get_draft(ctx, actor=pia, draft_id=draft_id)
    assert (draft.status, draft.submitted_by, draft.approved_by, draft.deployed_version) == (
        "deployed",
        "olga",
        "pia",
        2,
    )


def test_changing_a_submitted_draft_takes_it_back(approval_ctx: EngineContext, owners: dict[str, Actor]) -> None:
    ctx, olga, pia = approval_ctx, owners["olga"], owners["pia"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    drafts.deploy_draft(ctx, actor=olga, draft_id=draft_id, revision=1)
    with pytest.raises(Conflict, match="sudah diajukan"):
        drafts.deploy_draft(ctx, actor=olga, draft_id=draft_id, revision=1)
    assert drafts.save_draft(ctx, actor=pia, draft_id=draft_id, revision=1, lane_roles=_lanes()) == 2
    draft = drafts.get_draft(ctx, actor=pia, draft_id=draft_id)
    assert (draft.status, draft.submitted_by) == ("draft", None)
    with pytest.raises(Conflict):
        drafts.approve_draft(ctx, actor=pia, draft_id=draft_id, revision=2)
    # Pia, who changed it, submits it now; Olga may approve it.
    drafts.deploy_draft(ctx, actor=pia, draft_id=draft_id, revision=2)
    drafts.return_draft(ctx, actor=olga, draft_id=draft_id)
    assert drafts.get_draft(ctx, actor=olga, draft_id=draft_id).status == "draft"
    drafts.delete_draft(ctx, actor=olga, draft_id=draft_id)
    with pytest.raises(NotFound):
        drafts.get_draft(ctx, actor=olga, draft_id=draft_id)


def test_an_invalid_draft_is_not_submitted(approval_ctx: EngineContext, owners: dict[str, Actor]) -> None:
    ctx, olga = approval_ctx, owners["olga"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=1, xml=broken("JUEL condition").encode())
    with pytest.raises(DeploymentInvalid):
        drafts.deploy_draft(ctx, actor=olga, draft_id=draft_id, revision=2)
    assert drafts.get_draft(ctx, actor=olga, draft_id=draft_id).status == "draft"


def _lanes() -> dict[str, list[str]]:
    path = Path(__file__).resolve().parents[2] / "processes" / "mediasi_kekerasan.lanes.json"
    lanes: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
    return lanes


def _system_events(ctx: EngineContext, type_: str) -> list[tuple[str, dict[str, object]]]:
    """The system chain's events of one type, oldest first."""
    auditor = Actor("audit", frozenset({"auditor"}), user_id=-1)
    events = audit_search.chain_events(ctx, actor=auditor, chain=SYSTEM_CHAIN, per_page=100).items
    return [(e.actor, e.data) for e in reversed(events) if e.type == type_]


def test_the_two_person_rule_is_off_unless_set() -> None:
    assert Settings.from_environ({}).deploy_approval is False
    assert Settings.from_environ({"MEDIASI_DEPLOY_APPROVAL": "0"}).deploy_approval is False
    assert Settings.from_environ({"MEDIASI_DEPLOY_APPROVAL": "1"}).deploy_approval is True


def test_the_modeler_check_and_deploy_refuse_a_version_that_mediates_sexual_violence(
    ctx: EngineContext, owners: dict[str, Actor]
) -> None:
    olga = owners["olga"]
    draft_id = drafts.create_draft(ctx, actor=olga, key=KEY, version=1)
    permissive = SHIPPED.replace('"seksual" not in jenis_kekerasan and ', "", 1)
    drafts.save_draft(ctx, actor=olga, draft_id=draft_id, revision=1, xml=permissive.encode())
    problems = drafts.validate_draft(ctx, actor=olga, draft_id=draft_id)
    assert any("Kekerasan seksual" in p.message and p.line for p in problems), problems
    with pytest.raises(DeploymentInvalid):
        drafts.deploy_draft(ctx, actor=olga, draft_id=draft_id, revision=2)
