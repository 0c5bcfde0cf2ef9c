"""The legal invariants over the JSON API: the same refusals, as JSON with field errors, changing nothing."""

from __future__ import annotations

from collections.abc import Callable

from engine.settings import PROJECT_ROOT
from tests.builders import application
from tests.builders import screening as review
from tests.webapp.conftest import Api

ApiFor = Callable[[str], Api]
BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"


def test_deploying_a_version_that_mediates_sexual_violence_is_422_with_the_line(api: ApiFor) -> None:
    permissive = BPMN.read_bytes().replace(b'"seksual" not in jenis_kekerasan and ', b"", 1)
    response = api("olga").post("/processes", data=permissive, headers={"Content-Type": "application/xml"})
    assert response.status_code == 422 and response.json["error"] == "invalid_bpmn"
    messages = [(p["line"], p["message"]) for p in response.json["errors"]]
    assert any(line and "Kekerasan seksual" in message for line, message in messages), messages
    assert api("olga").get("/processes/mediasi_kekerasan").json["version"] == 1


def test_the_ketua_unticking_sexual_violence_over_the_api_is_422_then_waits_for_four_eyes(api: ApiFor) -> None:
    case = api("ani").post("/cases", json={"data": application(jenis_kekerasan=["seksual", "psikis"])}).json
    [check] = api("rina").get("/tasks").json["items"]
    api("rina").post(f"/tasks/{check['id']}/complete", json={"data": {"berkas_lengkap": True}})
    [telaah] = [t for t in api("rina").get("/tasks").json["items"] if t["case_number"] == case["number"]]
    untick = review(jenis_kekerasan=["psikis"])
    refused = api("rina").post(f"/tasks/{telaah['id']}/complete", json={"data": untick})
    assert refused.status_code == 422
    assert {"jenis_kekerasan", "kode_alasan_koreksi", "alasan_koreksi"} <= set(refused.json["errors"])
    reason = {"kode_alasan_koreksi": "salah_isi_permohonan", "alasan_koreksi": "Pemohon salah mencentang."}
    held = api("rina").post(f"/tasks/{telaah['id']}/complete", json={"data": {**untick, **reason}})
    assert held.status_code == 200
    assert [t["name"] for t in held.json["case"]["tasks"]] == ["konfirmasi_koreksi_skrining"]
    assert api("rina").post(f"/tasks/{telaah['id']}/complete", json={"data": untick}).status_code == 409
    [confirm] = [t for t in api("kadin").get("/tasks").json["items"] if t["case_number"] == case["number"]]
    assert confirm["name"] == "konfirmasi_koreksi_skrining"
    shown = api("kadin").get(f"/tasks/{confirm['id']}").json
    assert shown["form"]["title"] == "Konfirmasi Koreksi Skrining" and shown["correction"]["status"] == "menunggu"
    assert shown["correction"]["changes"] == [
        {
            "field": "jenis_kekerasan",
            "title": "Jenis kekerasan",
            "before": "Kekerasan seksual, Kekerasan psikis",
            "after": "Kekerasan psikis",
        }
    ]
    assert api("rina").post(f"/tasks/{confirm['id']}/complete", json={"data": {}}).status_code == 403
    decided = api("kadin").post(
        f"/tasks/{confirm['id']}/complete",
        json={"data": {"keputusan_koreksi": "ditolak", "catatan_konfirmasi": "Korban menyebut kekerasan seksual."}},
    )
    assert decided.status_code == 200 and [t["name"] for t in decided.json["case"]["tasks"]] == [
        "Task_telaah_permohonan"
    ]
