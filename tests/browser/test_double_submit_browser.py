"""In real Chromium: Back after "Ajukan permohonan" and submitting again files no second case."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.context import EngineContext
from engine.persistence.models import Case
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_browser import file_request

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_back_and_submit_again_opens_the_case_already_filed(server: str, new_page: Any, ctx: EngineContext) -> None:
    page = sign_in(new_page, server, "pemohon")
    case_url = file_request(page, server, {})
    page.go_back()
    page.wait_for_url(re.compile(r".*/permohonan/baru\?formulir=[\w-]+$"))  # the form's token kept in its address
    assert page.locator('[name="korban.0.nama"]').input_value() == "Siti Aminah"  # the browser kept what was typed
    page.click("button:has-text('Ajukan permohonan')")
    page.wait_for_url(re.compile(r".*/kasus/[0-9a-f-]{36}$"))
    assert page.url == case_url
    assert "Permohonan ini sudah diajukan sebagai MED-2026-0001" in page.inner_text(".pesan-info")
    screenshot(page, "double-submit-back")
    with ctx.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Case)) == 1
