"""The API of version diffs and case migrations: the process owner's, JSON in and out."""

from __future__ import annotations

from collections.abc import Callable

from engine.actors import Actor
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import queries as case_queries
from tests.builders import application, steps, walk
from tests.engine.test_migration import deploy, renamed, without_medis
from tests.snapshots import snapshot
from tests.webapp.conftest import Api

ApiFor = Callable[[str], Api]
PATH = "/processes/mediasi_kekerasan"


def test_diff(api: ApiFor, ctx: EngineContext) -> None:
    deploy(ctx, renamed())
    response = api("olga").get(f"{PATH}/diff?from=1&to=2")
    assert response.status_code == 200, response.json
    diff = response.json
    assert (diff["key"], diff["from"], diff["to"], diff["added"], diff["removed"]) == (
        "mediasi_kekerasan",
        1,
        2,
        [],
        [],
    )
    assert diff["changed"] == [
        {
            "id": "Task_pendapat_medis",
            "type": "userTask",
            "name": "Pendapat medis dan visum",
            "changes": ['nama: "Pendapat medis" → "Pendapat medis dan visum"'],
        }
    ]
    assert diff["marks"]["new"] == {"Task_pendapat_medis": "changed"}
    assert api("rina").get(f"{PATH}/diff?from=1&to=2").status_code == 403
    assert api("olga").get(f"{PATH}/diff?from=1&to=7").status_code == 404
    assert api("olga").get("/processes/tidak_ada/diff?from=1&to=2").status_code == 404
    for query in ("from=1", "from=satu&to=2", "from=0&to=2", "from=1&to=99999999999"):
        response = api("olga").get(f"{PATH}/diff?{query}")
        assert response.status_code == 422 and response.json["error"] == "invalid_data", query


def test_dry_run_then_migration(api: ApiFor, ctx: EngineContext, everyone: dict[str, Actor]) -> None:
    early = case_service.start_case(ctx, actor=everyone["ani"], data=application())
    tim = case_service.start_case(ctx, actor=everyone["budi"], data=application())
    walk(lambda: ctx, everyone, tim, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    deploy(ctx, without_medis())
    owner = api("olga")  # its token is made now, before the snapshot

    before = snapshot(ctx)
    response = owner.post(f"{PATH}/migrations", json={"from": 1, "to": 2, "dry_run": True})
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["from"], report["to"], report["dry_run"]) == (1, 2, True)
    assert [(c["number"], c["can_migrate"], c["migrated"]) for c in report["cases"]] == [
        (early.number, True, False),
        (tim.number, False, False),
    ]
    assert report["cases"][0]["case_id"] == str(early.id) and report["cases"][0]["reason"] is None
    assert "Task_pendapat_medis" in report["cases"][1]["reason"]
    assert snapshot(ctx) == before

    refused = owner.post(f"{PATH}/migrations", json={"from": 1, "to": 2, "dry_run": False, "cases": [tim.number]})
    assert refused.status_code == 200 and refused.json["cases"][0]["migrated"] is False
    assert snapshot(ctx) == before

    done = owner.post(f"{PATH}/migrations", json={"from": 1, "to": 2, "dry_run": False}).json
    assert [(c["number"], c["migrated"]) for c in done["cases"]] == [(early.number, True), (tim.number, False)]
    assert case_queries.get_case(ctx, early.number).process_version == 2
    case = api("ani").get(f"/cases/{early.id}").json
    assert case["process"] == {"key": "mediasi_kekerasan", "version": 2}
    events = api("ani").get(f"/cases/{early.id}/events").json
    assert events[-1]["type"] == "case_migrated"


def test_migration_requests_are_checked(api: ApiFor, ctx: EngineContext, everyone: dict[str, Actor]) -> None:
    deploy(ctx, renamed())
    post = api("olga").post
    assert api("tono").post(f"{PATH}/migrations", json={"from": 1, "to": 2, "dry_run": True}).status_code == 403
    assert post(f"{PATH}/migrations", json={"from": 1, "to": 3, "dry_run": True}).status_code == 404
    backwards = post(f"{PATH}/migrations", json={"from": 2, "to": 1, "dry_run": True})
    assert (backwards.status_code, backwards.json["error"]) == (422, "invalid_input")
    for body, field in [
        ({"from": 1, "to": 2}, "dry_run"),
        ({"from": "1", "to": 2, "dry_run": True}, "from"),
        ({"from": 1, "to": True, "dry_run": True}, "to"),
        ({"from": 1, "to": 2, "dry_run": "ya"}, "dry_run"),
        ({"from": 1, "to": 2, "dry_run": True, "cases": "MED-2026-0001"}, "cases"),
        ({"from": 1, "to": 2, "dry_run": True, "cases": [""]}, "cases"),
        ({"from": 1, "to": 2, "dry_run": True, "semua": True}, "semua"),
    ]:
        response = post(f"{PATH}/migrations", json=body)
        assert response.status_code == 422 and field in response.json["errors"], (body, response.json)
    unknown = post(f"{PATH}/migrations", json={"from": 1, "to": 2, "dry_run": True, "cases": ["MED-1999-0001"]})
    assert unknown.json["cases"] == [
        {
            "case_id": None,
            "number": "MED-1999-0001",
            "can_migrate": False,
            "migrated": False,
            "reason": "Kasus tidak ditemukan.",
        }
    ]
    assert post(f"{PATH}/migrations", data="{", headers={"Content-Type": "application/json"}).status_code == 400
