"""A step's answer is the case as GET /cases/{id} then shows it, though the step reads nothing after its commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.builders import ACCEPTED_TO_END, TIM, TO_DECISION, WORKER, Step, application
from tests.webapp.conftest import Api

ApiFor = Callable[[str], Api]


def read(api: ApiFor, who: str, case_id: str) -> dict[str, Any]:
    """GET /cases/{id}, without its letters still being rendered (a step's answer does not list them)."""
    response = api(who).get(f"/cases/{case_id}")
    assert response.status_code == 200, response.json
    answer: dict[str, Any] = response.json
    del answer["letters_pending"]
    return answer


def test_every_answer_of_a_whole_case_is_the_case_as_read_back(api: ApiFor) -> None:
    filed = api("ani").post("/cases", json={"data": application()})
    assert filed.status_code == 201, filed.json
    case = filed.json
    assert case == read(api, "rina", case["id"])
    seen_due, seen_clocks, kept_ready = False, False, False
    for element in [*TO_DECISION, *ACCEPTED_TO_END]:
        before = {t["id"] for t in case["tasks"]}
        task_id = next(t["id"] for t in case["tasks"] if t["name"] == element)
        response = api(WORKER[element]).post(f"/tasks/{task_id}/complete", json={"data": Step(element).payload()})
        assert response.status_code == 200, (element, response.json)
        case = response.json["case"]
        assert case == read(api, "rina", case["id"]), element
        seen_due |= case["due_at"] is not None
        seen_clocks |= bool(case["sla_clocks"])
        kept_ready |= bool(before & {t["id"] for t in case["tasks"]})
    assert case["status"] == "completed" and case["due_at"] is None
    # The walk went through what the answer must get right without a read-back: due moments of new
    # tasks, those of tasks ready before the step (the Tim Teknis' parallel opinions), and clocks.
    assert seen_due and seen_clocks and kept_ready


def test_the_answers_of_a_withdrawal_and_a_safety_stop_are_the_case_as_read_back(api: ApiFor) -> None:
    for who, action in (("ani", "withdraw"), ("rina", "stop")):
        case = api("ani").post("/cases", json={"data": application(), "confirm_duplicate": True}).json
        for element in ["Task_periksa_kelengkapan", "Task_telaah_permohonan", TIM[0]]:
            task_id = next(t["id"] for t in case["tasks"] if t["name"] == element)
            case = api(WORKER[element]).post(f"/tasks/{task_id}/complete", json={"data": Step(element).payload()})
            case = case.json["case"]
        response = api(who).post(f"/cases/{case['id']}/{action}", json={"reason": "Alasan uji"})
        assert response.status_code == 200, response.json
        assert response.json["status"] != "open"
        assert response.json == read(api, "rina", case["id"]), action
