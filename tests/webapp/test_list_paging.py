"""Lists a page at a time: the task API and the inbox page, the case API and the case list page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.services import cases as case_service
from engine.services import inbox as inbox_service
from engine.services import queries as case_queries
from engine.services import users as user_service
from tests.builders import application
from tests.conftest import OPERATOR
from tests.webapp.conftest import Api

ApiFor = Callable[[str], Api]
CASES = 5


@pytest.fixture
def numbers(ctx: EngineContext, clock: FixedClock, people: dict[str, Actor]) -> list[str]:
    """Five requests filed a minute apart, oldest first; each waits on the Ketua's completeness check."""
    filed = []
    for _ in range(CASES):
        clock.advance(timedelta(minutes=1))
        filed.append(case_service.start_case(ctx, actor=people["ani"], data=application()).number)
    return filed


def signed_in_as_rina(web: Flask, ctx: EngineContext) -> FlaskClient:
    client = web.test_client()
    password = user_service.reset_password(ctx, actor=OPERATOR, username="rina")
    assert client.post("/masuk", data={"username": "rina", "password": password}).status_code == 302
    return client


# -- the task API -----------------------------------------------------------------------------------


def test_the_task_api_answers_a_page_in_the_inbox_order(api: ApiFor, numbers: list[str]) -> None:
    whole = api("rina").get("/tasks").json
    assert (whole["total"], whole["total_exact"], whole["page"], whole["per_page"]) == (CASES, True, 1, 50)
    assert [t["case_number"] for t in whole["items"]] == numbers  # same due rule: the oldest first
    first, second, third = (api("rina").get(f"/tasks?per_page=2&page={n}").json for n in (1, 2, 3))
    assert [[t["case_number"] for t in p["items"]] for p in (first, second, third)] == [
        numbers[0:2],
        numbers[2:4],
        numbers[4:],
    ]
    assert {p["total"] for p in (first, second, third)} == {CASES}
    assert api("rina").get("/tasks?page=4&per_page=2").json["items"] == []
    assert api("tono").get("/tasks").json["items"] == []  # another lane's inbox


def test_a_task_api_page_counted_only_so_far_says_so(
    api: ApiFor, numbers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_queries, "COUNT_LIMIT", 2)
    page = api("rina").get("/tasks?per_page=1").json
    assert (len(page["items"]), page["total"], page["total_exact"]) == (1, 2, False)
    last = api("rina").get(f"/tasks?per_page=1&page={CASES}").json
    assert (last["total"], last["total_exact"]) == (CASES, True)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("page=0", "invalid_input"),
        ("page=1000001", "invalid_input"),
        ("per_page=0", "invalid_input"),
        (f"per_page={inbox_service.MAX_PER_PAGE + 1}", "invalid_input"),
        ("page=dua", "invalid_data"),
        ("per_page=banyak", "invalid_data"),
    ],
)
def test_a_bad_page_is_422_with_the_error_shape(api: ApiFor, people: dict[str, Actor], query: str, code: str) -> None:
    response = api("rina").get(f"/tasks?{query}")
    assert response.status_code == 422
    assert response.json["error"] == code and response.json["message"]
    assert set(response.json) <= {"error", "message", "errors"}
    if code == "invalid_data":
        assert set(response.json["errors"]) == {"page"}


def test_the_openapi_document_describes_the_task_page(client: FlaskClient) -> None:
    operation = client.get("/api/v1/openapi.json").json["paths"]["/tasks"]["get"]
    per_page = next(p for p in operation["parameters"] if p["name"] == "per_page")["schema"]
    assert (per_page["default"], per_page["maximum"]) == (50, 200)
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"items", "total", "total_exact", "page", "per_page"}
    assert "422" in operation["responses"]


# -- the inbox page ---------------------------------------------------------------------------------


def test_the_inbox_page_pages_with_sebelumnya_and_berikutnya(
    web: Flask, ctx: EngineContext, numbers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_service, "PER_PAGE", 2)
    rina = signed_in_as_rina(web, ctx)
    first = rina.get("/tugas").get_data(as_text=True)
    assert shown(first, numbers) == numbers[0:2]
    assert "Halaman 1 dari 3 (5 tugas)" in first
    assert 'href="/tugas?page=2">Berikutnya' in first and "Sebelumnya" not in first
    second = rina.get("/tugas?page=2").get_data(as_text=True)
    assert shown(second, numbers) == numbers[2:4]
    assert 'href="/tugas?page=1">‹ Sebelumnya' in second and 'href="/tugas?page=3">Berikutnya' in second
    third = rina.get("/tugas?page=3").get_data(as_text=True)
    assert shown(third, numbers) == numbers[4:] and "Berikutnya" not in third
    assert shown(rina.get("/tugas?page=dua").get_data(as_text=True), numbers) == numbers[0:2]


def test_an_inbox_counted_only_so_far_says_lebih_dari(
    web: Flask, ctx: EngineContext, numbers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox_service, "PER_PAGE", 2)
    monkeypatch.setattr(case_queries, "COUNT_LIMIT", 2)
    page = signed_in_as_rina(web, ctx).get("/tugas").get_data(as_text=True)
    assert "Halaman 1 (lebih dari 2 tugas)" in page and 'href="/tugas?page=2">Berikutnya' in page


def shown(page: str, numbers: list[str]) -> list[str]:
    """The case numbers a page shows, in the order it shows them."""
    return sorted((n for n in numbers if f"Kasus {n}<" in page or f">{n}<" in page), key=page.index)


# -- the case list ----------------------------------------------------------------------------------


def test_the_case_api_pages_newest_first_in_the_callers_scope(api: ApiFor, numbers: list[str]) -> None:
    pages = [api("rina").get(f"/cases?per_page=2&page={n}").json for n in (1, 2, 3)]
    assert [c["number"] for p in pages for c in p["items"]] == numbers[::-1]
    assert [(p["total"], p["total_exact"], len(p["items"])) for p in pages] == [
        (5, True, 2),
        (5, True, 2),
        (5, True, 1),
    ]
    assert api("tono").get("/cases").json["items"] == []  # no task of his lane in these cases yet
    assert api("rina").get("/cases?per_page=101").status_code == 422


def test_a_case_api_page_counted_only_so_far_says_so(
    api: ApiFor, numbers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_queries, "COUNT_LIMIT", 2)
    page = api("rina").get("/cases?per_page=1").json
    assert ([c["number"] for c in page["items"]], page["total"], page["total_exact"]) == ([numbers[-1]], 2, False)


def test_the_case_list_page_shows_the_newest_first_with_its_pager(
    web: Flask, ctx: EngineContext, numbers: list[str]
) -> None:
    page = signed_in_as_rina(web, ctx).get("/kasus?page=1").get_data(as_text=True)
    assert shown(page, numbers) == numbers[::-1]
    assert "Halaman 1 dari 1 (5 kasus)" in page and "Berikutnya" not in page
