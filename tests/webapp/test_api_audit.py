"""The audit API: reads are logged with the reader, replay, chain status, evidence, search, chains."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from engine.actors import Actor
from engine.context import EngineContext
from tests.builders import FORMS
from tests.uploads import resubmit_with_file, staff_upload
from tests.webapp.conftest import Api
from tests.webapp.test_api import complete, start, task_of

ApiFor = Callable[[str], Api]


def access_log(api: ApiFor, case: dict[str, Any]) -> list[dict[str, Any]]:
    response = api("audi").get(f"/cases/{case['id']}/access?per_page=100")
    assert response.status_code == 200, response.json
    return response.json["items"]  # type: ignore[no-any-return]


def test_reads_are_logged_with_the_reader_and_lists_are_not(
    api: ApiFor, ctx: EngineContext, everyone: dict[str, Actor]
) -> None:
    case = start(api)
    checked_again, uploaded = resubmit_with_file(ctx, everyone, case["id"])
    task_id, document_id = str(checked_again), str(uploaded)
    assert access_log(api, case) == []  # filing and uploading are changes, not reads

    api("rina").get("/cases")
    api("rina").get("/tasks")
    assert access_log(api, case) == []  # list pages are not reads of a case

    assert api("rina").get(f"/cases/{case['id']}").status_code == 200
    assert api("rina").get(f"/tasks/{task_id}").status_code == 200
    assert api("budi").get(f"/documents/{document_id}").status_code == 404  # another applicant's case
    assert api("audi").get(f"/documents/{document_id}").status_code == 200
    log = access_log(api, case)
    assert [(a["type"], a["actor"]) for a in reversed(log)] == [
        ("case_read", "rina"),
        ("task_read", "rina"),
        ("document_read", "audi"),
    ]
    assert log[1]["task_id"] == task_id and log[0]["detail"]["document"] == document_id


def test_an_applicant_lists_her_uploads_and_letters_but_not_staff_uploads(
    api: ApiFor, ctx: EngineContext, everyone: dict[str, Actor]
) -> None:
    case = start(api)
    document_id = str(staff_upload(ctx, everyone, case["id"]))  # Sari's, for the Tim Teknis' preparation
    assert document_id not in {d["id"] for d in api("ani").get(f"/cases/{case['id']}/documents").json}
    assert document_id in {d["id"] for d in api("rina").get(f"/cases/{case['id']}/documents").json}
    assert api("ani").get(f"/documents/{document_id}").status_code == 404


def test_refused_reads_are_not_logged_as_reads(api: ApiFor) -> None:
    case = start(api)
    assert api("budi").get(f"/cases/{case['id']}").status_code == 404
    assert api("ani").get(f"/tasks/{task_of(case, 'Task_periksa_kelengkapan')}").status_code == 403
    assert access_log(api, case) == []


def test_replay_over_the_api(api: ApiFor) -> None:
    case = start(api)
    assert complete(api, "rina", task_of(case, "Task_periksa_kelengkapan"), FORMS["Task_periksa_kelengkapan"])
    report = api("audi").get(f"/cases/{case['id']}/replay").json
    assert report["ok"] and report["final_checked"] and report["total_steps"] == 2
    assert [s["type"] for s in report["steps"]] == ["case_started", "task_completed"]
    assert report["steps"][1]["actor"] == "rina" and report["steps"][1]["ready"] == ["Task_telaah_permohonan"]
    partial = api("audi").get(f"/cases/{case['id']}/replay?to_step=1").json
    assert len(partial["steps"]) == 1 and not partial["final_checked"]
    bad = api("audi").get(f"/cases/{case['id']}/replay?to_step=nol")
    assert bad.status_code == 422 and "to_step" in bad.json["errors"]
    assert access_log(api, case)[0]["detail"] == {"view": "replay"}


def test_replay_divergence_over_the_api(api: ApiFor, ctx: EngineContext) -> None:
    case = start(api)
    complete(api, "rina", task_of(case, "Task_periksa_kelengkapan"), FORMS["Task_periksa_kelengkapan"])
    with ctx.database.engine.begin() as connection:
        connection.execute(text("update case_task set opened_seq = 1 where element = 'Task_telaah_permohonan'"))
    report = api("audi").get(f"/cases/{case['id']}/replay").json
    assert not report["ok"] and report["divergence"]["step"] == 1


def test_chain_status_over_the_api(api: ApiFor, ctx: EngineContext) -> None:
    case = start(api)
    status = api("ani").get(f"/cases/{case['id']}/chain").json
    assert status["ok"] and status["events"] == 1 and status["summary"].startswith("Utuh")
    with ctx.database.engine.begin() as connection:
        connection.execute(text("update event set actor = 'penyusup' where chain is null"))
    status = api("ani").get(f"/cases/{case['id']}/chain").json
    assert not status["ok"] and status["first_break"]["seq"] == 1 and "RUSAK" in status["summary"]


def test_evidence_package_holds_everything_and_its_manifest_holds(
    api: ApiFor, ctx: EngineContext, everyone: dict[str, Actor]
) -> None:
    case = start(api)
    task_id, _ = resubmit_with_file(ctx, everyone, case["id"])
    complete(api, "rina", str(task_id), FORMS["Task_periksa_kelengkapan"])
    response = api("audi").get(f"/cases/{case['id']}/evidence")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"bukti-{case['number']}-" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"manifest.json", "events.json", "events.csv", "case.json", "verification.json", "README.txt"} <= names
    assert "process/v1/mediasi_kekerasan.bpmn" in names and "process/v1/lanes.json" in names
    assert "process/v1/forms/periksa_kelengkapan.json" in names
    assert any(n.startswith("documents/") and n.endswith("kuasa.pdf") for n in names)

    manifest_bytes = archive.read("manifest.json")
    assert hashlib.sha256(manifest_bytes).hexdigest() == response.headers["X-Manifest-SHA256"]
    manifest = json.loads(manifest_bytes)
    assert {f["path"] for f in manifest["files"]} == names - {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]

    events = json.loads(archive.read("events.json"))
    assert [e["type"] for e in events] == [
        "case_started",
        "task_completed",
        "document_uploaded",
        "task_completed",
        "task_completed",
    ]
    assert events[1]["prev_hash"] == events[0]["hash"]
    rows = list(csv.DictReader(io.StringIO(archive.read("events.csv").decode("utf-8-sig"))))
    assert [r["hash"] for r in rows] == [e["hash"] for e in events]
    assert json.loads(rows[2]["payload"]) == events[2]["payload"]
    verification = json.loads(archive.read("verification.json"))
    assert verification["chain"]["ok"] and verification["replay"]["ok"]

    exported = access_log(api, case)[0]
    assert exported["type"] == "evidence_exported" and exported["actor"] == "audi"
    assert exported["detail"]["manifest_sha256"] == response.headers["X-Manifest-SHA256"]


def test_search_by_actor_task_and_days(api: ApiFor) -> None:
    first, second = start(api), start(api, "budi")
    complete(api, "rina", task_of(first, "Task_periksa_kelengkapan"), FORMS["Task_periksa_kelengkapan"])

    def numbers(query: str) -> list[str]:
        response = api("audi").get(f"/audit/search?{query}")
        assert response.status_code == 200, response.json
        return [hit["number"] for hit in response.json["items"]]

    assert numbers("actor=rina") == [first["number"]]
    assert sorted(numbers("task=Task_periksa_kelengkapan")) == [first["number"]]
    assert sorted(numbers("")) == sorted([first["number"], second["number"]])
    assert sorted(numbers("since=2026-03-17&until=2026-03-17")) == sorted([first["number"], second["number"]])
    assert numbers("until=2026-03-16") == [] and numbers("since=2026-03-18") == []
    bad = api("audi").get("/audit/search?since=17-03-2026")
    assert bad.status_code == 422 and "since" in bad.json["message"]
    reversed_range = api("audi").get("/audit/search?since=2026-03-18&until=2026-03-17")
    assert reversed_range.status_code == 422


@pytest.mark.parametrize("chain", ["access", "system"])
def test_the_shared_chains_are_listed_for_the_dpo(api: ApiFor, chain: str) -> None:
    case = start(api)
    api("rina").get(f"/cases/{case['id']}")
    page = api("dedi").get(f"/audit/chains/{chain}").json
    types = [e["type"] for e in page["items"]]
    if chain == "access":
        assert types == ["case_read"] and page["items"][0]["subject"] == case["number"]
    else:
        assert "user_created" in types and "process_deployed" in types
    assert all(len(e["hash"]) == 64 for e in page["items"])
    assert api("dedi").get("/audit/chains/lain").status_code == 404
