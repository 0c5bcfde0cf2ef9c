"""GET /api/v1/incidents and POST /api/v1/incidents/<id>/retry: process owners and administrators only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.services import deploy as deploy_service
from engine.services.timers import fire_due
from tests.conftest import OPERATOR
from tests.engine.test_deploy import LANES
from tests.engine.test_incidents import AFTER, CAUSE, REMINDER, at_decision, failing_reminder, patched_script
from tests.webapp.conftest import Api

ApiFor = Callable[[str], Api]


@pytest.fixture
def failed(ctx: EngineContext, clock: FixedClock, everyone: dict[str, Actor]) -> Any:
    """A case whose first reminder's step has failed once."""
    deploy_service.deploy(ctx, actor=OPERATOR, xml=failing_reminder(), filename="uji.bpmn", lane_roles=LANES)
    case = at_decision(ctx, everyone)
    clock.set(AFTER)
    fire_due(ctx)
    return case


def test_the_list_is_empty_when_nothing_failed(api: ApiFor) -> None:
    response = api("olga").get("/incidents")
    assert (response.status_code, response.json) == (200, [])


def test_the_process_owner_lists_the_open_incidents(api: ApiFor, failed: Any) -> None:
    response = api("olga").get("/incidents")
    assert response.status_code == 200
    (incident,) = response.json
    assert CAUSE in incident.pop("error") and isinstance(incident.pop("id"), int)
    assert incident == {
        "case_id": str(failed.id),
        "case_number": failed.number,
        "element": REMINDER,
        "kind": "timer",
        "first_at": AFTER.isoformat(),
        "last_at": AFTER.isoformat(),
        "retries": 1,
        "resolved_at": None,
        "resolved_by": None,
    }
    assert api("adam").get("/incidents").json == response.json


@pytest.mark.parametrize("who", ["rina", "ani", "audi"])
def test_other_roles_are_forbidden(api: ApiFor, failed: Any, who: str) -> None:
    (incident,) = api("olga").get("/incidents").json
    for response in (api(who).get("/incidents"), api(who).post(f"/incidents/{incident['id']}/retry")):
        assert response.status_code == 403 and response.json["error"] == "forbidden"


def test_without_a_token_it_is_401(client: Any, failed: Any) -> None:
    assert client.get("/api/v1/incidents").status_code == 401


def test_an_unknown_incident_is_404_json(api: ApiFor, failed: Any) -> None:
    for path in ("/incidents/999999/retry", f"/incidents/{2**40}/retry"):
        response = api("olga").post(path)
        assert (response.status_code, response.json["error"]) == (404, "not_found")


def test_retry_reports_failure_then_success_after_the_fix(ctx: EngineContext, api: ApiFor, failed: Any) -> None:
    (incident,) = api("olga").get("/incidents").json
    path = f"/incidents/{incident['id']}/retry"
    again = api("olga").post(path)
    assert again.status_code == 200
    assert (again.json["outcome"], again.json["succeeded"], again.json["incident"]["retries"]) == ("gagal", False, 2)
    assert CAUSE in again.json["error"]

    with patched_script(ctx, failed.id):
        done = api("olga").post(path)
    assert done.status_code == 200
    assert (done.json["outcome"], done.json["succeeded"], done.json["error"]) == ("berhasil", True, None)
    assert (done.json["incident"]["resolved_at"], done.json["incident"]["resolved_by"]) == (AFTER.isoformat(), "olga")
    assert api("olga").get("/incidents").json == []
    resolved = api("olga").post(path)
    assert (resolved.status_code, resolved.json["error"]) == (409, "conflict")
