"""Deploying diagrams: versions, lane maps, and every kind of bad diagram refused with file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.context import EngineContext
from engine.errors import DeploymentInvalid, PermissionDenied
from engine.persistence.models import ProcessDefinition
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import queries as case_queries
from engine.settings import PROJECT_ROOT
from tests.builders import application
from tests.conftest import OPERATOR
from tests.snapshots import snapshot

BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
LANES = json.loads((PROJECT_ROOT / "processes" / "mediasi_kekerasan.lanes.json").read_text())
ORIGINAL = BPMN.read_text()


def mutated(old: str, new: str) -> tuple[bytes, int]:
    """The shipped diagram with one text replaced, and the line where the replacement starts."""
    assert ORIGINAL.count(old) >= 1, old
    changed = ORIGINAL.replace(old, new, 1)
    line = ORIGINAL[: ORIGINAL.index(old)].count("\n") + 1
    return changed.encode(), line


def deploy_bytes(ctx: EngineContext, xml: bytes, lanes: dict[str, list[str]] | None = LANES) -> object:
    return deploy_service.deploy(ctx, actor=OPERATOR, xml=xml, filename="uji.bpmn", lane_roles=lanes)


def refused(ctx: EngineContext, xml: bytes, lanes: dict[str, list[str]] | None = LANES) -> list[str]:
    """Deploy `xml`, expect a refusal that changed nothing, and return its problems as text."""
    before = snapshot(ctx)
    with pytest.raises(DeploymentInvalid) as caught:
        deploy_bytes(ctx, xml, lanes)
    assert snapshot(ctx) == before
    return [str(p) for p in caught.value.problems]


def test_first_deploy_creates_version_1_and_identical_content_is_a_no_op(ctx: EngineContext) -> None:
    first = deploy_service.deploy_file(ctx, BPMN, actor=OPERATOR)
    again = deploy_service.deploy_file(ctx, BPMN, actor=OPERATOR)
    assert (first.key, first.version, first.created) == ("mediasi_kekerasan", 1, True)
    assert (again.version, again.definition_id, again.created) == (1, first.definition_id, False)


def test_changed_content_is_a_new_version_and_older_xml_too(ctx: EngineContext) -> None:
    v1 = deploy_bytes(ctx, BPMN.read_bytes())
    v2 = deploy_bytes(ctx, mutated('name="Periksa kelengkapan berkas"', 'name="Periksa berkas"')[0])
    v3 = deploy_bytes(ctx, BPMN.read_bytes())
    assert [v.version for v in (v1, v2, v3)] == [1, 2, 3]  # type: ignore[attr-defined]


def test_a_new_lane_map_alone_makes_a_new_version(ctx: EngineContext) -> None:
    deploy_bytes(ctx, BPMN.read_bytes())
    wider = {**LANES, "Kepala Dinas": ["kepala_dinas", "ketua_lppar"]}
    assert deploy_bytes(ctx, BPMN.read_bytes(), wider).version == 2  # type: ignore[attr-defined]


def test_without_a_lane_map_the_previous_versions_map_is_reused(ctx: EngineContext) -> None:
    deploy_bytes(ctx, BPMN.read_bytes())
    renamed = mutated('name="Periksa kelengkapan berkas"', 'name="Periksa berkas"')[0]
    assert deploy_bytes(ctx, renamed, lanes=None).version == 2  # type: ignore[attr-defined]


def test_a_first_deploy_needs_a_lane_map_for_a_lane_without_a_standard_name(ctx: EngineContext) -> None:
    # Standard lane names get the default map (tests/engine/test_default_lanes.py); others need a map.
    xml, line = mutated('<bpmn:lane id="Lane_kadin" name="Kepala Dinas">', '<bpmn:lane id="Lane_kadin" name="Kadis">')
    problems = refused(ctx, xml, lanes=None)
    assert len(problems) == 1 and problems[0].startswith(
        f"uji.bpmn:{line}: tidak ada peran yang mengerjakan lajur 'Kadis'"
    )


def test_running_cases_keep_their_version(ctx: EngineContext, people: dict[str, object]) -> None:
    old = case_service.start_case(ctx, actor=people["ani"], data=application())  # type: ignore[arg-type]
    deploy_bytes(ctx, mutated('name="Periksa kelengkapan berkas"', 'name="Periksa berkas lengkap"')[0])
    new = case_service.start_case(ctx, actor=people["ani"], data=application())  # type: ignore[arg-type]
    assert (old.process_version, new.process_version) == (1, 2)
    assert case_queries.get_case(ctx, old.number).tasks[0].title == "Periksa kelengkapan berkas"
    assert new.tasks[0].title == "Periksa berkas lengkap"


def test_only_process_owners_deploy(ctx: EngineContext, people: dict[str, object]) -> None:
    with pytest.raises(PermissionDenied):
        deploy_service.deploy(ctx, actor=people["rina"], xml=BPMN.read_bytes(), filename="x.bpmn")  # type: ignore[arg-type]
    done = deploy_service.deploy(
        ctx,
        actor=people["olga"],
        xml=mutated("Dirujuk", "Dirujuk ke APH")[0],  # type: ignore[arg-type]
        filename="x.bpmn",
    )
    assert done.created


BAD_DIAGRAMS = {
    "malformed XML": (
        ('<bpmn:laneSet id="LaneSet_mediasi">', '<bpmn:laneSet id="LaneSet_mediasi" x=>'),
        "XML tidak valid",
    ),
    "XSD violation": (
        ('<bpmn:subProcess id="SubProcess_layanan"', '<bpmn:subProcess id="SubProcess_layanan" foo="1"'),
        "melanggar skema BPMN 2.0 (XSD)",
    ),
    "bad condition syntax": (("berkas_lengkap == True", "berkas_lengkap =="), "sintaks Python tidak valid"),
    "sandbox escape in a condition": (
        ("berkas_lengkap == True", "().__class__.__bases__[0].__subclasses__()"),
        "diawali garis bawah",
    ),
    "forbidden builtin in a script": (
        ("peringatan_aturan = []", "peringatan_aturan = open('/etc/passwd').read()"),
        "fungsi bawaan 'open' tidak diizinkan",
    ),
    "import in a script": (
        ("peringatan_aturan = []", "import os\nperingatan_aturan = []"),
        "impor modul tidak diizinkan",
    ),
    "Camunda JUEL condition": (("berkas_lengkap == True", "${berkas_lengkap}"), "JUEL"),
    "unknown form": (
        ('value="periksa_kelengkapan.json"', 'value="tidak_ada.json"'),
        "formulir 'tidak_ada.json' tidak ditemukan",
    ),
    "form path outside forms/": (
        ('value="periksa_kelengkapan.json"', 'value="../pyproject.json"'),
        "nama formulir tidak sah",
    ),
    "task without a form": (
        (
            '<spiffworkflow:property name="formJsonSchemaFilename" value="arahan_sekretaris.json" />',
            '<spiffworkflow:property name="catatan" value="arahan_sekretaris.json" />',
        ),
        "harus menyebut formulirnya",
    ),
    "candidate outside its lane": (('value="sekretaris" />', 'value="kepala_dinas" />'), "tidak mengerjakan lajur"),
    "SLA clock without days": (
        ('value="respons:5 penyelesaian:14"', 'value="respons penyelesaian:14"'),
        "harus berbentuk nama:hari",
    ),
    "task due rule unknown": (('name="slaDue" value="kelengkapan"', 'name="slaDue" value="3 hari"'), "slaDue '3 hari'"),
    "escalation to an unknown role": (
        ('name="notifyRoles" value="ketua_lppar"', 'name="notifyRoles" value="camat"'),
        "notifyRoles menyebut peran yang tidak dikenal: camat",
    ),
    "timer expression not quoted": (("hari_kerja(1)", "P1D"), 'harus dikutip sebagai teks Python, misalnya "P1D"'),
}


@pytest.mark.parametrize("name", list(BAD_DIAGRAMS))
def test_bad_diagram_is_refused_at_its_line(ctx: EngineContext, name: str) -> None:
    (old, new), message = BAD_DIAGRAMS[name]
    xml, line = mutated(old, new)
    if name == "task without a form":  # reported on the task itself
        line = line_of(xml, 'id="Task_arahan_sekretaris"')
    problems = refused(ctx, xml)
    assert any(message in p for p in problems), problems
    assert any(p.startswith(f"uji.bpmn:{line}:") for p in problems), (line, problems)


def line_of(xml: bytes, text: str) -> int:
    """The line of the first occurrence of `text`."""
    content = xml.decode()
    return content[: content.index(text)].count("\n") + 1


def test_task_outside_any_lane_is_refused(ctx: EngineContext) -> None:
    xml, _ = mutated("<bpmn:flowNodeRef>Task_arahan_sekretaris</bpmn:flowNodeRef>", "")
    task_line = line_of(xml, 'id="Task_arahan_sekretaris"')
    problems = refused(ctx, xml)
    assert (
        f"uji.bpmn:{task_line}: tugas pengguna 'Beri arahan kepada Sekretaris Tim Teknis' tidak berada di lajur"
        in " ".join(problems)
    )


def test_lane_without_roles_is_refused(ctx: EngineContext) -> None:
    lanes = {k: v for k, v in LANES.items() if k != "Kepala Dinas"}
    problems = refused(ctx, BPMN.read_bytes(), lanes)
    assert any("tidak ada peran yang mengerjakan lajur 'Kepala Dinas'" in p for p in problems)


def test_unknown_role_in_lane_map_is_refused(ctx: EngineContext) -> None:
    problems = refused(ctx, BPMN.read_bytes(), {**LANES, "Tim Teknis": ["tim_teknis", "psikolog"]})
    assert any("peran tidak dikenal: psikolog" in p for p in problems)


@pytest.mark.parametrize(
    ("lane", "roles", "message"),
    [
        ("Ketua LP-PAR", ["pemohon"], "peran pemohon tidak boleh mengerjakan lajur 'Ketua LP-PAR'"),
        ("Ketua LP-PAR", ["auditor", "dpo"], "peran auditor, dpo tidak boleh mengerjakan lajur 'Ketua LP-PAR'"),
        ("Kepala Dinas", ["kepala_dinas", "admin"], "peran admin tidak boleh mengerjakan lajur 'Kepala Dinas'"),
        ("Tim Teknis", ["process_owner"], "peran process_owner tidak boleh mengerjakan lajur 'Tim Teknis'"),
        ("Pemohon", ["applicant", "fulltimer"], "lajur pemohon 'Pemohon' hanya boleh berisi 'applicant'"),
        ("Pemohon", ["pemohon"], "peran pemohon tidak boleh mengerjakan lajur 'Pemohon'"),
    ],
)
def test_a_lane_map_naming_non_staff_roles_is_refused_at_the_lane(
    ctx: EngineContext, lane: str, roles: list[str], message: str
) -> None:
    xml = BPMN.read_bytes()
    problems = refused(ctx, xml, {**LANES, lane: roles})
    lane_line = line_of(xml, f'name="{lane}"')
    assert f"uji.bpmn:{lane_line}: {message}" in " ".join(problems), problems


def test_unquoted_timer_duration_is_refused(ctx: EngineContext) -> None:
    timer = (
        '<bpmn:boundaryEvent id="BoundaryEvent_pengingat" name="Pengingat" attachedToRef="Task_koordinasi" '
        'cancelActivity="false">\n<bpmn:timerEventDefinition><bpmn:timeDuration>P5D</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:boundaryEvent>\n"
    )
    xml, line = mutated(
        '<bpmn:boundaryEvent id="BoundaryEvent_pencabutan"', timer + '<bpmn:boundaryEvent id="BoundaryEvent_pencabutan"'
    )
    problems = refused(ctx, xml)
    assert f"uji.bpmn:{line + 1}: ekspresi timer 'P5D' harus dikutip" in " ".join(problems)


def test_invalid_form_schema_is_refused(ctx: EngineContext, tmp_path: Path) -> None:
    forms = {p.name: p.read_bytes() for p in (PROJECT_ROOT / "forms").glob("*.json")}
    forms["arahan_sekretaris.json"] = json.dumps(
        {"type": "object", "properties": {"arahan": {"type": "teks"}}, "additionalProperties": False}
    ).encode()
    before = snapshot(ctx)
    with pytest.raises(DeploymentInvalid) as caught:
        deploy_service.deploy(
            ctx, actor=OPERATOR, xml=BPMN.read_bytes(), filename="uji.bpmn", lane_roles=LANES, forms=forms.get
        )
    assert snapshot(ctx) == before
    assert "formulir 'arahan_sekretaris.json' tidak valid: JSON Schema tidak valid" in str(caught.value.problems)


def test_form_that_accepts_unknown_fields_is_refused(ctx: EngineContext) -> None:
    forms = {p.name: p.read_bytes() for p in (PROJECT_ROOT / "forms").glob("*.json")}
    forms["arahan_sekretaris.json"] = json.dumps(
        {"type": "object", "properties": {"arahan": {"type": "string"}}}
    ).encode()
    with pytest.raises(DeploymentInvalid) as caught:
        deploy_service.deploy(
            ctx, actor=OPERATOR, xml=BPMN.read_bytes(), filename="uji.bpmn", lane_roles=LANES, forms=forms.get
        )
    assert '"additionalProperties": false' in str(caught.value.problems)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" name="&xxe;" isExecutable="true"/>
</bpmn:definitions>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "hahahahahahahahahaha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" name="&d;" isExecutable="true"/>
</bpmn:definitions>"""


@pytest.mark.parametrize("xml", [XXE, LAUGHS], ids=["XXE", "billion laughs"])
def test_entities_are_refused_and_never_expanded(ctx: EngineContext, xml: bytes) -> None:
    problems = refused(ctx, xml)
    assert len(problems) == 1 and problems[0].startswith("uji.bpmn:")
    assert "root:" not in problems[0] and "haha" not in problems[0]


def test_every_problem_is_reported_not_only_the_first(ctx: EngineContext) -> None:
    xml, _ = mutated("berkas_lengkap == True", "${berkas_lengkap}")
    xml = xml.decode().replace("pengecualian_disetujui == True", "import os", 1).encode()
    problems = refused(ctx, xml)
    assert len(problems) >= 2


def test_a_deployed_form_keeps_its_field_order(ctx: EngineContext, deployed: object) -> None:
    """PostgreSQL's jsonb would reorder a form's properties; they are its layout, so forms are json."""
    ctx.definitions.clear()
    with ctx.unit_of_work(write=False) as uow:
        definition_id = uow.session.scalars(select(ProcessDefinition.id)).first()
        loaded = ctx.definitions.get(uow.session, definition_id)
    for name, schema in loaded.forms.items():
        shipped = json.loads((PROJECT_ROOT / "forms" / name).read_text())
        assert list(schema["properties"]) == list(shipped["properties"]), name
