"""The Ketua LP-PAR closes a case filed twice as "duplikat": the page, the API, and who may."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import Case, User
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.builders import application
from tests.webapp.conftest import PASSWORD, Api, signed_in


@pytest.fixture
def two(ctx: EngineContext, people: dict[str, Actor]) -> tuple[Any, Any]:
    """One request filed twice; everyone gets a password."""
    with ctx.unit_of_work() as uow:
        for user in uow.session.scalars(select(User)):
            user.password_hash = user_service.hash_password(PASSWORD)
    first = case_service.start_case(ctx, actor=people["ani"], data=application())
    return first, case_service.start_case(ctx, actor=people["ani"], data=application())


def state(ctx: EngineContext, case_id: Any) -> tuple[str, str | None, int]:
    with ctx.unit_of_work(write=False) as uow:
        case = uow.session.get_one(Case, case_id)
        return case.status, case.outcome, case.version


class TestPage:
    def test_the_ketua_closes_a_duplicate_from_the_case_page(
        self, web: Flask, ctx: EngineContext, two: tuple[Any, Any]
    ) -> None:
        first, second = two
        rina = signed_in(web, "rina")
        case_page = f"/kasus/{second.id}"
        assert f'href="{case_page}/duplikat"' in rina.get(case_page).get_data(as_text=True)
        form = rina.get(f"{case_page}/duplikat")
        assert form.status_code == 200 and 'name="asal"' in form.get_data(as_text=True)
        before = state(ctx, second.id)
        refused = rina.post(f"{case_page}/duplikat", data={"asal": second.number, "alasan": ""})
        page = refused.get_data(as_text=True)
        assert (
            refused.status_code == 422 and 'id="duplikat-asal-galat"' in page and 'id="duplikat-alasan-galat"' in page
        )
        assert "dirinya sendiri" in page and "Alasan wajib diisi" in page and state(ctx, second.id) == before
        done = rina.post(f"{case_page}/duplikat", data={"asal": first.number.lower(), "alasan": "Diajukan dua kali."})
        assert done.status_code == 302 and done.headers["Location"] == case_page
        shown = rina.get(case_page).get_data(as_text=True)
        assert f"ditutup sebagai duplikat dari {first.number}" in shown and "Ditutup sebagai duplikat" in shown
        assert state(ctx, second.id)[:2] == ("cancelled", "duplikat")
        assert f'href="{case_page}/duplikat"' not in shown  # an ended case offers it no more

    @pytest.mark.parametrize("who", ["ani", "tono", "kadin"])
    def test_only_the_ketua_sees_and_may_use_it(
        self, web: Flask, ctx: EngineContext, two: tuple[Any, Any], who: str
    ) -> None:
        first, second = two
        client = signed_in(web, who)
        assert "/duplikat" not in client.get(f"/kasus/{second.id}").get_data(as_text=True)
        refused = client.post(f"/kasus/{second.id}/duplikat", data={"asal": first.number, "alasan": "Ganda."})
        assert refused.status_code in (403, 404) and state(ctx, second.id)[0] == "open"


class TestApi:
    def test_the_ketua_closes_a_duplicate(self, api: Callable[[str], Api], ctx: EngineContext, two: Any) -> None:
        first, second = two
        path = f"/cases/{second.id}/duplicate"
        before = state(ctx, second.id)
        assert api("tono").post(path, json={"original": first.number, "reason": "Ganda."}).status_code == 403
        missing = api("rina").post(path, json={"reason": "Ganda."})
        assert missing.status_code == 422 and set(missing.json["errors"]) == {"original"}
        unknown = api("rina").post(path, json={"original": "MED-2099-0001", "reason": "Ganda."})
        assert unknown.status_code == 422 and set(unknown.json["errors"]) == {"original"}
        wrong = api("rina").post(path, json={"original": 7, "reason": ["Ganda."]})
        assert wrong.status_code == 422 and set(wrong.json["errors"]) == {"original", "reason"}
        assert state(ctx, second.id) == before
        closed = api("rina").post(path, json={"original": first.number, "reason": "Ganda."})
        assert closed.status_code == 200 and (closed.json["status"], closed.json["outcome"]) == (
            "cancelled",
            "duplikat",
        )
        events = api("rina").get(f"/cases/{second.id}/events").json
        assert events[-1]["type"] == "case_closed_as_duplicate"
        assert events[-1]["data"] == {"original": first.number, "reason": "Ganda."}
        again = api("rina").post(path, json={"original": first.number, "reason": "Ganda."})
        assert again.status_code == 409
