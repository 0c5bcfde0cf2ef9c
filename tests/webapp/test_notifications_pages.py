"""The bell in the header, the notifications page, GET /api/v1/notifications, and email addresses on the
admin's accounts page."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.actors import Actor
from engine.casework import notices
from engine.casework.views import CaseView
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.persistence.models import Document, User
from engine.services import cases as case_service
from engine.services import notifications
from engine.services import users as user_service
from tests.builders import application
from tests.conftest import OPERATOR
from tests.webapp.conftest import PASSWORD, signed_in

VICTIM_WORDS = ("Siti", "Aminah", "Bambang", "psikis", "ekonomi", "Podosugih", "Nafkah")


@pytest.fixture
def accounts(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """The test people with the page tests' password, and an admin."""
    user_service.add_user(ctx, actor=OPERATOR, username="adam", full_name="Adam", roles=["admin"], password=PASSWORD)
    hashed = user_service.hash_password(PASSWORD)
    with ctx.unit_of_work() as uow:
        for user in uow.session.scalars(select(User)):
            user.password_hash = hashed
    return people


def bell(page: str) -> tuple[str, str | None]:
    """The bell's accessible label and the count it shows (None without a badge)."""
    found = re.search(r'<a class="lonceng"[^>]*aria-label="([^"]*)">(.*?)</a>', page, re.S)
    assert found, page
    badge = re.search(r'<span class="lencana" aria-hidden="true">([^<]*)</span>', found.group(2))
    return found.group(1), badge.group(1) if badge else None


def new_case(ctx: EngineContext, clock: FixedClock, accounts: dict[str, Actor]) -> CaseView:
    clock.advance(timedelta(minutes=1))
    return case_service.start_case(ctx, actor=accounts["ani"], data=application())


def add_decision(ctx: EngineContext, case: CaseView) -> None:
    """The Kepala Dinas' decision letter, addressed to the applicant."""
    with ctx.unit_of_work() as uow:
        uow.session.add(
            Document(
                id=uuid.uuid4(),
                case_id=case.id,
                kind="surat_keputusan",
                number="400/001/DPMPPA/III/2026",
                filename="surat_keputusan.pdf",
                media_type="application/pdf",
                size=4,
                sha256="0" * 64,
                content=b"%PDF",
                created_by="kadin",
                created_at=ctx.clock.now(),
                for_applicant=True,
            )
        )


class TestBell:
    def test_a_new_task_rings_the_bell_until_the_page_is_opened(
        self, ctx: EngineContext, web: Flask, accounts: dict[str, Actor], clock: FixedClock
    ) -> None:
        rina = signed_in(web, "rina")
        assert bell(rina.get("/tugas").get_data(as_text=True)) == ("Notifikasi, tidak ada yang belum dibaca", None)
        case = new_case(ctx, clock, accounts)
        assert bell(rina.get("/tugas").get_data(as_text=True)) == ("Notifikasi, 1 belum dibaca", "1")
        assert bell(signed_in(web, "tono").get("/tugas").get_data(as_text=True))[1] is None  # not his lane

        page = rina.get("/notifikasi").get_data(as_text=True)
        items = re.findall(r'<li class="kartu notifikasi notifikasi-baru">.*?href="([^"]+)">([^<]+)</a>', page, re.S)
        assert items == [
            (f"/tugas/{case.tasks[0].id}", f"Tugas baru: Periksa kelengkapan berkas (kasus {case.number})")
        ]
        assert "Baru" in page and not [w for w in VICTIM_WORDS if w.lower() in page.lower()]
        assert bell(rina.get("/tugas").get_data(as_text=True)) == ("Notifikasi, tidak ada yang belum dibaca", None)
        assert "notifikasi-baru" not in rina.get("/notifikasi").get_data(as_text=True)
        assert rina.get(items[0][0]).status_code == 200

    def test_the_applicant_is_told_of_her_letter_and_it_leads_to_her_case(
        self, ctx: EngineContext, web: Flask, accounts: dict[str, Actor], clock: FixedClock
    ) -> None:
        case = new_case(ctx, clock, accounts)
        add_decision(ctx, case)
        ani = signed_in(web, "ani")
        assert bell(ani.get("/kasus").get_data(as_text=True))[1] == "1"
        page = ani.get("/notifikasi").get_data(as_text=True)
        assert f"Surat diterbitkan: Surat Keputusan Kepala Dinas (kasus {case.number})" in page
        assert not [w for w in VICTIM_WORDS if w.lower() in page.lower()]
        assert ani.get(f"/kasus/{case.id}").status_code == 200
        assert "Belum ada notifikasi untuk Anda." in signed_in(web, "budi").get("/notifikasi").get_data(as_text=True)

    def test_more_than_the_cap_shows_99_plus(self, ctx: EngineContext, web: Flask, accounts: dict[str, Actor]) -> None:
        with ctx.unit_of_work() as uow:
            for _ in range(notifications.UNREAD_CAP + 1):
                notices.notify(uow.session, at=ctx.clock.now(), kind="eskalasi", text="x", roles=["sekretaris"])
        page = signed_in(web, "sari").get("/tugas").get_data(as_text=True)
        assert bell(page) == ("Notifikasi, lebih dari 99 belum dibaca", "99+")

    def test_the_page_needs_a_sign_in(self, web: Flask, accounts: object) -> None:
        response = web.test_client().get("/notifikasi")
        assert response.status_code == 302 and "/masuk" in response.headers["Location"]


class TestApi:
    def test_feed_unread_count_and_marking_read(
        self, ctx: EngineContext, api: Callable[[str], Any], clock: FixedClock, everyone: dict[str, Actor]
    ) -> None:
        case = new_case(ctx, clock, everyone)
        answer = api("rina").get("/notifications").json
        assert answer["unread"] == 1
        assert answer["items"] == [
            {
                "kind": "tugas",
                "text": f"Tugas baru: Periksa kelengkapan berkas (kasus {case.number})",
                "case_number": case.number,
                "link": f"/tugas/{case.tasks[0].id}",
                "created_at": clock.now().isoformat(),
                "unread": True,
            }
        ]
        assert api("rina").post("/notifications/seen").json == {"unread": 0}
        assert api("rina").get("/notifications").json["items"][0]["unread"] is False
        assert api("tono").get("/notifications").json == {"unread": 0, "items": []}

    def test_without_a_token_it_is_401(self, client: FlaskClient) -> None:
        assert client.get("/api/v1/notifications").status_code == 401


class TestEmailAddresses:
    def stored(self, ctx: EngineContext, username: str) -> str | None:
        with ctx.unit_of_work(write=False) as uow:
            return uow.session.scalar(select(User.email).where(User.username == username))

    def test_the_admin_sets_and_removes_an_address(
        self, ctx: EngineContext, web: Flask, accounts: dict[str, Actor]
    ) -> None:
        adam = signed_in(web, "adam")
        page = adam.post(
            "/admin/pengguna/rina/email", data={"email": "rina@pekalongankota.go.id"}, follow_redirects=True
        )
        assert "Email rina: rina@pekalongankota.go.id." in page.get_data(as_text=True)
        assert self.stored(ctx, "rina") == "rina@pekalongankota.go.id"
        assert 'value="rina@pekalongankota.go.id"' in page.get_data(as_text=True)
        page = adam.post("/admin/pengguna/rina/email", data={"email": ""}, follow_redirects=True)
        assert "Email rina dihapus." in page.get_data(as_text=True) and self.stored(ctx, "rina") is None

    def test_a_bad_address_is_refused_beside_its_field(
        self, ctx: EngineContext, web: Flask, accounts: dict[str, Actor]
    ) -> None:
        adam = signed_in(web, "adam")
        response = adam.post("/admin/pengguna/rina/email", data={"email": "rina@"})
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 422 and self.stored(ctx, "rina") is None
        assert 'aria-describedby="email-rina-galat"' in page and 'value="rina@"' in page
        assert re.search(r'<p class="galat" id="email-rina-galat">Alamat email tidak sah; tulis satu alamat', page)

    def test_a_new_account_with_an_address(self, ctx: EngineContext, web: Flask, accounts: dict[str, Actor]) -> None:
        adam = signed_in(web, "adam")
        form = {"username": "wati", "full_name": "Wati", "roles": ["tim_teknis"], "email": "wati@contoh"}
        refused = adam.post("/admin/pengguna", data=form)
        page = html.unescape(refused.get_data(as_text=True))
        assert refused.status_code == 422 and 'id="email-galat"' in page and 'value="wati@contoh"' in page
        assert 'value="Wati"' in page  # what was typed stays
        created = adam.post("/admin/pengguna", data={**form, "email": "wati@pekalongankota.go.id"})
        assert created.status_code == 302 and self.stored(ctx, "wati") == "wati@pekalongankota.go.id"

    def test_only_the_admin_sets_addresses(self, web: Flask, accounts: dict[str, Actor]) -> None:
        assert signed_in(web, "rina").post("/admin/pengguna/rina/email", data={"email": "a@b.id"}).status_code == 403
