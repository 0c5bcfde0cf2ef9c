"""The sign-in and registration limits: in the database, per (address, account), slowing not locking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.clock import FixedClock
from engine.context import EngineContext
from engine.persistence.models import SigninAttempt
from engine.services import signin_limits
from engine.settings import Settings
from tests.webapp.conftest import PASSWORD
from tests.webapp.test_pages import accounts  # noqa: F401  (fixture)
from webapp import create_app

PROXY = "10.0.0.1"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings, with one reverse proxy network trusted."""
    return replace(settings, trusted_proxies=("10.0.0.0/8",))


def from_address(web: Flask, address: str, forwarded: str | None = None) -> FlaskClient:
    client = web.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded is not None:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
    return client


def sign_in(client: FlaskClient, username: str, password: str) -> int:
    return client.post("/masuk", data={"username": username, "password": password}).status_code


def fail_times(client: FlaskClient, username: str, times: int) -> None:
    for _ in range(times):
        assert sign_in(client, username, "salah") == 401


def rows(ctx: EngineContext) -> int:
    with ctx.unit_of_work(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(SigninAttempt)) or 0


@pytest.mark.usefixtures("accounts")
class TestSignInLimit:
    def test_slows_with_a_growing_delay_then_lets_the_right_password_in(
        self, web: Flask, ctx: EngineContext, clock: FixedClock
    ) -> None:
        client = from_address(web, "192.0.2.7")
        fail_times(client, "rina", signin_limits.FREE_TRIES)
        slowed = client.post("/masuk", data={"username": "rina", "password": PASSWORD})
        assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "1"
        assert "Terlalu banyak percobaan masuk. Coba lagi dalam 1 detik." in slowed.get_data(as_text=True)
        clock.advance(timedelta(seconds=1))
        assert sign_in(client, "rina", "salah") == 401
        assert client.post("/masuk", data={"username": "rina"}).headers["Retry-After"] == "2"  # doubled
        clock.advance(timedelta(seconds=2))
        assert sign_in(client, "rina", PASSWORD) == 302  # never locked out

    def test_another_account_behind_the_same_proxy_is_not_slowed(self, web: Flask, clock: FixedClock) -> None:
        attacker = from_address(web, PROXY, "198.51.100.9")
        fail_times(attacker, "rina", signin_limits.FREE_TRIES)
        assert sign_in(attacker, "rina", PASSWORD) == 429
        colleague = from_address(web, PROXY, "198.51.100.9")
        assert sign_in(colleague, "adam", PASSWORD) == 302

    def test_forwarded_for_is_believed_only_from_a_trusted_proxy(self, web: Flask) -> None:
        # From an untrusted peer the header is ignored: forging it does not escape the limit.
        for forged in range(signin_limits.FREE_TRIES):
            assert sign_in(from_address(web, "192.0.2.8", f"203.0.113.{forged}"), "rina", "salah") == 401
        assert sign_in(from_address(web, "192.0.2.8", "203.0.113.99"), "rina", PASSWORD) == 429
        # Behind the proxy the right-most untrusted hop counts; what the client wrote left of it does not.
        fail_times(from_address(web, PROXY, "1.1.1.1, 198.51.100.20"), "rina", signin_limits.FREE_TRIES)
        assert sign_in(from_address(web, PROXY, "9.9.9.9, 198.51.100.20"), "rina", PASSWORD) == 429
        assert sign_in(from_address(web, PROXY, "198.51.100.21"), "rina", PASSWORD) == 302

    def test_works_across_processes(self, ctx: EngineContext, make_ctx: Callable[[], EngineContext]) -> None:
        other_worker = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, ctx=make_ctx())
        worker = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, ctx=ctx)
        fail_times(from_address(worker, "192.0.2.9"), "rina", signin_limits.FREE_TRIES)
        assert sign_in(from_address(other_worker, "192.0.2.9"), "rina", PASSWORD) == 429

    def test_cycling_user_names_cannot_grow_the_table(
        self, ctx: EngineContext, clock: FixedClock, deployed: object
    ) -> None:
        for n in range(signin_limits.ROWS_PER_ADDRESS + 30):
            signin_limits.record_failure(ctx, address="192.0.2.10", account=f"nama{n}")
            clock.advance(timedelta(milliseconds=1))
        assert rows(ctx) == signin_limits.ROWS_PER_ADDRESS
        clock.advance(signin_limits.WINDOW + timedelta(seconds=1))
        signin_limits.record_failure(ctx, address="192.0.2.11", account="lain")
        assert rows(ctx) == 1  # old rows are pruned

    def test_user_names_are_not_stored(self, ctx: EngineContext, deployed: object) -> None:
        signin_limits.record_failure(ctx, address="192.0.2.12", account="rahasia")
        with ctx.unit_of_work(write=False) as uow:
            row = uow.session.scalars(select(SigninAttempt)).one()
            assert "rahasia" not in (row.key + row.address)


class TestRegistrationLimit:
    def register(self, client: FlaskClient, username: str) -> int:
        data = {"full_name": username, "username": username, "password": PASSWORD, "password_again": PASSWORD}
        return client.post("/daftar", data=data).status_code

    def test_registrations_per_address_are_slowed(self, web: Flask, clock: FixedClock) -> None:
        for n in range(signin_limits.FREE_REGISTRATIONS):
            assert self.register(from_address(web, "192.0.2.20"), f"warga{n}") == 302
        slowed = from_address(web, "192.0.2.20").post("/daftar", data={"username": "warga9"})
        assert slowed.status_code == 429 and "Retry-After" in slowed.headers
        assert "Terlalu banyak percobaan pendaftaran" in slowed.get_data(as_text=True)
        assert self.register(from_address(web, "192.0.2.21"), "tetangga") == 302  # another address is free
        clock.advance(timedelta(seconds=1))
        assert self.register(from_address(web, "192.0.2.20"), "warga9") == 302
