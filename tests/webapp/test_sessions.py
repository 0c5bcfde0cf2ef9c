"""Sign-out, a password reset and deactivation end every session and API token of the account."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.context import EngineContext
from engine.services import users as user_service
from tests.conftest import OPERATOR
from tests.webapp.conftest import PASSWORD, Api, signed_in
from tests.webapp.test_pages import accounts  # noqa: F401  (fixture)
from webapp.auth import is_local_path


def still_signed_in(client: FlaskClient) -> bool:
    return client.get("/tugas").status_code == 200


def token_of(ctx: EngineContext, username: str) -> str:
    return user_service.create_token(ctx, actor=OPERATOR, username=username)


def assert_token_refused(web: Flask, token: str) -> None:
    response = Api(web.test_client(), token).get("/cases")
    assert response.status_code == 401 and response.json["error"] == "unauthenticated"


@pytest.mark.usefixtures("accounts")
class TestSessionVersion:
    def test_sign_out_ends_every_session_and_token(self, web: Flask, ctx: EngineContext) -> None:
        first, second = signed_in(web, "rina"), signed_in(web, "rina")
        token = token_of(ctx, "rina")
        old_cookie = first.get_cookie("session")
        assert old_cookie is not None
        assert first.post("/keluar").status_code == 302
        assert not still_signed_in(second)
        replayed = web.test_client()
        replayed.set_cookie("session", old_cookie.value)
        assert not still_signed_in(replayed)
        assert_token_refused(web, token)

    @pytest.mark.parametrize("end", ["reset", "deactivate"])
    def test_admin_action_ends_sessions_and_tokens(self, web: Flask, ctx: EngineContext, end: str) -> None:
        client = signed_in(web, "rina")
        token = token_of(ctx, "rina")
        assert still_signed_in(client) and Api(web.test_client(), token).get("/cases").status_code == 200
        admin = user_service.actor_for(ctx, "adam")
        if end == "reset":
            user_service.reset_password(ctx, actor=admin, username="rina")
        else:
            user_service.set_active(ctx, actor=admin, username="rina", active=False)
        assert not still_signed_in(client)
        assert_token_refused(web, token)

    def test_other_accounts_keep_their_sessions(self, web: Flask, ctx: EngineContext) -> None:
        rina, other = signed_in(web, "rina"), signed_in(web, "adam")
        rina.post("/keluar")
        assert other.get("/").status_code in (200, 302) and other.get_cookie("session") is not None
        assert signed_in(web, "rina").get("/tugas").status_code == 200  # a new sign-in works again


@pytest.mark.usefixtures("accounts")
class TestNextPage:
    @pytest.mark.parametrize(
        "target",
        [
            "/%09/evil.example/phish",
            "//evil",
            "\\\\evil",
            "/\\evil",
            "https://evil.example/",
            "javascript:alert(1)",
            "/%2F/evil",
            "/%0a/evil",
            "evil",
        ],
    )
    def test_only_local_paths_are_followed(self, web: Flask, target: str) -> None:
        client = web.test_client()
        response = client.post(f"/masuk?next={target}", data={"username": "rina", "password": PASSWORD})
        assert response.status_code == 302
        assert response.headers["Location"] == "/"

    def test_a_local_path_is_followed(self, web: Flask) -> None:
        client = web.test_client()
        response = client.post("/masuk?next=/tugas?lane=x", data={"username": "rina", "password": PASSWORD})
        assert response.headers["Location"] == "/tugas?lane=x"

    def test_checker(self) -> None:
        assert is_local_path("/kasus/1")
        assert not is_local_path("/\t/evil.example/phish")
