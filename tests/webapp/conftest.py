"""Web fixtures: the app on the test database, and an API client per person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import User
from engine.services import users as user_service
from tests.conftest import OPERATOR
from webapp import create_app

EXTRA = {"audi": "auditor", "dedi": "dpo", "adam": "admin"}


@pytest.fixture
def web(ctx: EngineContext, deployed: object) -> Flask:
    """The app for page tests: CSRF off (its own test turns it on)."""
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, ctx=ctx)


@pytest.fixture
def app(ctx: EngineContext, deployed: object) -> Flask:
    return create_app({"TESTING": True}, ctx=ctx)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def everyone(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """The people of tests.conftest plus an auditor, a DPO and an admin."""
    for username, role in EXTRA.items():
        user_service.add_user(ctx, actor=OPERATOR, username=username, full_name=username, roles=[role], password=None)
    return {**people, **{u: user_service.actor_for(ctx, u) for u in EXTRA}}


class Api:
    """Calls /api/v1 as one person."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def __call__(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.open(f"/api/v1{path}", method=method, headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self("POST", path, **kwargs)


@pytest.fixture
def api(client: FlaskClient, ctx: EngineContext, everyone: dict[str, Actor]) -> Callable[[str], Api]:
    """`api("rina")` calls the API with a fresh token of rina's."""
    tokens: dict[str, str] = {}

    def as_user(username: str) -> Api:
        if username not in tokens:
            tokens[username] = user_service.create_token(ctx, actor=OPERATOR, username=username)
        return Api(client, tokens[username])

    return as_user


PASSWORD = "kata-sandi-uji-123"  # what the page tests' `accounts` fixtures give everyone


@pytest.fixture
def accounts(ctx: EngineContext, everyone: dict[str, Actor]) -> dict[str, Actor]:
    """Everyone (auditor audi, dpo dedi, admin adam included) signs in with PASSWORD; a module that
    needs other accounts defines its own."""
    hashed = user_service.hash_password(PASSWORD)
    with ctx.unit_of_work() as uow:
        for user in uow.session.scalars(select(User)):
            user.password_hash = hashed
    return everyone


def signed_in(web: Flask, username: str) -> FlaskClient:
    """A test client signed in through the sign-in form."""
    client = web.test_client()
    response = client.post("/masuk", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.data
    return client
