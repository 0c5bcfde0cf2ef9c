"""Replay re-runs a case from its events and finds where the record and the re-run part ways."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, text

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import NotFound, PermissionDenied
from engine.legal import conformance
from engine.persistence.models import Case, Event
from engine.replay import STEP_EVENTS, diff, replay
from engine.services import cases as case_service
from engine.services import replays
from engine.services.replays import recorded_events, recorded_tasks
from tests.builders import ACCEPTED_TO_END, TIM, TO_DECISION, Step, application, steps, walk
from tests.engine.test_deploy import deploy_bytes, mutated
from tests.engine.test_paths import PATHS
from tests.tampering import set_payload

People = dict[str, Actor]


def tamper(ctx: EngineContext, sql: str, **params: Any) -> None:
    with ctx.database.engine.begin() as connection:
        connection.execute(text(sql), params)


def event_id(ctx: EngineContext, case_id: Any, seq: int) -> int:
    with ctx.unit_of_work(write=False) as uow:
        return uow.session.scalars(select(Event.id).where(Event.case_id == case_id, Event.seq == seq)).one()


@pytest.mark.parametrize("name", list(PATHS))
def test_every_outcome_path_replays_to_the_stored_state(
    name: str, make_ctx: Callable[[], EngineContext], people: People
) -> None:
    overrides, path, outcome = PATHS[name]
    ctx = make_ctx()
    case = case_service.start_case(ctx, actor=people["ani"], data=application(**overrides))
    walk(make_ctx, people, case, path)
    result = replays.replay_case(make_ctx(), case_ref=case.number).result
    assert result.ok, result.divergence
    assert result.final_checked and result.total_steps == len(result.steps) == 1 + len(path)
    assert [s.element for s in result.steps[1:]] == [s.element for s in path]
    assert result.steps[-1].ready == [] and outcome  # the outcome itself is checked against case_completed


@pytest.mark.parametrize("end", ["withdraw", "stop"])
def test_withdrawn_and_stopped_cases_replay(ctx: EngineContext, people: People, end: str) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM[:2]))
    if end == "withdraw":
        case_service.withdraw_case(ctx, actor=people["ani"], case_ref=case.number, reason="Korban mencabut.")
    else:
        case_service.stop_case(ctx, actor=people["rina"], case_ref=case.number, reason="Ancaman baru.")
    result = replays.replay_case(ctx, case_ref=case.number).result
    assert result.ok, result.divergence
    assert result.steps[-1].type == {"withdraw": "case_withdrawn", "stop": "case_stopped"}[end]
    assert result.steps[-1].ready == []


def test_a_cancelled_case_replays(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan"))
    view = case_service.cancel_case(ctx, actor=people["rina"], case_ref=case.number, reason="Permohonan ganda.")
    assert (view.status, view.outcome, view.tasks) == ("cancelled", None, [])
    result = replays.replay_case(ctx, case_ref=case.number).result
    assert result.ok and result.final_checked and result.steps[-1].type == "case_cancelled"
    with pytest.raises(PermissionDenied):
        case_service.cancel_case(ctx, actor=people["ani"], case_ref=case.number, reason="bukan wewenang")


def test_a_running_case_replays_to_its_saved_workflow(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM[:3]))
    result = replays.replay_case(ctx, case_ref=case.number).result
    assert result.ok and result.final_checked
    assert result.steps[-1].ready == ["Task_pendapat_sosial"]
    assert result.steps[1].opened == ["Task_telaah_permohonan"] and result.steps[2].opened == sorted(TIM)


def test_replay_to_a_step_shows_the_case_as_it_was(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION, *ACCEPTED_TO_END))
    result = replays.replay_case(ctx, case_ref=case.number, to_step=2).result
    assert result.ok and not result.final_checked and len(result.steps) == 2
    first, second = result.steps
    assert (first.type, first.ready) == ("case_started", ["Task_periksa_kelengkapan"])
    assert first.completed == ["StartEvent_layanan", "StartEvent_permohonan"]  # diagram ids only
    assert second.element == "Task_periksa_kelengkapan" and second.actor == "rina"
    assert "Task_periksa_kelengkapan" in second.completed and second.ready == ["Task_telaah_permohonan"]
    assert {"path": "berkas_lengkap", "change": "added", "after": True} in second.changes


def test_an_altered_submission_makes_replay_diverge_at_its_step(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    set_payload(ctx, event_id(ctx, case.id, 2), '{"berkas_lengkap":false,"catatan_kelengkapan":"x"}')
    result = replays.replay_case(ctx, case_ref=case.number).result
    assert not result.ok and result.divergence is not None
    assert (result.divergence.step, result.divergence.seq) == (2, 2)
    assert "Task_lengkapi_berkas" in result.divergence.reason


def test_an_altered_inbox_row_makes_replay_diverge(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    tamper(ctx, "update case_task set element = 'Task_lain' where element = 'Task_telaah_permohonan'")
    divergence = replays.replay_case(ctx, case_ref=case.number).result.divergence
    assert divergence is not None and divergence.step == 2 and "Task_lain" in divergence.reason


def test_an_altered_final_record_makes_replay_diverge(ctx: EngineContext, people: People) -> None:
    from engine import runtime

    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION, *ACCEPTED_TO_END))
    with ctx.database.engine.begin() as connection:
        record = runtime.load_final(connection.execute(text("select record from case_final_record")).scalar_one())
        record["data"]["hasil_mediasi"] = "diubah"
        forged = runtime.encode_final(record)
        connection.execute(text("update case_final_record set record = :r"), {"r": forged})
    result = replays.replay_case(ctx, case_ref=case.number).result
    assert result.divergence is not None and "hasil_mediasi" in result.divergence.reason
    assert result.divergence.step == result.total_steps


def test_a_case_on_version_1_replays_after_version_2_is_deployed(
    ctx: EngineContext, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION))
    # An inverted gateway, unlawful (conformance would refuse it, so it is switched off for this deploy):
    # a version on which the same events must part ways.
    inverted = mutated("memenuhi_syarat_mediasi == True", "memenuhi_syarat_mediasi == False")[0]
    monkeypatch.setattr(conformance, "ensure_lawful", lambda *_args: None)
    assert deploy_bytes(ctx, inverted, lanes=None).version == 2  # type: ignore[attr-defined]
    walk(lambda: ctx, people, case, steps(*ACCEPTED_TO_END))  # the case goes on on its own version
    done = replays.replay_case(ctx, case_ref=case.number)
    assert done.version == 1 and done.result.ok and done.result.final_checked

    # The same events on version 2 part ways: replay really runs the case's own version.
    with ctx.unit_of_work(write=False) as uow:
        row = uow.session.scalars(select(Case).where(Case.id == case.id)).one()
        latest = ctx.definitions.get(uow.session, row.definition_id + 1)
        events, tasks = recorded_events(uow.session, case.id), recorded_tasks(uow.session, case.id)
    stored = replays.Stored("completed", "mediated", final={"data": {}, "tasks": []})
    other = replay(latest.specs, events, tasks, stored, outcomes=latest.catalog.outcomes)
    assert not other.ok


def test_only_auditors_replay_and_others_are_told_apart(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    auditor = replace(people["olga"], username="audi", roles=frozenset({"auditor"}))
    assert replays.replay_case(ctx, case_ref=case.number, actor=auditor).result.ok
    with pytest.raises(PermissionDenied):
        replays.replay_case(ctx, case_ref=case.number, actor=people["ani"])  # may read, may not replay
    with pytest.raises(NotFound):
        replays.replay_case(ctx, case_ref=case.number, actor=people["budi"])  # may not even read


def test_steps_are_the_events_that_move_the_workflow(ctx: EngineContext, people: People) -> None:
    from engine.services import tasks as task_service
    from tests.builders import ready_task

    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    task_id = ready_task(ctx, case.id, "Task_periksa_kelengkapan")
    task_service.claim_task(ctx, actor=people["rina"], task_id=task_id)
    task_service.release_task(ctx, actor=people["rina"], task_id=task_id)
    walk(lambda: ctx, people, case, [Step("Task_periksa_kelengkapan")])
    result = replays.replay_case(ctx, case_ref=case.number).result
    assert result.ok and [s.type for s in result.steps] == ["case_started", "task_completed"]
    assert "task_claimed" not in STEP_EVENTS


def test_diff_names_fields_by_path() -> None:
    before = {"a": 1, "b": {"c": 1, "d": 2}, "gone": True}
    after = {"a": 1, "b": {"c": 2, "d": 2}, "new": [1]}
    assert diff(before, after) == [
        {"path": "b.c", "change": "changed", "before": 1, "after": 2},
        {"path": "gone", "change": "removed", "before": True},
        {"path": "new", "change": "added", "after": [1]},
    ]


def test_cli_replay(
    ctx: EngineContext, people: People, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from cli.main import main

    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    monkeypatch.setenv("MEDIASI_DATABASE_URL", ctx.settings.database_url)
    assert main(["replay", case.number]) == 0
    out = capsys.readouterr().out
    assert "Langkah 3 dari 3" in out and out.strip().splitlines()[-1].startswith("Cocok")
    assert main(["replay", case.number, "--to-step", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and len(report["steps"]) == 2 and report["number"] == case.number
    set_payload(ctx, event_id(ctx, case.id, 2), '{"berkas_lengkap":false,"catatan_kelengkapan":"x"}')
    assert main(["replay", case.number]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "langkah 2" in err
    assert main(["replay", "MED-1999-0001"]) == 1
