"""Pages: Lepas / Alihkan for supervisors, the claimed tasks list, and Pengganti selama tidak di tempat."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from sqlalchemy import select

from engine.actors import Actor
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.events import SYSTEM_CHAIN
from engine.persistence.models import Event, User
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import substitutes
from engine.services import tasks as task_service
from engine.services import users as user_service
from tests.builders import application
from tests.conftest import OPERATOR
from tests.snapshots import snapshot
from tests.webapp.conftest import PASSWORD, signed_in


@pytest.fixture
def accounts(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """The test people, an admin and a second Tim Teknis member, all with passwords."""
    for username, role in (("adam", "admin"), ("tari", "tim_teknis")):
        user_service.add_user(
            ctx, actor=OPERATOR, username=username, full_name=username.title(), roles=[role], password=PASSWORD
        )
    with ctx.unit_of_work() as uow:
        for user in uow.session.scalars(select(User)):
            user.password_hash = user_service.hash_password(PASSWORD)
    return {**people, **{u: user_service.actor_for(ctx, u) for u in ("adam", "tari")}}


@pytest.fixture
def case(ctx: EngineContext, accounts: dict[str, Actor]) -> CaseView:
    return case_service.start_case(ctx, actor=accounts["ani"], data=application())


@pytest.fixture
def claimed(ctx: EngineContext, accounts: dict[str, Actor], case: CaseView) -> uuid.UUID:
    """The Ketua's first task, claimed by rina."""
    task_id = case.tasks[0].id
    task_service.claim_task(ctx, actor=accounts["rina"], task_id=task_id)
    return task_id


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def claimant(ctx: EngineContext, task_id: uuid.UUID) -> str | None:
    return task_service.get_task(ctx, actor=None, task_id=task_id, with_data=False).task.claimed_by


class TestSupervisorPages:
    def test_the_ketua_reassigns_from_the_inbox_card(
        self, web: Flask, ctx: EngineContext, case: CaseView, claimed: uuid.UUID
    ) -> None:
        client = signed_in(web, "rudi")
        inbox = text(client.get("/tugas"))
        assert f"/tugas/{claimed}/alihkan" in inbox and "Lepas / Alihkan" in inbox
        page = client.get(f"/tugas/{claimed}/alihkan?kembali=/tugas")
        assert page.status_code == 200 and 'value="rudi"' in text(page) and 'value="rina"' not in text(page)
        assert "Diambil Rina Ketua</p>" in text(page) and "Diambil rina" not in text(page)
        done = client.post(
            f"/tugas/{claimed}/alihkan",
            data={"aksi": "alihkan", "pengguna": "rudi", "alasan": "Rina cuti melahirkan.", "kembali": "/tugas"},
            follow_redirects=True,
        )
        assert done.request.path == "/tugas" and "dialihkan kepada Rudi Ketua Kedua." in text(done)
        assert "dialihkan kepada rudi" not in text(done)
        assert claimant(ctx, claimed) == "rudi"
        timeline = text(client.get(f"/kasus/{case.id}"))
        assert "Tugas dialihkan" in timeline
        assert "dari Rina Ketua kepada Rudi Ketua Kedua; alasan: Rina cuti melahirkan." in timeline
        assert "dari rina kepada rudi" not in timeline

    @pytest.mark.parametrize(
        ("form", "message"),
        [
            ({"aksi": "alihkan", "pengguna": "rudi", "alasan": " "}, "Alasan wajib diisi."),
            ({"aksi": "lepas", "alasan": ""}, "Alasan wajib diisi."),
            ({"aksi": "alihkan", "pengguna": "tono", "alasan": "Cuti."}, "tidak bekerja di lajur"),
            ({"aksi": "alihkan", "pengguna": "", "alasan": "Cuti."}, "Pilih pengguna"),
        ],
    )
    def test_refused_forms_name_their_field_and_change_nothing(
        self, web: Flask, ctx: EngineContext, claimed: uuid.UUID, form: dict[str, str], message: str
    ) -> None:
        client = signed_in(web, "rudi")
        before = snapshot(ctx)
        response = client.post(f"/tugas/{claimed}/alihkan", data=form)
        assert response.status_code == 422 and message in text(response)
        assert 'class="galat"' in text(response) and snapshot(ctx) == before

    def test_the_admin_releases_from_the_claimed_list(
        self, web: Flask, ctx: EngineContext, case: CaseView, claimed: uuid.UUID
    ) -> None:
        client = signed_in(web, "adam")
        listed = text(client.get("/tugas/diambil"))
        assert case.number in listed and f"/tugas/{claimed}/alihkan" in listed
        assert "<span>Diambil Rina Ketua</span>" in listed and "Diambil rina" not in listed
        done = client.post(
            f"/tugas/{claimed}/alihkan", data={"aksi": "lepas", "alasan": "Rina cuti."}, follow_redirects=True
        )
        assert done.request.path == "/tugas/diambil" and "dilepas kembali ke lajurnya" in text(done)
        assert claimant(ctx, claimed) is None
        event = case_queries.case_events(ctx, case.number)[-1]
        assert (event.type, event.actor, event.data) == (
            "task_released",
            "adam",
            {"reason": "Rina cuti.", "from": "rina", "by_supervisor": True},
        )
        timeline = text(signed_in(web, "rina").get(f"/kasus/{case.id}"))
        assert "(diambil Rina Ketua; alasan: Rina cuti.)" in timeline and "diambil rina" not in timeline

    @pytest.mark.parametrize("who", ["tono", "ani", "kadin"])
    def test_others_may_not(self, web: Flask, ctx: EngineContext, claimed: uuid.UUID, who: str) -> None:
        client = signed_in(web, who)
        before = snapshot(ctx)
        assert client.get("/tugas/diambil").status_code == 403
        posted = client.post(f"/tugas/{claimed}/alihkan", data={"aksi": "lepas", "alasan": "Cuti."})
        assert posted.status_code == 403 and snapshot(ctx) == before
        assert "Lepas / Alihkan" not in text(client.get("/tugas"))


class TestSubstitutePage:
    def test_set_work_as_substitute_and_clear(
        self, web: Flask, ctx: EngineContext, case: CaseView, claimed: uuid.UUID
    ) -> None:
        rina = signed_in(web, "rina")
        page = text(rina.get("/akun/pengganti"))
        assert "Pengganti selama tidak di tempat" in page and 'value="rudi"' in page and 'value="tono"' not in page
        saved = rina.post("/akun/pengganti", data={"pengganti": "rudi", "sampai": "2026-03-20"}, follow_redirects=True)
        assert "kini pengganti Anda" in text(saved) and "sampai Sab, 21 Mar 2026 00.00" in text(saved)
        rudi = signed_in(web, "rudi")
        inbox = text(rudi.get("/tugas"))
        assert "Anda pengganti Rina Ketua" in inbox and f"/tugas/{claimed}/lepas" in inbox
        assert "Anda pengganti rina" not in inbox
        task_page = text(rudi.get(f"/tugas/{claimed}"))
        assert "Anda pengganti Rina Ketua" in task_page and "Anda pengganti rina" not in task_page
        released = rudi.post(f"/tugas/{claimed}/lepas", data={"kembali": "/tugas"}, follow_redirects=True)
        assert "Tugas dilepas." in text(released) and claimant(ctx, claimed) is None
        timeline = text(rina.get(f"/kasus/{case.id}"))
        assert "(sebagai pengganti Rina Ketua)" in timeline and "pengganti rina" not in timeline
        cleared = rina.post("/akun/pengganti", data={"aksi": "hapus"}, follow_redirects=True)
        assert "Pengganti dihapus" in text(cleared)
        with ctx.unit_of_work(write=False) as uow:
            types = uow.session.scalars(
                select(Event.type)
                .where(Event.chain == SYSTEM_CHAIN, Event.type.like("substitute_%"))
                .order_by(Event.seq)
            ).all()
        assert types == [substitutes.SET_EVENT, substitutes.CLEARED_EVENT]

    @pytest.mark.parametrize(
        ("form", "message"),
        [
            ({"pengganti": "rina"}, "pengganti diri sendiri"),
            ({"pengganti": ""}, "Pilih pengganti."),
            ({"pengganti": "tono"}, "tidak memegang satu pun peran lajur Anda"),
            ({"pengganti": "rudi", "sampai": "besok"}, "TTTT-BB-HH"),
            ({"pengganti": "rudi", "sampai": "2026-03-01"}, "harus setelah saat ini"),
        ],
    )
    def test_refused_choices_name_their_field_and_change_nothing(
        self, web: Flask, ctx: EngineContext, accounts: object, form: dict[str, str], message: str
    ) -> None:
        client = signed_in(web, "rina")
        before = snapshot(ctx)
        response = client.post("/akun/pengganti", data=form)
        assert response.status_code == 422 and message in text(response) and 'class="galat"' in text(response)
        assert snapshot(ctx) == before

    @pytest.mark.parametrize("who", ["ani", "adam"])
    def test_only_people_who_work_a_lane(self, web: Flask, accounts: object, who: str) -> None:
        client = signed_in(web, who)
        assert client.get("/akun/pengganti").status_code == 403
        assert "/akun/pengganti" not in text(client.get("/"))
