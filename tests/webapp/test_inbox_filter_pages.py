"""The inbox page and the task API with filters: cards that tell cases apart, filters in the query string, paging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.persistence.models import Case
from engine.services import cases as case_service
from engine.services import inbox as inbox_service
from engine.services import tasks as task_service
from engine.services import users as user_service
from tests.builders import application
from tests.conftest import OPERATOR
from tests.webapp.conftest import Api

ApiFor = Callable[[str], Api]
WALK_IN = case_service.WalkInApplicant(nama="Ibu Warsini", telepon="081234567890")


@pytest.fixture
def three(ctx: EngineContext, clock: FixedClock, people: dict[str, Actor]) -> list[str]:
    """Two requests of Ani's (victims S. A. and R. D.) and a walk-in one without initials, in the Ketua's inbox."""
    filed = []
    for victim, initials, filer, walk_in in (
        ("Siti Aminah", "S. A.", "ani", None),
        ("Rahma Dewi", "R. D.", "ani", None),
        ("Nur Laila", None, "dewi", WALK_IN),
    ):
        clock.advance(timedelta(minutes=1))
        data = application(korban=[{"nama": victim, "umur": 30, "jenis_kelamin": "perempuan"}])
        number = case_service.start_case(ctx, actor=people[filer], data=data, applicant=walk_in).number
        with ctx.unit_of_work() as uow:  # as filing records them (another feature fills the column)
            uow.session.execute(update(Case).where(Case.number == number).values(victim_initials=initials))
        filed.append(number)
    return filed


def signed_in_as(web: Flask, ctx: EngineContext, username: str) -> FlaskClient:
    client = web.test_client()
    password = user_service.reset_password(ctx, actor=OPERATOR, username=username)
    assert client.post("/masuk", data={"username": username, "password": password}).status_code == 302
    return client


def cards(page: str) -> list[str]:
    """The inbox cards of a page, as text between their <li> tags."""
    return [part.split("</li>")[0] for part in page.split('<li class="kartu')[1:]]


def claim_first(ctx: EngineContext, people: dict[str, Actor], number: str) -> None:
    rina = people["rina"]
    task = next(t for t in inbox_service.inbox_page(ctx, actor=rina).items if t.case_number == number)
    task_service.claim_task(ctx, actor=rina, task_id=task.id)


# -- the page ---------------------------------------------------------------------------------------


def test_each_card_names_the_victim_the_applicant_the_lane_and_who_took_it(
    web: Flask, ctx: EngineContext, people: dict[str, Actor], three: list[str]
) -> None:
    claim_first(ctx, people, three[0])
    page = signed_in_as(web, ctx, "rina").get("/tugas").get_data(as_text=True)
    first, second, walk_in = cards(page)
    assert "Korban S. A." in first and "Pemohon Ani Pemohon" in first and "Diambil Rina Ketua" in first
    assert "Korban R. D." in second and "Diambil" not in second
    assert "Korban —" in walk_in and "Pemohon Ibu Warsini (datang langsung)" in walk_in
    assert all("Lajur Ketua LP-PAR" in card for card in (first, second, walk_in))
    assert "ketua_lppar" not in page and "Diambil rina" not in page
    assert "3 tugas." in page


def test_filters_come_from_the_query_string_and_say_how_many_match(
    web: Flask, ctx: EngineContext, people: dict[str, Actor], three: list[str]
) -> None:
    claim_first(ctx, people, three[1])
    rina = signed_in_as(web, ctx, "rina")
    searched = rina.get("/tugas?q=warsini").get_data(as_text=True)
    assert [three[2] in card for card in cards(searched)] == [True]
    assert "1 tugas cocok dengan saringan." in searched and 'value="warsini"' in searched
    mine = rina.get("/tugas?claimed=mine&process=mediasi_kekerasan&lane=Ketua+LP-PAR").get_data(as_text=True)
    assert [three[1] in card for card in cards(mine)] == [True]
    assert '<option value="mine" selected>' in mine and '<option value="Ketua LP-PAR" selected>' in mine
    none = rina.get("/tugas?due=terlambat").get_data(as_text=True)
    assert cards(none) == [] and "Tidak ada tugas yang cocok dengan saringan ini." in none


def test_the_pager_keeps_the_filters(
    web: Flask, ctx: EngineContext, three: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_service, "PER_PAGE", 1)
    rina = signed_in_as(web, ctx, "rina")
    first = rina.get("/tugas?q=ani&claimed=unclaimed").get_data(as_text=True)
    assert [three[0] in card for card in cards(first)] == [True]
    assert "Halaman 1 dari 2 (2 tugas)" in first
    link = first.split('<nav class="halaman"')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")
    assert urlparse(link).path == "/tugas"
    assert parse_qs(urlparse(link).query) == {"page": ["2"], "q": ["ani"], "claimed": ["unclaimed"]}
    second = rina.get(link).get_data(as_text=True)
    assert [three[1] in card for card in cards(second)] == [True] and "Sebelumnya" in second


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("due=kemarin", "due", "Tenggat harus salah satu dari"),
        ("claimed=semua", "claimed", "Diambil harus salah satu dari"),
        ("process=tidak_ada", "process", "Proses &#39;tidak_ada&#39; tidak dikenal."),
        ("lane=Lajur+Hantu", "lane", "Lajur &#39;Lajur Hantu&#39; tidak dikenal."),
        ("q=" + "x" * 201, "q", "Teks pencarian terlalu panjang"),
    ],
)
def test_a_bad_filter_value_is_said_beside_its_field(
    web: Flask, ctx: EngineContext, three: list[str], query: str, field: str, message: str
) -> None:
    response = signed_in_as(web, ctx, "rina").get(f"/tugas?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="galat" id="saring-{field}-galat">{message}' in page
    assert f'aria-describedby="saring-{field}-galat"' in page and cards(page) == []


# -- the API ----------------------------------------------------------------------------------------


def test_the_task_api_filters_and_names_the_case(
    api: ApiFor, ctx: EngineContext, people: dict[str, Actor], three: list[str]
) -> None:
    claim_first(ctx, people, three[0])
    items = api("rina").get("/tasks").json["items"]
    assert [(t["victim_initials"], t["applicant"], t["claimed_by"], t["claimed_by_name"]) for t in items] == [
        ("S. A.", "Ani Pemohon", "rina", "Rina Ketua"),
        ("R. D.", "Ani Pemohon", None, None),
        (None, "Ibu Warsini (datang langsung)", None, None),
    ]
    assert {t["lane"] for t in items} == {"Ketua LP-PAR"}
    due = items[1]["sla_state"]  # the completeness check's, as judged now
    assert due in ("segera", "tepat_waktu")
    page = api("rina").get(f"/tasks?q=rd&claimed=unclaimed&due={due}&process=mediasi_kekerasan").json
    assert ([t["case_number"] for t in page["items"]], page["total"], page["total_exact"]) == ([three[1]], 1, True)
    assert [t["case_number"] for t in api("rina").get("/tasks?claimed=mine&per_page=1").json["items"]] == [three[0]]
    assert api("budi").get("/tasks?q=Ani").json["items"] == []  # another applicant sees no one's names


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("due=kemarin", {"due"}),
        ("claimed=x&lane=Hantu", {"claimed", "lane"}),
        ("lane=Hantu", {"lane"}),
        ("process=x", {"process"}),
    ],
)
def test_a_bad_task_api_filter_is_422_by_parameter(
    api: ApiFor, people: dict[str, Actor], query: str, fields: set[str]
) -> None:
    response = api("rina").get(f"/tasks?{query}")
    assert response.status_code == 422
    assert response.json["error"] == "invalid_data" and set(response.json["errors"]) == fields


def test_a_task_api_search_too_long_is_400(api: ApiFor, people: dict[str, Actor]) -> None:
    response = api("rina").get("/tasks?q=" + "x" * 201)
    assert response.status_code == 400 and response.json["error"] == "bad_request"


def test_the_openapi_document_describes_the_inbox_filters(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document is not None
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/tasks"]["get"]["parameters"]}
    assert parameters["due"]["enum"] == ["terlambat", "segera", "tepat_waktu", "tanpa_tenggat"]
    assert parameters["claimed"]["enum"] == ["all", "mine", "unclaimed"]
    assert {"process", "lane", "q", "page", "per_page"} <= parameters.keys()
    item = document["components"]["schemas"]["InboxTask"]["allOf"][1]["properties"]
    assert item.keys() == {"victim_initials", "applicant", "claimed_by_name"}
