"""A form sent twice (Back and submit, a second click, two requests at once) files one case, and says so."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import Case, Event, User
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.builders import application, as_form
from tests.conftest import OPERATOR
from tests.webapp.conftest import PASSWORD, Api, signed_in
from webapp import create_app

SITI = [{"nama": "Siti Rahayu", "umur": 30, "jenis_kelamin": "perempuan"}]
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def accounts(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """The test people, with passwords, and a second fulltimer (fitri)."""
    user_service.add_user(ctx, actor=OPERATOR, username="fitri", full_name="Fitri", roles=["fulltimer"], password=None)
    with ctx.unit_of_work() as uow:
        for user in uow.session.scalars(select(User)):
            user.password_hash = user_service.hash_password(PASSWORD)
    return people


def count(ctx: EngineContext, model: Any = Case) -> int:
    with ctx.unit_of_work(write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def form_token(client: FlaskClient, path: str = "/permohonan/baru") -> str:
    found = TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, "the form carries no one-time token"
    return found.group(1)


def file(client: FlaskClient, token: str | None, **fields: Any) -> Any:
    data = as_form(application(**fields.pop("data", {})))
    if token is not None:
        data["form_token"] = token
    return client.post("/permohonan/baru", data={**data, **fields})


class TestFilingForm:
    def test_every_form_gets_its_own_token_and_back_shows_it_again(self, web: Flask, accounts: object) -> None:
        ani = signed_in(web, "ani")
        page = ani.get("/permohonan/baru")
        assert page.headers["Cache-Control"] == "private, no-cache"  # kept in history: Back brings this token
        assert form_token(ani) != form_token(ani)
        kept = form_token(ani)  # form-token.js puts it in the address: Back (a fresh GET) brings it back
        assert form_token(ani, f"/permohonan/baru?formulir={kept}") == kept
        assert form_token(ani, "/permohonan/baru?formulir=pendek") != "pendek"

    def test_the_second_post_of_one_form_files_nothing_and_names_the_first_case(
        self, web: Flask, ctx: EngineContext, accounts: object
    ) -> None:
        ani = signed_in(web, "ani")
        token = form_token(ani)
        first = file(ani, token)
        assert first.status_code == 302
        again = file(ani, token)
        assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
        page = ani.get(again.headers["Location"]).get_data(as_text=True)
        assert "Permohonan ini sudah diajukan sebagai MED-2026-0001" in page
        assert count(ctx) == 1

    def test_a_re_rendered_form_keeps_its_token(self, web: Flask, ctx: EngineContext, accounts: object) -> None:
        ani = signed_in(web, "ani")
        token = form_token(ani)
        added = file(ani, token, _add="korban")
        assert TOKEN.findall(added.get_data(as_text=True)) == [token]
        invalid = file(ani, token, data={"kronologi": ""})
        assert invalid.status_code == 422 and TOKEN.findall(invalid.get_data(as_text=True)) == [token]
        assert file(ani, token).status_code == 302 and count(ctx) == 1

    def test_another_persons_token_names_nothing_and_gives_a_fresh_one(
        self, web: Flask, ctx: EngineContext, accounts: object
    ) -> None:
        ani, budi = signed_in(web, "ani"), signed_in(web, "budi")
        token = form_token(ani)
        assert file(ani, token).status_code == 302
        refused = file(budi, token)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 409 and "Formulir ini sudah tidak berlaku" in page
        assert "MED-2026-0001" not in page and TOKEN.findall(page) != [token]
        assert 'value="Siti Aminah"' in page  # what budi typed is kept
        assert count(ctx) == 1
        assert file(budi, TOKEN.findall(page)[0]).status_code == 302  # the fresh token files
        assert count(ctx) == 2

    def test_the_same_victim_again_is_warned_and_filed_once_confirmed(
        self, web: Flask, ctx: EngineContext, accounts: object
    ) -> None:
        ani = signed_in(web, "ani")
        file(ani, form_token(ani), data={"korban": SITI})
        token = form_token(ani)
        warned = file(ani, token, data={"korban": SITI})
        page = warned.get_data(as_text=True)
        assert warned.status_code == 409 and "Kemungkinan permohonan ganda" in page
        assert re.search(r'<a href="/kasus/[0-9a-f-]{36}">MED-2026-0001</a>', page)
        assert "Saya sudah memeriksa; ajukan tetap" in page and TOKEN.findall(page) == [token]
        assert count(ctx) == 1
        assert file(ani, token, data={"korban": SITI}).status_code == 409  # not ticked: asked again
        filed = file(ani, token, data={"korban": SITI}, ajukan_tetap="1")
        assert filed.status_code == 302 and count(ctx) == 2

    def test_an_earlier_walk_in_filing_of_another_fulltimer_is_not_named(
        self, web: Flask, ctx: EngineContext, accounts: object
    ) -> None:
        applicant = {"pemohon_nama": "Warsini", "pemohon_telepon": "0812 3456 7890"}
        dewi, fitri = signed_in(web, "dewi"), signed_in(web, "fitri")
        assert file(dewi, form_token(dewi), data={"korban": SITI}, **applicant).status_code == 302
        warned = file(
            fitri, form_token(fitri), data={"korban": SITI}, **{**applicant, "pemohon_telepon": "+62812-3456-7890"}
        )
        page = warned.get_data(as_text=True)
        assert warned.status_code == 409 and "kasus lain" in page and "MED-2026-0001" not in page
        assert count(ctx) == 1


class TestTaskForm:
    def test_a_completed_task_sent_again_is_told_and_changes_nothing(
        self, web: Flask, ctx: EngineContext, accounts: object
    ) -> None:
        file(signed_in(web, "ani"), None)
        rina = signed_in(web, "rina")
        task = re.search(r'href="(/tugas/[0-9a-f-]{36})"', rina.get("/tugas").get_data(as_text=True))
        assert task
        form = rina.get(task.group(1)).get_data(as_text=True)
        sent = {"berkas_lengkap": "true", "aksi": "selesai", "form_token": TOKEN.findall(form)[0]}
        assert rina.post(task.group(1), data=sent).status_code == 302
        events = count(ctx, Event)
        again = rina.post(task.group(1), data=sent)
        assert again.status_code == 302 and again.headers["Location"] == "/tugas"
        page = rina.get("/tugas").get_data(as_text=True)
        assert "Tugas ini sudah diselesaikan pada 17-03-2026 pukul 09.00" in page
        assert "Periksa kelengkapan berkas" in page and count(ctx, Event) == events


class TestOverTheWire:
    """Two requests with one form at the same moment, through a served app on both databases."""

    @pytest.fixture
    def served(self, ctx: EngineContext, deployed: object, accounts: object) -> Iterator[str]:
        app = create_app({"TESTING": False, "WTF_CSRF_ENABLED": False}, ctx=ctx)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        thread.join(timeout=10)

    def test_two_posts_of_one_form_at_once_file_one_case(
        self, served: str, ctx: EngineContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        opener = signed_in_over_http(served, "ani")
        page = opener.open(f"{served}/permohonan/baru").read().decode()
        body = urllib.parse.urlencode({**as_form(application()), "form_token": TOKEN.findall(page)[0]}, doseq=True)
        both_read = threading.Barrier(2)
        write = case_service._file

        def write_after_both_read(*args: Any, **kwargs: Any) -> Any:  # both pass the check before either writes
            both_read.wait(timeout=30)
            return write(*args, **kwargs)

        monkeypatch.setattr(case_service, "_file", write_after_both_read)
        answers: list[str] = ["", ""]
        # Each POST in a session of its own: one session's two answers would race for its flashed message.
        openers = [opener, signed_in_over_http(served, "ani")]

        def post(i: int) -> None:
            with openers[i].open(f"{served}/permohonan/baru", data=body.encode(), timeout=60) as response:
                answers[i] = response.read().decode()

        threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
        assert count(ctx) == 1
        assert sorted("sudah diajukan sebagai MED-2026-0001" in a for a in answers) == [False, True]
        assert all("Kasus MED-2026-0001" in a for a in answers)  # both land on the one case's page


def signed_in_over_http(base: str, username: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    credentials = urllib.parse.urlencode({"username": username, "password": PASSWORD}).encode()
    opener.open(f"{base}/masuk", data=credentials, timeout=30).read()
    return opener


class TestApi:
    def test_a_likely_duplicate_is_409_until_confirmed(self, api: Callable[[str], Api], ctx: EngineContext) -> None:
        first = api("ani").post("/cases", json={"data": application(korban=SITI)})
        assert first.status_code == 201
        warned = api("ani").post("/cases", json={"data": application(korban=SITI)})
        assert warned.status_code == 409 and warned.json["error"] == "duplicate_suspected"
        assert warned.json["duplicates"] == [{"id": first.json["id"], "number": "MED-2026-0001"}]
        assert count(ctx) == 1
        bad = api("ani").post("/cases", json={"data": application(korban=SITI), "confirm_duplicate": "ya"})
        assert bad.status_code == 422 and set(bad.json["errors"]) == {"confirm_duplicate"}
        confirmed = api("ani").post("/cases", json={"data": application(korban=SITI), "confirm_duplicate": True})
        assert confirmed.status_code == 201 and count(ctx) == 2

    def test_an_idempotency_key_files_once_per_client(self, api: Callable[[str], Api], ctx: EngineContext) -> None:
        key = {"Idempotency-Key": "permohonan-42"}
        first = api("ani").post("/cases", json={"data": application()}, headers=key)
        again = api("ani").post("/cases", json={"data": application()}, headers=key)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
        assert count(ctx) == 1
        other = api("budi").post("/cases", json={"data": application()}, headers=key)  # budi's keys are his own
        assert other.status_code == 201 and other.json["number"] != first.json["number"]
        for bad in ("", "x" * 201, "kunci\u00e9"):
            refused = api("ani").post("/cases", json={"data": application()}, headers={"Idempotency-Key": bad})
            assert refused.status_code == 400, bad
        assert count(ctx) == 2
