"""Version diff and case migration: what changed between versions, which cases may move, and moving them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.bpmn.diff import diff_versions
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.events import canonical_json
from engine.persistence.models import Case, CaseTask, Event, ProcessDefinition
from engine.services import audit, migration, replays
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from tests.builders import ACCEPTED_TO_END, TIM, application, ready_task, steps, walk
from tests.conftest import OPERATOR
from tests.engine.test_deploy import LANES, ORIGINAL, deploy_bytes
from tests.snapshots import snapshot
from tests.tampering import set_payload

People = dict[str, Actor]
KEY = "mediasi_kekerasan"


# -- changed copies of the shipped diagram ---------------------------------------------------------


def renamed(xml: str = ORIGINAL) -> str:
    """Task_pendapat_medis gets a new name."""
    return xml.replace('name="Pendapat medis"', 'name="Pendapat medis dan visum"', 1)


def without_medis(xml: str = ORIGINAL) -> str:
    """The medical opinion is no longer asked for: its task, flows, lane entry and shapes are gone."""
    xml = re.sub(r'\s*<bpmn:userTask id="Task_pendapat_medis".*?</bpmn:userTask>', "", xml, flags=re.S)
    xml = re.sub(r'\s*<bpmn:sequenceFlow id="Flow_\w*medis\w*"[^>]*/>', "", xml)
    xml = re.sub(r"\s*<bpmn:(flowNodeRef|incoming|outgoing)>\w*medis\w*</bpmn:\1>", "", xml)
    xml = re.sub(r'\s*<bpmndi:BPMN(Shape|Edge) id="\w*medis\w*_di".*?</bpmndi:BPMN\1>', "", xml, flags=re.S)
    assert "pendapat_medis" not in xml
    return xml


def with_review(xml: str = ORIGINAL) -> str:
    """A new secretary's review of the documents between preparing them and the mediation."""
    task = (
        '<bpmn:userTask id="Task_periksa_dokumen" name="Periksa ulang dokumen mediasi">'
        "<bpmn:extensionElements><spiffworkflow:properties>"
        '<spiffworkflow:property name="formJsonSchemaFilename" value="siapkan_dokumen.json" />'
        '<spiffworkflow:property name="candidateGroups" value="sekretaris" />'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        "<bpmn:incoming>Flow_siapkan_dokumen__laksanakan_mediasi</bpmn:incoming>"
        "<bpmn:outgoing>Flow_periksa_dokumen__laksanakan_mediasi</bpmn:outgoing>"
        "</bpmn:userTask>"
        '<bpmn:sequenceFlow id="Flow_periksa_dokumen__laksanakan_mediasi" sourceRef="Task_periksa_dokumen" '
        'targetRef="Task_laksanakan_mediasi" />'
    )
    xml = xml.replace(
        'sourceRef="Task_siapkan_dokumen" targetRef="Task_laksanakan_mediasi"',
        'sourceRef="Task_siapkan_dokumen" targetRef="Task_periksa_dokumen"',
    )
    xml = xml.replace(
        "<bpmn:incoming>Flow_siapkan_dokumen__laksanakan_mediasi</bpmn:incoming>\n        <bpmn:outgoing>"
        "Flow_laksanakan_mediasi__dokumentasi",
        "<bpmn:incoming>Flow_periksa_dokumen__laksanakan_mediasi</bpmn:incoming>\n        <bpmn:outgoing>"
        "Flow_laksanakan_mediasi__dokumentasi",
    )
    xml = xml.replace(
        "<bpmn:flowNodeRef>Task_dokumentasi</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>Task_dokumentasi"
        "</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_periksa_dokumen</bpmn:flowNodeRef>",
    )
    return xml.replace("</bpmn:subProcess>", task + "</bpmn:subProcess>", 1)


def moved(xml: str = ORIGINAL) -> str:
    """Only the layout: the completeness check's shape moves to the right."""
    old = '<dc:Bounds x="500" y="315" width="100" height="80" />'
    assert xml.count(old) == 1
    return xml.replace(old, '<dc:Bounds x="520" y="315" width="100" height="80" />')


def deploy(ctx: EngineContext, xml: str, lanes: dict[str, list[str]] | None = None) -> int:
    version: int = deploy_bytes(ctx, xml.encode(), lanes or LANES).version  # type: ignore[attr-defined]
    return version


def ids(entries: list[Any]) -> set[str]:
    return {e.id for e in entries}


# -- the diff -------------------------------------------------------------------------------------------


def test_a_renamed_task_is_changed() -> None:
    diff = diff_versions(ORIGINAL, renamed())
    assert (diff.added, diff.removed, diff.moved) == ([], [], [])
    [entry] = diff.changed
    assert (entry.id, entry.type, entry.name) == ("Task_pendapat_medis", "userTask", "Pendapat medis dan visum")
    assert entry.changes == ('nama: "Pendapat medis" → "Pendapat medis dan visum"',)


def test_an_added_task_is_added_and_its_neighbours_changed() -> None:
    diff = diff_versions(ORIGINAL, with_review())
    assert ids(diff.added) == {"Task_periksa_dokumen", "Flow_periksa_dokumen__laksanakan_mediasi"}
    assert diff.removed == []
    changes = {e.id: e.changes for e in diff.changed}
    assert changes["Flow_siapkan_dokumen__laksanakan_mediasi"] == (
        'tujuan: "Task_laksanakan_mediasi" → "Task_periksa_dokumen"',
    )
    assert changes["Task_laksanakan_mediasi"] == (
        "alur masuk: ditambah Flow_periksa_dokumen__laksanakan_mediasi; "
        "dihapus Flow_siapkan_dokumen__laksanakan_mediasi",
    )
    added = next(e for e in diff.added if e.id == "Task_periksa_dokumen")
    assert (added.type, added.name) == ("userTask", "Periksa ulang dokumen mediasi")


def test_a_removed_task_is_removed_with_its_flows() -> None:
    diff = diff_versions(ORIGINAL, without_medis())
    assert ids(diff.removed) == {
        "Task_pendapat_medis",
        "Flow_split_tim__pendapat_medis",
        "Flow_pendapat_medis__join_tim",
    }
    assert diff.added == []
    assert ids(diff.changed) == {"Gateway_split_tim", "Gateway_join_tim"}
    assert diff.marks()["old"]["Task_pendapat_medis"] == "removed"


def test_a_moved_shape_alone_is_not_a_change() -> None:
    diff = diff_versions(ORIGINAL, moved())
    assert diff.empty and (diff.added, diff.removed, diff.changed) == ([], [], [])
    assert ids(diff.moved) == {"Task_periksa_kelengkapan"}
    assert diff.marks() == {"old": {"Task_periksa_kelengkapan": "moved"}, "new": {"Task_periksa_kelengkapan": "moved"}}


def test_conditions_forms_lanes_and_timers_are_described() -> None:
    changed = ORIGINAL.replace("berkas_lengkap == True", "berkas_lengkap == True and True", 1)
    changed = changed.replace('value="periksa_kelengkapan.json"', 'value="telaah_permohonan.json"', 1)
    changed = changed.replace("<bpmn:flowNodeRef>Task_lengkapi_berkas</bpmn:flowNodeRef>", "", 1).replace(
        "<bpmn:flowNodeRef>Task_telaah_permohonan</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>Task_telaah_permohonan</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>Task_lengkapi_berkas</bpmn:flowNodeRef>",
        1,
    )
    changes = {e.id: e.changes for e in diff_versions(ORIGINAL, changed).changed}
    assert changes == {
        "Flow_berkas_lengkap__telaah_permohonan": (
            'kondisi: "berkas_lengkap == True" → "berkas_lengkap == True and True"',
        ),
        "Task_periksa_kelengkapan": ('formulir: "periksa_kelengkapan.json" → "telaah_permohonan.json"',),
        "Task_lengkapi_berkas": ('lajur: "Pemohon" → "Ketua LP-PAR"',),
    }


def test_the_service_diff_names_versions_and_counts_form_contents(ctx: EngineContext, deployed: object) -> None:
    deploy(ctx, renamed())
    diff = migration.version_diff(ctx, key=KEY, from_version=1, to_version=2)
    assert ids(diff.changed) == {"Task_pendapat_medis"}
    widened = {**LANES, "Kepala Dinas": ["kepala_dinas", "ketua_lppar"]}
    deploy(ctx, renamed(), widened)
    roles = {e.id: e.changes for e in migration.version_diff(ctx, key=KEY, from_version=2, to_version=3).changed}
    assert roles["Task_keputusan_kadin"] == ("peran: kepala_dinas → kepala_dinas, ketua_lppar",)
    with pytest.raises(NotFound):
        migration.version_diff(ctx, key=KEY, from_version=1, to_version=9)
    with pytest.raises(NotFound):
        migration.version_diff(ctx, key="tidak_ada", from_version=1, to_version=2)
    with pytest.raises(PermissionDenied):
        migration.version_diff(
            ctx, key=KEY, from_version=1, to_version=2, actor=Actor("rina", frozenset({"ketua_lppar"}), 4)
        )


# -- dry run and migration ---------------------------------------------------------------------------


def two_cases(ctx: EngineContext, people: People) -> tuple[CaseView, CaseView]:
    """One case waiting on the completeness check, one waiting on the Tim Teknis opinions (medis among them)."""
    early = case_service.start_case(ctx, actor=people["ani"], data=application())
    tim = case_service.start_case(ctx, actor=people["budi"], data=application())
    walk(lambda: ctx, people, tim, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", "Task_pendapat_hukum"))
    return early, tim


def test_dry_run_lists_who_can_move_and_why_not(ctx: EngineContext, people: People) -> None:
    early, tim = two_cases(ctx, people)
    closed = case_service.start_case(ctx, actor=people["ani"], data=application())
    case_service.withdraw_case(ctx, actor=people["ani"], case_ref=closed.number, reason="Korban mencabut.")
    assert deploy(ctx, without_medis()) == 2
    before = snapshot(ctx)
    plans = migration.plan_migration(ctx, actor=people["olga"], key=KEY, from_version=1, to_version=2)
    assert snapshot(ctx) == before  # a dry run changes nothing
    assert [(p.number, p.can_migrate) for p in plans] == [(early.number, True), (tim.number, False)]
    reason = plans[1].reason or ""
    assert "menunggu pada 'Pendapat medis' (Task_pendapat_medis)" in reason and "versi 2" in reason
    named = migration.plan_migration(
        ctx, actor=OPERATOR, key=KEY, from_version=1, to_version=2, case_refs=[closed.number, "MED-1999-0001"]
    )
    assert [(p.can_migrate, p.reason) for p in named] == [
        (False, f"Kasus {closed.number} sudah selesai."),
        (False, "Kasus tidak ditemukan."),
    ]


def test_only_a_process_owner_migrates_and_only_forward(ctx: EngineContext, people: People) -> None:
    deploy(ctx, renamed())
    for who in ("rina", "ani", "kadin"):
        with pytest.raises(PermissionDenied):
            migration.plan_migration(ctx, actor=people[who], key=KEY, from_version=1, to_version=2)
        with pytest.raises(PermissionDenied):
            migration.migrate_cases(ctx, actor=people[who], key=KEY, from_version=1, to_version=2)
    with pytest.raises(InvalidInput):
        migration.migrate_cases(ctx, actor=people["olga"], key=KEY, from_version=2, to_version=1)
    with pytest.raises(NotFound):
        migration.migrate_cases(ctx, actor=people["olga"], key=KEY, from_version=1, to_version=3)


def test_a_refused_case_is_left_byte_identical(ctx: EngineContext, people: People) -> None:
    _, tim = two_cases(ctx, people)
    deploy(ctx, without_medis())
    before = snapshot(ctx)
    [result] = migration.migrate_cases(
        ctx, actor=people["olga"], key=KEY, from_version=1, to_version=2, case_refs=[tim.number]
    )
    assert (result.number, result.migrated) == (tim.number, False)
    assert "Task_pendapat_medis" in (result.reason or "")
    assert snapshot(ctx) == before


def test_a_migrated_case_runs_on_the_new_version_to_its_outcome(
    make_ctx: Callable[[], EngineContext], ctx: EngineContext, people: People
) -> None:
    early, tim = two_cases(ctx, people)
    waiting = ready_task(ctx, early.id, "Task_periksa_kelengkapan")
    deploy(ctx, without_medis())
    results = migration.migrate_cases(make_ctx(), actor=people["olga"], key=KEY, from_version=1, to_version=2)
    assert [(r.number, r.migrated) for r in results] == [(early.number, True), (tim.number, False)]

    moved_case = case_queries.get_case(ctx, early.number)
    assert moved_case.process_version == 2
    assert [(t.id, t.element) for t in moved_case.tasks] == [(waiting, "Task_periksa_kelengkapan")]  # same task
    assert case_queries.get_case(ctx, tim.number).process_version == 1
    events = case_queries.case_events(ctx, early.number)
    migrated = [e for e in events if e.type == "case_migrated"]
    assert len(migrated) == 1 and migrated[0].actor == "olga"
    with ctx.unit_of_work(write=False) as uow:
        v1, v2 = sorted(uow.session.scalars(select(Case.definition_id).distinct()))
    assert migrated[0].data == {"from": {"id": v1, "version": 1}, "to": {"id": v2, "version": 2}}

    others = [t for t in TIM if t != "Task_pendapat_medis"]
    path = steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *others, "Task_rekomendasi_ketua")
    done = walk(make_ctx, people, moved_case, [*path, *steps(*ACCEPTED_TO_END)])
    assert (done.status, done.outcome) == ("completed", "mediated")

    assert audit.verify(ctx).ok
    replayed = replays.replay_case(make_ctx(), case_ref=early.number)
    assert replayed.result.ok, replayed.result.divergence
    assert replayed.result.final_checked and replayed.version == 2
    assert [s.type for s in replayed.result.steps][:2] == ["case_started", "case_migrated"]


def test_a_running_migrated_case_replays_to_its_saved_workflow(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM[:2]))
    deploy(ctx, renamed())
    [result] = migration.migrate_cases(ctx, actor=OPERATOR, key=KEY, from_version=1, to_version=2)
    assert result.migrated, result.reason
    walk(lambda: ctx, people, case, steps("Task_pendapat_medis"))
    replayed = replays.replay_case(ctx, case_ref=case.number).result
    assert replayed.ok and replayed.final_checked, replayed.divergence
    assert replayed.steps[-1].ready == ["Task_pendapat_sosial"]


def test_new_roles_are_carried_into_the_inbox_unless_the_task_is_claimed(ctx: EngineContext, people: People) -> None:
    free = case_service.start_case(ctx, actor=people["ani"], data=application())
    taken = case_service.start_case(ctx, actor=people["budi"], data=application())
    task_service.claim_task(ctx, actor=people["rina"], task_id=ready_task(ctx, taken.id, "Task_periksa_kelengkapan"))
    deploy(ctx, ORIGINAL, {**LANES, "Ketua LP-PAR": ["ketua_lppar", "kepala_dinas"]})
    results = migration.migrate_cases(ctx, actor=OPERATOR, key=KEY, from_version=1, to_version=2)
    assert [(r.number, r.migrated) for r in results] == [(free.number, True), (taken.number, False)]
    assert "sedang diambil" in (results[1].reason or "")
    with ctx.unit_of_work(write=False) as uow:
        roles = dict(uow.session.execute(select(CaseTask.case_id, CaseTask.candidate_roles)).all())
    assert roles == {free.id: " kepala_dinas ketua_lppar ", taken.id: " ketua_lppar "}
    assert [t.element for t in task_service.list_tasks(ctx, actor=people["kadin"])] == ["Task_periksa_kelengkapan"]


def test_a_changed_form_of_a_waiting_task_is_refused(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    swapped = ORIGINAL.replace('value="periksa_kelengkapan.json"', 'value="lengkapi_berkas.json"', 1)
    deploy(ctx, swapped)
    [plan] = migration.plan_migration(ctx, actor=OPERATOR, key=KEY, from_version=1, to_version=2)
    assert (plan.number, plan.can_migrate) == (case.number, False)
    assert "Formulir tugas 'Periksa kelengkapan berkas' berubah" in (plan.reason or "")


def test_a_case_that_moved_on_meanwhile_is_not_migrated(
    make_ctx: Callable[[], EngineContext], ctx: EngineContext, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step lands between preparing the migration and writing it: the version counter refuses the write."""
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    deploy(ctx, renamed())
    real = migration.migrate_workflow

    def meanwhile(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)
        walk(make_ctx, people, case, steps("Task_periksa_kelengkapan"))

    monkeypatch.setattr(migration, "migrate_workflow", meanwhile)
    [result] = migration.migrate_cases(make_ctx(), actor=OPERATOR, key=KEY, from_version=1, to_version=2)
    assert not result.migrated and "baru saja diubah" in (result.reason or "")
    view = case_queries.get_case(ctx, case.number)
    assert view.process_version == 1 and [t.element for t in view.tasks] == ["Task_telaah_permohonan"]
    assert "case_migrated" not in {e.type for e in case_queries.case_events(ctx, case.number)}
    monkeypatch.setattr(migration, "migrate_workflow", real)
    [again] = migration.migrate_cases(make_ctx(), actor=OPERATOR, key=KEY, from_version=1, to_version=2)
    assert again.migrated and replays.replay_case(ctx, case_ref=case.number).result.ok


def test_replay_follows_the_recorded_migration(ctx: EngineContext, people: People) -> None:
    """A migration event that names the wrong target makes replay part ways: it really re-migrates."""
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    deploy(ctx, without_medis())
    assert migration.migrate_cases(ctx, actor=OPERATOR, key=KEY, from_version=1, to_version=2)[0].migrated
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    assert replays.replay_case(ctx, case_ref=case.number).result.ok
    with ctx.unit_of_work(write=False) as uow:
        event = uow.session.scalars(select(Event).where(Event.case_id == case.id, Event.type == "case_migrated")).one()
        v1 = uow.session.scalars(
            select(ProcessDefinition.id).where(ProcessDefinition.key == KEY, ProcessDefinition.version == 1)
        ).one()
    set_payload(ctx, event.id, canonical_json({"from": {"id": v1, "version": 1}, "to": {"id": v1, "version": 1}}))
    divergence = replays.replay_case(ctx, case_ref=case.number).result.divergence
    assert divergence is not None and divergence.step == 4  # the review opens the opinions, medis again
    assert "Task_pendapat_medis" in divergence.reason
    assert not audit.verify(ctx, case_ref=case.number).ok


def test_the_evidence_of_a_migrated_case_holds_every_version_it_ran_on(ctx: EngineContext, people: People) -> None:
    import io
    import json
    import zipfile

    from engine.services import evidence

    early, _ = two_cases(ctx, people)
    deploy(ctx, without_medis())
    migration.migrate_cases(ctx, actor=people["olga"], key=KEY, from_version=1, to_version=2)
    package = evidence.export_evidence(ctx, actor=Actor.operator("cli:test"), case_ref=early.number)
    archive = zipfile.ZipFile(io.BytesIO(package.content))
    names = set(archive.namelist())
    assert {f"process/v1/{KEY}.bpmn", f"process/v2/{KEY}.bpmn"} <= names
    assert "Task_pendapat_medis" in archive.read(f"process/v1/{KEY}.bpmn").decode()
    assert "Task_pendapat_medis" not in archive.read(f"process/v2/{KEY}.bpmn").decode()
    verification = json.loads(archive.read("verification.json"))
    assert verification["chain"]["ok"] and verification["replay"]["ok"]
