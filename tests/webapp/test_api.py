"""The JSON API: every endpoint, its statuses, and the role matrix."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.actors import Actor
from engine.context import EngineContext
from engine.settings import PROJECT_ROOT
from tests.builders import TIM, Step, application
from tests.uploads import resubmit_with_file
from tests.webapp.conftest import Api

ApiFor = Callable[[str], Api]
BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


def start(api: ApiFor, who: str = "ani", **body: Any) -> dict[str, Any]:
    # Confirmed as a new request: the tests file the same victim's request more than once.
    response = api(who).post("/cases", json={"data": application(), "confirm_duplicate": True, **body})
    assert response.status_code == 201, response.json
    return response.json  # type: ignore[no-any-return]


def task_of(case: dict[str, Any], name: str) -> str:
    return next(t["id"] for t in case["tasks"] if t["name"] == name)


def complete(api: ApiFor, who: str, task_id: str, data: dict[str, Any]) -> Any:
    return api(who).post(f"/tasks/{task_id}/complete", json={"data": data})


class TestOpenEndpoints:
    def test_health_and_openapi_need_no_token(self, client: FlaskClient) -> None:
        assert client.get("/api/v1/health").json == {"status": "ok"}
        document = client.get("/api/v1/openapi.json").json
        assert document["openapi"] == "3.1.0"

    def test_openapi_describes_every_route(self, app: Flask, client: FlaskClient) -> None:
        documented = {
            (path, method) for path, ops in client.get("/api/v1/openapi.json").json["paths"].items() for method in ops
        }
        routed = set()
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith("/api/v1/"):
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
                routed |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}  # type: ignore[operator]
        assert routed == documented

    @pytest.mark.parametrize("header", [None, "Bearer", "Bearer salah", "Basic dXNlcjpwdw=="])
    def test_missing_or_invalid_token_is_401_json_never_a_redirect(
        self, client: FlaskClient, header: str | None
    ) -> None:
        response = client.get("/api/v1/tasks", headers={"Authorization": header} if header else {})
        assert response.status_code == 401
        assert response.json["error"] == "unauthenticated" and response.headers["WWW-Authenticate"] == "Bearer"

    def test_unknown_url_and_method_answer_json(self, api: ApiFor) -> None:
        assert api("rina").get("/tidak-ada").status_code == 404
        response = api("rina")("DELETE", "/tasks")
        assert response.status_code == 405 and response.json["error"] == "method_not_allowed"


class TestProcesses:
    def test_list_and_read(self, api: ApiFor) -> None:
        listed = api("ani").get("/processes").json
        assert listed["total"] == 3 and [p["key"] for p in listed["items"]] == [
            "mediasi_kekerasan",
            "pemantauan_kesepakatan",
            "pengaduan_layanan",
        ]
        assert ISO_WITH_OFFSET.match(listed["items"][0]["deployed_at"])
        process = api("ani").get("/processes/mediasi_kekerasan").json
        assert process["version"] == 1 and process["start_form"]["title"] == "Permohonan Bantuan Mediasi"
        assert api("ani").get("/processes/tidak_ada").status_code == 404

    def test_deploy(self, api: ApiFor) -> None:
        xml = BPMN.read_bytes()
        headers = {"Content-Type": "application/xml"}
        assert api("rina").post("/processes", data=xml, headers=headers).status_code == 403
        same = api("olga").post("/processes", data=xml, headers=headers)
        assert (same.status_code, same.json) == (200, {"key": "mediasi_kekerasan", "version": 1})
        changed = xml.replace(b'name="Dirujuk"', b'name="Dirujuk ke APH"')
        new = api("olga").post("/processes", data=changed, headers=headers)
        assert (new.status_code, new.json) == (201, {"key": "mediasi_kekerasan", "version": 2})
        assert api("olga").post("/processes", data=xml, headers={"Content-Type": "text/plain"}).status_code == 400

    def test_bad_diagram_lists_errors_with_lines(self, api: ApiFor) -> None:
        broken = BPMN.read_bytes().replace(b"berkas_lengkap == True", b"${berkas_lengkap}")
        response = api("olga").post("/processes", data=broken, headers={"Content-Type": "application/xml"})
        assert response.status_code == 422 and response.json["error"] == "invalid_bpmn"
        [problem] = response.json["errors"]
        assert problem["line"] > 1 and problem["element"].startswith("Flow_") and "JUEL" in problem["message"]


class TestCases:
    def test_start_read_list(self, api: ApiFor) -> None:
        case = start(api)
        assert case["number"] == "MED-2026-0001" and case["status"] == "open" and case["outcome"] is None
        assert case["process"] == {"key": "mediasi_kekerasan", "version": 1}
        assert [(t["name"], t["lane"], t["state"]) for t in case["tasks"]] == [
            ("Task_periksa_kelengkapan", "Ketua LP-PAR", "ready")
        ]
        assert ISO_WITH_OFFSET.match(case["created_at"])
        assert api("ani").get(f"/cases/{case['id']}").json == case | {"letters_pending": []}
        listed = api("ani").get("/cases").json
        assert (listed["total"], listed["page"], listed["per_page"]) == (1, 1, 20)
        assert api("budi").get("/cases").json["total"] == 0
        assert api("ani").get("/cases?per_page=101").status_code == 422
        assert api("ani").get("/cases?status=aneh").status_code == 422
        assert api("ani").get("/cases?page=x").status_code == 422

    def test_start_refuses_bad_input_with_field_errors(self, api: ApiFor) -> None:
        response = api("ani").post("/cases", json={"data": application(tingkat_bahaya="ekstrem")})
        assert response.status_code == 422 and "tingkat_bahaya" in response.json["errors"]
        response = api("ani").post("/cases", json={"data": application(), "prioritas": "tinggi"})
        assert (response.status_code, response.json["errors"]) == (422, {"prioritas": "Isian tidak dikenal."})
        response = api("ani").post("/cases", data="{bukan json", headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert api("ani").post("/cases", json=["data"]).status_code == 422
        assert api("rina").post("/cases", json={"data": application()}).status_code == 403

    def test_fulltimer_files_for_a_walk_in_applicant(self, api: ApiFor) -> None:
        case = start(api, "dewi", applicant={"nama": "Ibu Warsini", "telepon": "08123456789"})
        assert api("dewi").get(f"/cases/{case['id']}").status_code == 200
        bad = api("dewi").post("/cases", json={"data": application(), "applicant": {"nama": "X", "nik": "1"}})
        assert bad.status_code == 422

    def test_withdraw_and_stop(self, api: ApiFor) -> None:
        case = start(api)
        assert api("budi").post(f"/cases/{case['id']}/withdraw", json={"reason": "x"}).status_code == 404
        assert api("ani").post(f"/cases/{case['id']}/stop", json={"reason": "x"}).status_code == 403
        assert api("ani").post(f"/cases/{case['id']}/withdraw", json={}).status_code == 422
        done = api("ani").post(f"/cases/{case['id']}/withdraw", json={"reason": "Korban mencabut persetujuan."})
        assert (done.status_code, done.json["status"], done.json["outcome"]) == (200, "completed", "withdrawn")
        again = api("rina").post(f"/cases/{case['id']}/stop", json={"reason": "Ancaman."})
        assert again.status_code == 409
        other = start(api)
        stopped = api("rina").post(f"/cases/{other['id']}/stop", json={"reason": "Ancaman baru."})
        assert stopped.json["outcome"] == "withdrawn"

    def test_events_and_documents(self, api: ApiFor) -> None:
        case = start(api)
        task_id = task_of(case, "Task_periksa_kelengkapan")
        sent_back = complete(api, "rina", task_id, {"berkas_lengkap": False, "catatan_kelengkapan": "KTP."}).json
        lengkapi = task_of(sent_back["case"], "Task_lengkapi_berkas")
        upload = api("ani").post(
            f"/tasks/{lengkapi}/files", data={"file": (io.BytesIO(b"%PDF-1.4 ktp"), "ktp.pdf", "application/pdf")}
        )
        assert upload.status_code == 201
        document_id = upload.json["id"]
        events = api("ani").get(f"/cases/{case['id']}/events").json
        assert [e["type"] for e in events] == ["case_started", "task_completed", "document_uploaded"]
        assert events[1] == {
            "seq": 2,
            "type": "task_completed",
            "task": "Task_periksa_kelengkapan",
            "actor": "rina",
            "at": events[1]["at"],
            "data": {"berkas_lengkap": False, "catatan_kelengkapan": "KTP."},
        }
        documents = api("rina").get(f"/cases/{case['id']}/documents").json
        assert [(d["id"], d["kind"], d["filename"]) for d in documents] == [(document_id, "unggahan", "ktp.pdf")]
        content = api("rina").get(f"/documents/{document_id}")
        assert (content.status_code, content.data, content.mimetype) == (200, b"%PDF-1.4 ktp", "application/pdf")
        assert api("budi").get(f"/documents/{document_id}").status_code == 404
        assert api("ani").get(f"/documents/{uuid.uuid4()}").status_code == 404


class TestTasks:
    def test_inbox_detail_claim_release_complete(self, api: ApiFor) -> None:
        case = start(api)
        [task] = api("rina").get("/tasks").json["items"]
        assert (task["case_number"], task["name"], task["claimed_by"], task["due_at"], task["sla_state"]) == (
            case["number"],
            "Task_periksa_kelengkapan",
            None,
            "2026-03-25T07:00:00+00:00",  # filed Tuesday 17 March: 1 working day later, after the holidays
            "segera",
        )
        detail = api("rina").get(f"/tasks/{task['id']}").json
        assert detail["form"]["title"] == "Pemeriksaan Kelengkapan Berkas"
        assert detail["data"]["kategori_perkara"] == "perdata_keluarga"
        assert api("rina").post(f"/tasks/{task['id']}/claim").json["claimed_by"] == "rina"
        assert api("rudi").post(f"/tasks/{task['id']}/claim").status_code == 409
        assert complete(api, "rudi", task["id"], {"berkas_lengkap": True}).status_code == 403
        assert api("rina").post(f"/tasks/{task['id']}/release").json["claimed_by"] is None
        invalid = complete(api, "rudi", task["id"], {"berkas_lengkap": False})
        assert (invalid.status_code, invalid.json["errors"]) == (422, {"catatan_kelengkapan": "Wajib diisi."})
        unknown = complete(api, "rudi", task["id"], {"berkas_lengkap": True, "rahasia": 1})
        assert (unknown.status_code, unknown.json["errors"]) == (422, {"rahasia": "Isian tidak dikenal."})
        assert api("rudi").post(f"/tasks/{task['id']}/complete", json={"data": {}, "x": 1}).status_code == 422
        done = complete(api, "rudi", task["id"], {"berkas_lengkap": True})
        assert done.status_code == 200
        assert [t["name"] for t in done.json["case"]["tasks"]] == ["Task_telaah_permohonan"]
        assert complete(api, "rudi", task["id"], {"berkas_lengkap": True}).status_code == 409
        assert complete(api, "rudi", str(uuid.uuid4()), {"berkas_lengkap": True}).status_code == 404

    def test_wrong_lane_is_403_once_the_case_is_visible(self, api: ApiFor) -> None:
        case = start(api)
        view = complete(api, "rina", task_of(case, "Task_periksa_kelengkapan"), {"berkas_lengkap": True}).json["case"]
        view = complete(
            api, "rina", task_of(view, "Task_telaah_permohonan"), Step("Task_telaah_permohonan").payload()
        ).json["case"]
        assert sorted(t["name"] for t in view["tasks"]) == sorted(TIM)
        psikologis = task_of(view, "Task_pendapat_psikologis")
        assert complete(api, "kadin", psikologis, Step("Task_pendapat_psikologis").payload()).status_code == 404
        assert complete(api, "ani", psikologis, Step("Task_pendapat_psikologis").payload()).status_code == 403

    def test_upload_checks(self, api: ApiFor) -> None:
        case = start(api)
        sent_back = complete(
            api,
            "rina",
            task_of(case, "Task_periksa_kelengkapan"),
            {"berkas_lengkap": False, "catatan_kelengkapan": "KTP."},
        ).json["case"]
        task_id = task_of(sent_back, "Task_lengkapi_berkas")
        files = api("ani").post(
            f"/tasks/{task_id}/files", data={"file": (io.BytesIO(b"MZ"), "a.exe", "application/x-msdownload")}
        )
        assert files.status_code == 422
        assert api("ani").post(f"/tasks/{task_id}/files", json={"file": "x"}).status_code == 400
        assert api("ani").post(f"/tasks/{task_id}/files", data={}).status_code == 400


# -- the matrix: every role against every endpoint --------------------------------------------------------

WHO = ["ani", "budi", "dewi", "rina", "tono", "sari", "kadin", "olga", "audi", "dedi", "adam"]
# Ani's case waits on the Ketua's completeness check; Tim Teknis and Kepala Dinas have not been asked yet.
MATRIX: dict[str, dict[str, int]] = {
    "GET /cases/{case}": {"ani": 200, "rina": 200, "audi": 200},
    "GET /cases/{case}/events": {"ani": 200, "rina": 200, "audi": 200},
    "GET /cases/{case}/documents": {"ani": 200, "rina": 200, "audi": 200},
    "GET /tasks/{task}": {"rina": 200, "ani": 403, "audi": 403},
    "POST /tasks/{task}/claim": {"rina": 200, "ani": 403, "audi": 403},
    "POST /cases/{case}/withdraw": {"ani": 200, "rina": 200, "audi": 403},
    "POST /cases/{case}/stop": {"rina": 200, "ani": 403, "audi": 403},
    "POST /cases": {"ani": 201, "budi": 201, "dewi": 422},  # a fulltimer must name the walk-in applicant
    "GET /tasks": dict.fromkeys(WHO, 200),
    "GET /cases": dict.fromkeys(WHO, 200),
    "GET /processes": dict.fromkeys(WHO, 200),
    "POST /processes": {"olga": 200},
    "GET /processes/mediasi_kekerasan": dict.fromkeys(WHO, 200),
    # The document is ani's own upload (staff's uploads she does not see: test_api_audit).
    "GET /documents/{document}": {"ani": 200, "rina": 200, "audi": 200},
    # The completeness check has no file field: whoever may work it is refused the upload (422).
    "POST /tasks/{task}/files": {"rina": 422, "ani": 403, "audi": 403},
    "POST /tasks/{task}/release": {"rina": 409, "ani": 403, "audi": 403},  # 409: rina has not claimed it
    "POST /tasks/{task}/complete": {"rina": 200, "ani": 403, "audi": 403},
    # Audit: the access log is for the auditor and the dpo (who reads no case content, but may see
    # who did); replay and evidence show everything and are the auditor's alone.
    "GET /cases/{case}/access": {"audi": 200, "dedi": 200, "ani": 403, "rina": 403},
    "GET /cases/{case}/replay": {"audi": 200, "ani": 403, "rina": 403},
    "GET /cases/{case}/chain": {"ani": 200, "rina": 200, "audi": 200},
    "GET /cases/{case}/evidence": {"audi": 200, "ani": 403, "rina": 403},
    "GET /audit/search": {"audi": 200},
    "GET /audit/chains/access": {"audi": 200, "dedi": 200},
    "GET /audit/chains/system": {"audi": 200, "dedi": 200},
    # Version diff and migration: the process owner's.
    "GET /processes/mediasi_kekerasan/diff?from=1&to=1": {"olga": 200},
    "POST /processes/mediasi_kekerasan/migrations": {"olga": 200},
}
DEFAULT = {
    "GET /processes/mediasi_kekerasan/diff?from=1&to=1": 403,
    "POST /processes/mediasi_kekerasan/migrations": 403,
    "POST /cases": 403,
    "POST /processes": 403,
    "GET /audit/search": 403,
    "GET /audit/chains/access": 403,
    "GET /audit/chains/system": 403,
}


@pytest.mark.parametrize("endpoint", list(MATRIX))
@pytest.mark.parametrize("who", WHO)
def test_role_matrix(api: ApiFor, ctx: EngineContext, everyone: dict[str, Actor], who: str, endpoint: str) -> None:
    case = start(api)
    task_id = task_of(case, "Task_periksa_kelengkapan")
    method, path = endpoint.split(" ")
    if "{document}" in path:
        _, document = resubmit_with_file(ctx, everyone, case["id"])
        path = path.replace("{document}", str(document))
    path = path.replace("{case}", case["id"]).replace("{task}", task_id)
    body: dict[str, Any] = {}
    if endpoint in ("POST /cases/{case}/withdraw", "POST /cases/{case}/stop"):
        body = {"json": {"reason": "Uji matriks peran."}}
    elif endpoint == "POST /cases":
        body = {"json": {"data": application(), "confirm_duplicate": True}}  # the same request as `case`
    elif endpoint == "POST /processes":
        body = {"data": BPMN.read_bytes(), "headers": {"Content-Type": "application/xml"}}
    elif endpoint == "POST /tasks/{task}/files":
        body = {"data": {"file": (io.BytesIO(b"%PDF-1.4 ktp"), "ktp.pdf", "application/pdf")}}
    elif endpoint == "POST /tasks/{task}/complete":
        body = {"json": {"data": {"berkas_lengkap": True}}}
    elif endpoint == "POST /processes/mediasi_kekerasan/migrations":
        renamed = BPMN.read_bytes().replace(b'name="Dirujuk"', b'name="Dirujuk ke APH"')
        assert (
            api("olga").post("/processes", data=renamed, headers={"Content-Type": "application/xml"}).status_code == 201
        )
        body = {"json": {"from": 1, "to": 2, "dry_run": True}}
    response = (
        api(who)(method, path, **body)
        if "headers" not in body
        else api(who).client.open(
            f"/api/v1{path}", method=method, data=body["data"], headers={**api(who).headers, **body["headers"]}
        )
    )
    expected = MATRIX[endpoint].get(who, DEFAULT.get(endpoint, 404))
    assert response.status_code == expected, (who, endpoint, response.json)
    if endpoint == "GET /cases":
        visible = {c["number"] for c in response.json["items"]}
        assert (case["number"] in visible) == (who in {"ani", "rina", "audi"})
    if endpoint == "GET /tasks":
        names = {t["case_number"] for t in response.json["items"]}
        assert (case["number"] in names) == (who == "rina")
