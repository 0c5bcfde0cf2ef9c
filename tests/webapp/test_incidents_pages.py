"""The "Insiden" page: the process owner sees failed timer steps and tries them again."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.persistence.models import User
from engine.services import deploy as deploy_service
from engine.services import users as user_service
from engine.services.timers import fire_due
from tests.conftest import OPERATOR
from tests.engine.test_deploy import LANES
from tests.engine.test_incidents import AFTER, CAUSE, REMINDER, at_decision, failing_reminder, patched_script
from tests.webapp.conftest import PASSWORD, signed_in
from webapp import create_app

EMPTY = "Tidak ada insiden terbuka"


@pytest.fixture
def accounts(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """The test people with the page tests' password, and an admin."""
    user_service.add_user(ctx, actor=OPERATOR, username="adam", full_name="Adam", roles=["admin"], password=PASSWORD)
    hashed = user_service.hash_password(PASSWORD)
    with ctx.unit_of_work() as uow:
        for user in uow.session.scalars(select(User)):
            user.password_hash = hashed
    return people


@pytest.fixture
def failed(ctx: EngineContext, clock: FixedClock, accounts: dict[str, Actor]) -> Any:
    """A case whose first reminder's step has failed once."""
    deploy_service.deploy(ctx, actor=OPERATOR, xml=failing_reminder(), filename="uji.bpmn", lane_roles=LANES)
    case = at_decision(ctx, accounts)
    clock.set(AFTER)
    (result,) = fire_due(ctx)
    assert result.error is not None
    return case


@pytest.fixture
def fixed(ctx: EngineContext, failed: Any) -> Iterator[None]:
    with patched_script(ctx, failed.id):
        yield


def cells(page: str) -> list[list[str]]:
    """The rows of the incident table, as text."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert body, page
    return [
        [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="pesan[^"]*"[^>]*>(.*?)</p>', page, re.S)]


def test_the_page_says_when_nothing_failed(web: Flask, accounts: dict[str, Actor]) -> None:
    page = signed_in(web, "olga").get("/insiden").get_data(as_text=True)
    assert EMPTY in page and "<table" not in page


def test_a_failed_timer_step_is_listed_with_its_case_error_and_attempts(web: Flask, failed: Any) -> None:
    client = signed_in(web, "olga")
    page = client.get("/insiden").get_data(as_text=True)
    assert '<li><a href="/insiden">Insiden</a></li>' in page
    (row,) = cells(page)
    number, element, error, first, last, attempts, action = row
    assert (number, element, attempts, action) == (failed.number, f"{REMINDER} Timer", "1", "Coba lagi")
    assert CAUSE in error and first == last == "Rab, 25 Mar 2026 14.00"
    assert f'href="/kasus/{failed.id}">{failed.number}</a>' in page


def test_coba_lagi_reports_a_step_that_still_fails_then_one_that_runs(
    web: Flask, failed: Any, request: pytest.FixtureRequest
) -> None:
    client = signed_in(web, "olga")
    incident_id = re.search(r'action="/insiden/(\d+)/coba-lagi"', client.get("/insiden").get_data(as_text=True))
    assert incident_id
    retry = f"/insiden/{incident_id.group(1)}/coba-lagi"
    response = client.post(retry, follow_redirects=True)
    page = response.get_data(as_text=True)
    (message,) = flashes(page)
    assert message.startswith(f"Langkah {REMINDER} pada kasus {failed.number} masih gagal: ") and CAUSE in message
    assert cells(page)[0][5] == "2"

    request.getfixturevalue("fixed")
    page = client.post(retry, follow_redirects=True).get_data(as_text=True)
    assert flashes(page) == [f"Langkah {REMINDER} pada kasus {failed.number} berhasil dijalankan; insiden selesai."]
    assert EMPTY in page
    assert client.post(retry).status_code == 409  # resolved: nothing left to try


@pytest.mark.parametrize("who", ["rina", "kadin", "ani"])
def test_only_process_owners_and_admins_have_the_page(web: Flask, failed: Any, who: str) -> None:
    client = signed_in(web, who)
    assert client.get("/insiden").status_code == 403
    assert client.post("/insiden/1/coba-lagi").status_code == 403
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200 and 'href="/insiden"' not in home.get_data(as_text=True)


def test_the_admin_has_the_page_too(web: Flask, failed: Any) -> None:
    (row,) = cells(signed_in(web, "adam").get("/insiden").get_data(as_text=True))
    assert row[0] == failed.number


def test_unknown_incident_is_404(web: Flask, failed: Any) -> None:
    assert signed_in(web, "olga").post("/insiden/999999/coba-lagi").status_code == 404


def test_coba_lagi_needs_the_csrf_token(ctx: EngineContext, failed: Any) -> None:
    strict = create_app({"TESTING": True}, ctx=ctx)
    client: FlaskClient = strict.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/masuk").get_data(as_text=True))
    assert token
    client.post("/masuk", data={"username": "olga", "password": PASSWORD, "csrf_token": token.group(1)})
    page = client.get("/insiden").get_data(as_text=True)
    retry = re.search(r'action="(/insiden/\d+/coba-lagi)"', page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert retry and token
    assert client.post(retry.group(1)).status_code == 400
    assert client.post(retry.group(1), data={"csrf_token": token.group(1)}).status_code == 302
