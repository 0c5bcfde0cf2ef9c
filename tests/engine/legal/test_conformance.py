"""The legal scenarios every version is simulated on at deploy: the shipped diagram conforms, broken ones do not."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from engine.bpmn.validate import CompiledDefinition, compile_definition
from engine.legal import conformance, screening
from engine.services.deploy import forms_from_directory
from engine.settings import PROJECT_ROOT
from tests.builders import application

BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
LANES = json.loads((PROJECT_ROOT / "processes" / "mediasi_kekerasan.lanes.json").read_text())
FORMS = forms_from_directory(PROJECT_ROOT / "forms")
ORIGINAL = BPMN.read_text()


def compiled_of(xml: bytes, lanes: dict[str, list[str]] = LANES) -> CompiledDefinition:
    return compile_definition(xml, "uji.bpmn", FORMS, lanes)


def with_condition(flow: str, change: Callable[[str], str]) -> bytes:
    """The shipped diagram with the condition of sequence flow `flow` changed by `change`."""
    pattern = re.compile(
        r'<bpmn:sequenceFlow id="' + re.escape(flow) + r'"[^>]*>\s*<bpmn:conditionExpression[^>]*>(.*?)'
        r"</bpmn:conditionExpression>",
        re.S,
    )
    match = pattern.search(ORIGINAL)
    assert match, flow
    changed = change(match.group(1))
    assert changed != match.group(1), f"the condition of {flow} did not change: {match.group(1)}"
    return (ORIGINAL[: match.start(1)] + changed + ORIGINAL[match.end(1) :]).encode()


def without_sexual_check(condition: str) -> str:
    return condition.replace('"seksual" not in jenis_kekerasan and ', "", 1)


def letting_high_danger_pass(condition: str) -> str:
    changed = re.sub(r"tingkat_bahaya\s+in\s+\([^)]*\)", 'tingkat_bahaya in ("rendah", "sedang", "tinggi")', condition)
    return re.sub(r'tingkat_bahaya\s*!=\s*"tinggi"', "True", changed)


def line_of_id(xml: bytes, element: str) -> int:
    text = xml.decode()
    return text[: text.index(f' id="{element}"')].count("\n") + 1


@pytest.fixture(scope="module")
def shipped() -> CompiledDefinition:
    return compiled_of(BPMN.read_bytes())


def names(violations: list[conformance.Violation]) -> list[str]:
    return [v.scenario for v in violations]


def test_every_scenario_is_one_the_law_forbids_to_mediate() -> None:
    assert [s.name for s in conformance.SCENARIOS] == [
        "kekerasan_seksual",
        "perdagangan_orang",
        "eksploitasi",
        "anak_korban",
        "pelaku_anak",
        "bahaya_tinggi",
        "tanpa_persetujuan",
        "asesmen_gagal",
        "kategori_tidak_memenuhi",
    ]
    for scenario in conformance.SCENARIOS:
        assert screening.blocks(screening.fold(screening.empty(), scenario.truth())), scenario.name
    base = {**conformance.BASE_REQUEST, **conformance.BASE_ANSWERS}
    assert screening.blocks(screening.fold(screening.empty(), base)) == []


def test_the_base_request_has_the_fields_of_a_valid_application() -> None:
    assert set(conformance.BASE_REQUEST) == set(application())


def test_the_shipped_diagram_conforms(shipped: CompiledDefinition) -> None:
    assert conformance.check(shipped) == []
    assert conformance.problems(shipped, shipped.xml, "mediasi_kekerasan.bpmn") == []


def test_the_shipped_diagram_conforms_from_the_test_application_too(shipped: CompiledDefinition) -> None:
    assert conformance.check(shipped, start_data=application()) == []


def test_a_mediable_request_does_reach_mediation_in_the_simulation(shipped: CompiledDefinition) -> None:
    """The search is not vacuous: without a legal obstacle the shipped diagram mediates."""
    mediable = conformance.Scenario("dapat_dimediasi", "Dapat dimediasi", {})
    found = conformance.simulate(shipped, mediable)
    assert found is not None
    assert found.element == "Task_undangan_mediasi"
    assert found.path[:2] == ("Task_periksa_kelengkapan", "Task_telaah_permohonan")
    assert found.path[-1] == "Task_undangan_mediasi"


def test_screening_without_the_sexual_violence_check_lets_sexual_violence_reach_mediation() -> None:
    xml = with_condition("Flow_skrining__aturan_lunak", without_sexual_check)
    found = {v.scenario: v for v in conformance.check(compiled_of(xml))}
    assert "kekerasan_seksual" in found
    violation = found["kekerasan_seksual"]
    assert violation.title == "Kekerasan seksual"
    assert violation.element == "Task_undangan_mediasi"
    assert violation.path[0] == "Task_periksa_kelengkapan"
    assert "Task_telaah_permohonan" in violation.path
    assert violation.path[-1] == "Task_undangan_mediasi"
    assert "perdagangan_orang" not in found


def test_screening_that_lets_high_danger_pass_is_refused() -> None:
    xml = with_condition("Flow_skrining__aturan_lunak", letting_high_danger_pass)
    assert "bahaya_tinggi" in names(conformance.check(compiled_of(xml)))


def test_an_assessment_gateway_that_always_passes_is_refused() -> None:
    xml = with_condition("Flow_syarat_mediasi__keputusan_kadin", lambda _: "True")
    found = {v.scenario: v for v in conformance.check(compiled_of(xml))}
    assert list(found) == ["asesmen_gagal"]
    assert "Task_pendapat_psikologis" in found["asesmen_gagal"].path


def test_an_exception_that_ignores_a_child_victim_is_refused() -> None:
    xml = with_condition("Flow_pengecualian__gabung_skrining", lambda _: "pengecualian_disetujui == True")
    found = {v.scenario: v for v in conformance.check(compiled_of(xml))}
    assert list(found) == ["anak_korban"]
    assert "Task_tinjau_pengecualian" in found["anak_korban"].path


def test_problems_name_the_scenario_and_the_path_at_the_line_of_the_element() -> None:
    xml = with_condition("Flow_skrining__aturan_lunak", without_sexual_check)
    compiled = compiled_of(xml)
    found = conformance.problems(compiled, xml, "uji.bpmn")
    sexual = [p for p in found if '"Kekerasan seksual"' in p.message]
    assert len(sexual) == 1
    problem = sexual[0]
    assert problem.file == "uji.bpmn"
    assert problem.element == "Task_undangan_mediasi"
    assert problem.line == line_of_id(xml, "Task_undangan_mediasi")
    assert problem.message.startswith(
        'skenario hukum "Kekerasan seksual" dapat mencapai mediasi (Surat Undangan Mediasi)'
    )
    assert "lewat: Periksa kelengkapan berkas \u2192 Telaah dan skrining permohonan \u2192 " in problem.message
    assert str(problem).startswith(f"uji.bpmn:{problem.line}: ")


def test_a_search_over_budget_fails_closed(shipped: CompiledDefinition) -> None:
    found = conformance.check(shipped, budget=2)
    assert names(found) == [s.name for s in conformance.SCENARIOS]
    assert all(v.out_of_budget and v.element == "" for v in found)
    problems = conformance.problems_for(shipped, found, shipped.xml, "uji.bpmn")
    assert problems[0].line == line_of_id(shipped.xml, shipped.key)
    assert "tidak dapat diselesaikan dalam batas 2 langkah" in problems[0].message
    assert '"Kekerasan seksual"' in problems[0].message


def test_results_are_cached_by_content(shipped: CompiledDefinition) -> None:
    first = conformance.check(shipped, budget=3)
    first.clear()
    again = compiled_of(BPMN.read_bytes())
    assert again.content_hash == shipped.content_hash
    assert len(conformance.check(again, budget=3)) == len(conformance.SCENARIOS)
    assert (shipped.content_hash, "", 3) in conformance._CACHE


def test_a_process_that_is_no_violence_case_is_not_simulated() -> None:
    lanes = json.loads((PROJECT_ROOT / "processes" / "pengaduan_layanan.lanes.json").read_text())
    compiled = compile_definition(
        (PROJECT_ROOT / "processes" / "pengaduan_layanan.bpmn").read_bytes(), "pengaduan_layanan.bpmn", FORMS, lanes
    )
    assert conformance.check(compiled) == []


def test_submissions_keep_the_screening_truth_and_range_over_decisions() -> None:
    form = {
        "properties": {
            "jenis_kekerasan": {"type": "array", "items": {"type": "string", "enum": ["fisik", "seksual"]}},
            "keputusan": {"type": "string", "enum": ["diterima", "ditolak"]},
            "setuju": {"type": "boolean"},
            "catatan": {"type": "string"},
            "tanggal": {"type": "string", "format": "date"},
            "lampiran": {"type": "string", "format": "file"},
            "aman": {"type": "boolean", "const": True},
            "pihak": {"type": "array", "items": {"type": "object", "properties": {"umur": {"type": "integer"}}}},
        }
    }
    found = conformance.submissions(form, {"jenis_kekerasan": ["seksual"]}, {"keputusan", "setuju", "aman"})
    assert len(found) == 4
    assert {(s["keputusan"], s["setuju"]) for s in found} == {
        ("diterima", True),
        ("diterima", False),
        ("ditolak", True),
        ("ditolak", False),
    }
    assert all(s["jenis_kekerasan"] == ["seksual"] and s["aman"] is True for s in found)
    assert found[0]["catatan"] == "Uji kesesuaian"
    assert found[0]["tanggal"] == "2026-03-02"
    assert found[0]["pihak"] == [{}]
    assert isinstance(found[0]["lampiran"], str)


def test_combinations_are_capped_and_cover_every_value() -> None:
    pools = [[1, 2, 3, 4, 5], [True, False], ["a", "b", "c"]]
    picked = conformance.combinations(pools, cap=6)
    assert len(picked) == 6
    assert picked == conformance.combinations(pools, cap=6)
    for i, pool in enumerate(pools):
        assert {combo[i] for combo in picked} == set(pool)
    assert conformance.choices({"type": "array", "items": {"enum": ["x", "y"]}}) == [[], ["x"], ["y"]]
