"""API: a supervisor's release and reassignment, and the caller's substitute; JSON errors change nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from engine.actors import Actor
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from tests.builders import application
from tests.snapshots import snapshot
from tests.webapp.conftest import Api

ApiFor = Callable[[str], Api]


@pytest.fixture
def claimed(ctx: EngineContext, everyone: dict[str, Actor]) -> tuple[str, uuid.UUID]:
    """A new case's first task, claimed by rina: (case number, task id)."""
    case = case_service.start_case(ctx, actor=everyone["ani"], data=application())
    task_service.claim_task(ctx, actor=everyone["rina"], task_id=case.tasks[0].id)
    return case.number, case.tasks[0].id


class TestSupervisor:
    def test_release_with_a_reason_and_reassign(
        self, api: ApiFor, ctx: EngineContext, claimed: tuple[str, uuid.UUID]
    ) -> None:
        number, task_id = claimed
        moved = api("adam").post(f"/tasks/{task_id}/reassign", json={"to": "rudi", "reason": "Rina cuti."})
        assert moved.status_code == 200 and moved.json["claimed_by"] == "rudi"
        assert [t["claimed_by"] for t in api("rudi").get("/tasks").json["items"] if t["id"] == str(task_id)] == ["rudi"]
        released = api("rina").post(f"/tasks/{task_id}/release", json={"reason": "Rudi tidak di tempat."})
        assert released.status_code == 200 and released.json["claimed_by"] is None
        events = case_queries.case_events(ctx, number)
        assert [(e.type, e.actor, e.data) for e in events[-2:]] == [
            ("task_reassigned", "adam", {"reason": "Rina cuti.", "from": "rina", "to": "rudi"}),
            ("task_released", "rina", {"reason": "Rudi tidak di tempat.", "from": "rudi", "by_supervisor": True}),
        ]

    @pytest.mark.parametrize(
        ("who", "path", "body", "status", "fields"),
        [
            ("rudi", "reassign", {"to": "tono", "reason": "Cuti."}, 422, {"to"}),
            ("rudi", "reassign", {"to": "rudi", "reason": ""}, 422, {"reason"}),
            ("rudi", "reassign", {"to": "rudi"}, 422, {"reason"}),
            ("rudi", "reassign", {"to": 7, "reason": "Cuti."}, 422, {"to"}),
            ("rudi", "release", {"reason": ""}, 422, {"reason"}),
            ("rudi", "release", {"reason": "Cuti.", "lain": 1}, 422, {"lain"}),
            ("tono", "reassign", {"to": "rudi", "reason": "Cuti."}, 403, None),
            ("ani", "release", {"reason": "Cuti."}, 403, None),
            ("kadin", "release", {"reason": "Cuti."}, 403, None),
            ("audi", "reassign", {"to": "rudi", "reason": "Cuti."}, 403, None),
        ],
    )
    def test_refusals_answer_json_and_change_nothing(
        self,
        api: ApiFor,
        ctx: EngineContext,
        claimed: tuple[str, uuid.UUID],
        who: str,
        path: str,
        body: dict[str, object],
        status: int,
        fields: set[str] | None,
    ) -> None:
        client = api(who)
        before = snapshot(ctx)
        response = client.post(f"/tasks/{claimed[1]}/{path}", json=body)
        assert response.status_code == status, response.json
        assert response.json["message"]
        if fields is not None:
            assert set(response.json["errors"]) == fields
        assert snapshot(ctx) == before

    def test_a_task_nobody_claimed_is_a_conflict(
        self, api: ApiFor, ctx: EngineContext, claimed: tuple[str, uuid.UUID]
    ) -> None:
        api("rina").post(f"/tasks/{claimed[1]}/release")
        response = api("adam").post(f"/tasks/{claimed[1]}/release", json={"reason": "Cuti."})
        assert response.status_code == 409 and response.json["error"] == "conflict"


class TestSubstitute:
    def test_set_show_work_and_clear(self, api: ApiFor, ctx: EngineContext, claimed: tuple[str, uuid.UUID]) -> None:
        empty = api("rina").get("/me/substitute").json
        assert empty["substitute"] is None and [c["username"] for c in empty["choices"]] == ["rudi"]
        until = "2026-03-20T17:00:00+07:00"
        saved = api("rina")("PUT", "/me/substitute", json={"substitute": "rudi", "away_until": until})
        assert saved.status_code == 200 and saved.json["substitute"]["username"] == "rudi"
        assert saved.json["in_force"] is True and saved.json["away_until"] == "2026-03-20T10:00:00+00:00"
        done = api("rudi").post(f"/tasks/{claimed[1]}/complete", json={"data": {"berkas_lengkap": True}})
        assert done.status_code == 200
        cleared = api("rina")("DELETE", "/me/substitute")
        assert cleared.status_code == 200 and cleared.json["substitute"] is None
        assert api("rina")("DELETE", "/me/substitute").status_code == 409

    @pytest.mark.parametrize(
        ("body", "fields"),
        [
            ({"substitute": "rina"}, {"substitute"}),
            ({"substitute": "tono"}, {"substitute"}),
            ({"substitute": 3}, {"substitute"}),
            ({"substitute": "rudi", "away_until": "besok"}, {"away_until"}),
            ({"substitute": "rudi", "away_until": "2026-03-20T17:00:00"}, {"away_until"}),
            ({"substitute": "rudi", "away_until": "2026-03-01T17:00:00+07:00"}, {"away_until"}),
            ({}, {"substitute"}),
        ],
    )
    def test_refused_choices_answer_422_and_change_nothing(
        self, api: ApiFor, ctx: EngineContext, everyone: object, body: dict[str, object], fields: set[str]
    ) -> None:
        client = api("rina")
        before = snapshot(ctx)
        response = client("PUT", "/me/substitute", json=body)
        assert response.status_code == 422 and set(response.json["errors"]) == fields
        assert snapshot(ctx) == before

    def test_people_without_a_lane_are_refused(self, api: ApiFor, everyone: object) -> None:
        assert api("adam")("PUT", "/me/substitute", json={"substitute": "rudi"}).status_code == 403
        assert api("ani").get("/me/substitute").status_code == 403
