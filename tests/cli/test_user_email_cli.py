"""mediasi user add --email and mediasi user email: the address notifications are mailed to."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.cli.conftest import Run
from tests.cli.test_cli import one_line_error


def stored_email(database_url: str, username: str) -> str | None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = text("select email from user_account where username = :u")
            value: str | None = connection.execute(query, {"u": username}).scalar_one()
            return value
    finally:
        engine.dispose()


def test_an_account_gets_an_address_and_loses_it(cli: Run, database_url: str) -> None:
    cli("init")
    status, out, _ = cli("user", "add", "wati", "--role", "tim_teknis", "--email", "wati@pekalongankota.go.id")
    assert status == 0 and "wati" in out
    assert stored_email(database_url, "wati") == "wati@pekalongankota.go.id"
    status, out, _ = cli("user", "email", "wati", "--email", "wati.s@pekalongankota.go.id")
    assert (status, out.strip()) == (0, "Email wati: wati.s@pekalongankota.go.id.")
    status, out, _ = cli("user", "email", "wati")
    assert (status, out.strip()) == (0, "Email wati dihapus.") and stored_email(database_url, "wati") is None


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("user", "add", "wati", "--role", "tim_teknis", "--email", "wati"), 1, "--email: Alamat email tidak sah"),
        (("user", "email", "tidak_ada", "--email", "x@contoh.id"), 1, "tidak ditemukan"),
        (("user", "add", "wati"), 2, "sebutkan --role"),
    ],
)
def test_refusals_are_one_line(cli: Run, args: tuple[str, ...], status: int, message: str) -> None:
    cli("init")
    assert message in one_line_error(cli(*args), status)
