"""The API refuses an oversized submission with one error, and caps the field errors it returns."""

from __future__ import annotations

from collections.abc import Callable

from tests.builders import application
from tests.webapp.conftest import Api

ApiFor = Callable[[str], Api]


def test_a_start_form_with_more_than_200_keys_is_one_error(api: ApiFor) -> None:
    data = application() | {f"tambahan_{i}": i for i in range(300)}
    response = api("ani").post("/cases", json={"data": data})
    assert (response.status_code, response.json["error"]) == (422, "invalid_data")
    assert response.json["errors"] == {"_form": f"Data formulir memuat {len(data)} isian; paling banyak 200."}
    assert api("ani").get("/cases").json["total"] == 0


def test_a_task_answers_at_most_50_field_errors_and_counts_the_rest(api: ApiFor) -> None:
    case = api("ani").post("/cases", json={"data": application()}).json
    task_id = next(t["id"] for t in case["tasks"] if t["name"] == "Task_periksa_kelengkapan")
    data = {"berkas_lengkap": True} | {f"rahasia_{i:03}": i for i in range(120)}
    response = api("rina").post(f"/tasks/{task_id}/complete", json={"data": data})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert len(errors) == 51
    items = list(errors.items())
    assert (items[0], items[-1]) == (("rahasia_000", "Isian tidak dikenal."), ("_form", "dan 70 galat lainnya"))
    assert api("rina").get(f"/tasks/{task_id}").json["state"] == "ready"
