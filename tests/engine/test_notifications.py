"""Notifications: new tasks and letters read from their rows, stored escalations, the unread count,
and email delivered to a real SMTP server (aiosmtpd) that the test starts."""

from __future__ import annotations

import email
import email.policy
import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, inspect, select

from engine.actors import Actor
from engine.casework import notices
from engine.casework.views import CaseView
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import ConfigurationError, FormInvalid, PermissionDenied
from engine.persistence import migrate
from engine.persistence.models import Document, MailCursor, Notification
from engine.services import cases as case_service
from engine.services import notifications
from engine.services import signatories as letter_settings
from engine.services import tasks as task_service
from engine.services import users as user_service
from engine.settings import Settings
from tests.builders import TO_DECISION, Step, application, steps, walk
from tests.conftest import OPERATOR

People = dict[str, Actor]
VICTIM_WORDS = ("Siti", "Aminah", "Bambang", "psikis", "ekonomi", "kekerasan", "nafkah", "Podosugih")


@pytest.fixture
def case(ctx: EngineContext, people: People) -> CaseView:
    return case_service.start_case(ctx, actor=people["ani"], data=application())


def texts(ctx: EngineContext, actor: Actor) -> list[tuple[str, str]]:
    return [(item.kind, item.text) for item in notifications.feed(ctx, actor)]


def notify(ctx: EngineContext, **fields: Any) -> None:
    """Store an escalation the way the timer engine does, inside a transaction of its own."""
    with ctx.unit_of_work() as uow:
        notices.notify(uow.session, at=ctx.clock.now(), kind="eskalasi", **fields)


def add_letter(ctx: EngineContext, case: CaseView, kind: str, *, for_applicant: bool) -> None:
    """An issued letter's row, as the letters module stores it."""
    with ctx.unit_of_work() as uow:
        uow.session.add(
            Document(
                id=uuid.uuid4(),
                case_id=case.id,
                kind=kind,
                number="400/001/DPMPPA/III/2026",
                filename=f"{kind}.pdf",
                media_type="application/pdf",
                size=4,
                sha256="0" * 64,
                content=b"%PDF",
                created_by="rina",
                created_at=ctx.clock.now(),
                for_applicant=for_applicant,
            )
        )


class TestNewTasks:
    def test_a_task_in_a_lane_is_unread_for_everyone_who_works_it(
        self, ctx: EngineContext, people: People, clock: FixedClock
    ) -> None:
        assert notifications.unread_count(ctx, people["rina"]) == 0
        clock.advance(timedelta(minutes=5))
        case = case_service.start_case(ctx, actor=people["ani"], data=application())
        counts = {name: notifications.unread_count(ctx, people[name]) for name in ("rina", "rudi", "tono", "ani")}
        assert counts == {"rina": 1, "rudi": 1, "tono": 0, "ani": 0}
        [item] = notifications.feed(ctx, people["rina"])
        assert (item.kind, item.case_number, item.unread) == ("tugas", case.number, True)
        assert item.text == f"Tugas baru: Periksa kelengkapan berkas (kasus {case.number})"
        assert item.link == f"/tugas/{case.tasks[0].id}" and item.created_at == clock.now()

    def test_a_task_taken_by_someone_else_is_not_news(self, ctx: EngineContext, people: People, case: CaseView) -> None:
        task_service.claim_task(ctx, actor=people["rudi"], task_id=case.tasks[0].id)
        assert notifications.feed(ctx, people["rina"]) == []
        assert [i.kind for i in notifications.feed(ctx, people["rudi"])] == ["tugas"]

    def test_the_applicant_is_told_of_her_own_task_only(
        self, ctx: EngineContext, people: People, case: CaseView
    ) -> None:
        incomplete = {"berkas_lengkap": False, "catatan_kelengkapan": "Lampirkan KTP."}
        walk(lambda: ctx, people, case, [Step("Task_periksa_kelengkapan", incomplete)])
        assert texts(ctx, people["ani"]) == [("tugas", f"Tugas baru: Lengkapi berkas permohonan (kasus {case.number})")]
        assert notifications.feed(ctx, people["budi"]) == []
        assert notifications.feed(ctx, people["rina"]) == []  # her task is done: no longer news

    def test_completing_a_task_writes_no_notification(self, ctx: EngineContext, people: People, case: CaseView) -> None:
        walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
        with ctx.unit_of_work(write=False) as uow:
            assert uow.session.scalar(select(func.count()).select_from(Notification)) == 0
        assert {i.kind for i in notifications.feed(ctx, people["tono"])} == {"tugas"}


class TestLetters:
    def test_the_applicant_sees_the_decision_addressed_to_her(self, ctx: EngineContext, people: People) -> None:
        letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR)
        case = case_service.start_case(ctx, actor=people["ani"], data=application())
        walk(lambda: ctx, people, case, steps(*TO_DECISION, "Task_keputusan_kadin"))
        letter = ("surat", f"Surat diterbitkan: Surat Keputusan Kepala Dinas (kasus {case.number})")
        assert letter in texts(ctx, people["ani"])
        assert letter in texts(ctx, people["rina"])
        assert letter not in texts(ctx, people["kadin"])  # she issued it
        assert notifications.feed(ctx, people["budi"]) == []
        [item] = [i for i in notifications.feed(ctx, people["ani"]) if i.kind == "surat"]
        assert item.link == f"/kasus/{case.id}" and item.unread

    def test_a_letter_to_third_parties_is_for_staff_only(
        self, ctx: EngineContext, people: People, case: CaseView
    ) -> None:
        add_letter(ctx, case, "undangan_koordinasi", for_applicant=False)
        add_letter(ctx, case, "unggahan", for_applicant=False)  # an upload is no letter
        assert [k for k, _ in texts(ctx, people["ani"])] == []
        assert ("surat", f"Surat diterbitkan: Undangan Koordinasi Pihak Terkait (kasus {case.number})") in texts(
            ctx, people["rudi"]
        )
        assert notifications.feed(ctx, people["kadin"]) == []  # no task of hers on the case yet: not hers to read


class TestEscalations:
    def test_notify_to_a_role_reaches_every_holder_and_a_user_only_them(
        self, ctx: EngineContext, people: People, case: CaseView, clock: FixedClock
    ) -> None:
        clock.advance(timedelta(hours=1))
        notify(ctx, text=f"Tugas terlambat: Periksa kelengkapan berkas (kasus {case.number})", case_id=case.id,
               task_id=case.tasks[0].id, roles=["ketua_lppar"])  # fmt: skip
        notify(ctx, text="Perlu perhatian Kepala Dinas", user_ids=[people["kadin"].user_id])
        for name in ("rina", "rudi"):
            newest = notifications.feed(ctx, people[name])[0]
            assert (newest.kind, newest.case_number, newest.link) == ("eskalasi", case.number, f"/kasus/{case.id}")
            assert notifications.unread_count(ctx, people[name]) == 2
        assert [(i.kind, i.link) for i in notifications.feed(ctx, people["kadin"])] == [("eskalasi", "/notifikasi")]
        assert notifications.feed(ctx, people["tono"]) == []

    def test_each_role_and_user_gets_one_row_and_long_texts_are_cut(self, ctx: EngineContext, people: People) -> None:
        rina = people["rina"].user_id
        assert rina is not None
        notify(ctx, text="x" * 400, roles=["ketua_lppar", "ketua_lppar", "sekretaris"], user_ids=[rina, rina])
        with ctx.unit_of_work(write=False) as uow:
            rows = uow.session.execute(select(Notification.role, Notification.user_id, Notification.text)).all()
        assert sorted((r, u) for r, u, _ in rows if r) == [("ketua_lppar", None), ("sekretaris", None)]
        assert [u for r, u, _ in rows if r is None] == [rina] and {len(t) for _, _, t in rows} == {300}


class TestUnread:
    def test_mark_seen_zeroes_the_count_until_something_new_comes(
        self, ctx: EngineContext, people: People, case: CaseView, clock: FixedClock
    ) -> None:
        rina = people["rina"]
        assert notifications.unread_count(ctx, rina) == 1
        notifications.mark_seen(ctx, rina)
        assert notifications.unread_count(ctx, rina) == 0
        assert [i.unread for i in notifications.feed(ctx, rina)] == [False]
        clock.advance(timedelta(minutes=1))
        notify(ctx, text=f"Tugas terlambat (kasus {case.number})", case_id=case.id, roles=["ketua_lppar"])
        assert notifications.unread_count(ctx, rina) == 1
        assert [i.unread for i in notifications.feed(ctx, rina)] == [True, False]
        assert notifications.unread_count(ctx, people["rudi"]) == 2  # rudi's own moment is his own

    def test_the_count_stops_above_the_cap(self, ctx: EngineContext, people: People) -> None:
        notify(ctx, text="x", roles=["tim_teknis"])
        for _ in range(notifications.UNREAD_CAP + 5):
            notify(ctx, text="x", user_ids=[people["tono"].user_id])
        assert notifications.unread_count(ctx, people["tono"]) == notifications.UNREAD_CAP + 1
        assert len(notifications.feed(ctx, people["tono"], limit=10)) == 10

    def test_nothing_for_the_operator(self, ctx: EngineContext, case: CaseView) -> None:
        assert notifications.unread_count(ctx, OPERATOR) == 0 and notifications.feed(ctx, OPERATOR) == []
        notifications.mark_seen(ctx, OPERATOR)

    def test_no_item_holds_a_name_or_the_violence_type(
        self, ctx: EngineContext, people: People, case: CaseView
    ) -> None:
        add_letter(ctx, case, "surat_keputusan", for_applicant=True)
        items = notifications.feed(ctx, people["ani"]) + notifications.feed(ctx, people["rina"])
        assert {i.kind for i in items} == {"tugas", "surat"}
        said = " ".join(f"{i.text} {i.link} {i.case_number}" for i in items)
        assert not [word for word in VICTIM_WORDS if word.lower() in said.lower()]


# -- email ---------------------------------------------------------------------------------------------------


class Inbox:
    """What the test's SMTP server received."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server on a free port."""
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


class TestEmail:
    @pytest.fixture
    def settings(self, settings: Settings, inbox: tuple[Inbox, int]) -> Settings:
        return replace(settings, smtp_url=f"smtp://127.0.0.1:{inbox[1]}", base_url="https://mediasi.example")

    @pytest.fixture
    def addresses(self, ctx: EngineContext, people: People) -> People:
        for name in ("rina", "tono", "ani"):
            user_service.set_email(ctx, actor=OPERATOR, username=name, email=f"{name}@pekalongankota.go.id")
        return people

    def test_new_work_is_mailed_once_to_those_with_an_address(
        self, ctx: EngineContext, addresses: People, clock: FixedClock, inbox: tuple[Inbox, int]
    ) -> None:
        received = inbox[0].received
        assert notifications.deliver_mail(ctx) == 0  # the first delivery starts the cursor: the past is not mailed
        clock.advance(timedelta(minutes=1))
        case = case_service.start_case(ctx, actor=addresses["ani"], data=application())
        assert notifications.deliver_mail(ctx) == 0  # too fresh: its step may not have committed everywhere yet
        clock.advance(notifications.MAIL_SETTLE)
        assert notifications.deliver_mail(ctx) == 1
        [(recipients, message)] = received
        assert recipients == ["rina@pekalongankota.go.id"]  # rudi has no address; ani has no task
        assert message["Subject"] == f"[Mediasi] Tugas baru: Periksa kelengkapan berkas (kasus {case.number})"
        assert message["From"] == "mediasi@localhost" and message["To"] == "rina@pekalongankota.go.id"
        body = message.get_content()
        assert case.number in body and f"https://mediasi.example/tugas/{case.tasks[0].id}" in body
        assert not [word for word in VICTIM_WORDS if word.lower() in body.lower()]
        clock.advance(timedelta(minutes=5))
        assert notifications.deliver_mail(ctx) == 0 and len(received) == 1

    def test_an_escalation_and_a_letter_in_one_email_each(
        self, ctx: EngineContext, addresses: People, clock: FixedClock, inbox: tuple[Inbox, int], case: CaseView
    ) -> None:
        notifications.deliver_mail(ctx)
        clock.advance(timedelta(minutes=1))
        notify(ctx, text=f"Tugas terlambat (kasus {case.number})", case_id=case.id, roles=["ketua_lppar"])
        add_letter(ctx, case, "surat_keputusan", for_applicant=True)
        clock.advance(notifications.MAIL_SETTLE)
        assert notifications.deliver_mail(ctx) == 2
        by_recipient = {tuple(to): message for to, message in inbox[0].received}
        assert set(by_recipient) == {("rina@pekalongankota.go.id",), ("ani@pekalongankota.go.id",)}
        assert by_recipient[("rina@pekalongankota.go.id",)]["Subject"] == "[Mediasi] 2 notifikasi baru"
        to_ani = by_recipient[("ani@pekalongankota.go.id",)]
        assert to_ani["Subject"] == f"[Mediasi] Surat diterbitkan: Surat Keputusan Kepala Dinas (kasus {case.number})"
        assert f"https://mediasi.example/kasus/{case.id}" in to_ani.get_content()

    def test_a_failed_delivery_is_tried_again(
        self, make_ctx: Any, settings: Settings, addresses: People, clock: FixedClock, inbox: tuple[Inbox, int]
    ) -> None:
        ctx = make_ctx()
        notifications.deliver_mail(ctx)
        clock.advance(timedelta(minutes=1))
        case_service.start_case(ctx, actor=addresses["ani"], data=application())
        clock.advance(notifications.MAIL_SETTLE)
        unreachable = EngineContext(replace(settings, smtp_url=f"smtp://127.0.0.1:{free_port()}"), ctx.database, clock)
        assert notifications.deliver_mail(unreachable) == 0
        with ctx.unit_of_work(write=False) as uow:
            assert uow.session.scalar(select(MailCursor.position)) == datetime(2026, 3, 17, 1, 59, tzinfo=UTC)
        assert notifications.deliver_mail(ctx) == 1 and len(inbox[0].received) == 1

    def test_without_an_smtp_url_nothing_is_sent(self, ctx: EngineContext, settings: Settings) -> None:
        plain = EngineContext(replace(settings, smtp_url=None), ctx.database, ctx.clock)
        assert notifications.deliver_mail(plain) == 0
        with ctx.unit_of_work(write=False) as uow:
            assert uow.session.scalar(select(func.count()).select_from(MailCursor)) == 0


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"MEDIASI_SMTP_URL": "http://mail.example"}, "skema harus smtp atau smtps"),
        ({"MEDIASI_SMTP_URL": "smtp://mail.example:99999"}, "port harus bilangan"),
        ({"MEDIASI_SMTP_URL": "smtp://u:rahasia@mail.example?tls=1"}, "parameter tidak dikenal: tls"),
        ({"MEDIASI_SMTP_URL": "smtps://u:rahasia@mail.example?starttls=1"}, "smtps sudah memakai TLS"),
        ({"MEDIASI_MAIL_FROM": "mediasi"}, "MEDIASI_MAIL_FROM harus berupa alamat email"),
        ({"MEDIASI_BASE_URL": "mediasi.example"}, "MEDIASI_BASE_URL harus diawali http://"),
    ],
)
def test_bad_mail_settings_are_refused_without_echoing_a_password(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_environ(environ)
    assert message in refused.value.message and "rahasia" not in refused.value.message


def test_mail_settings_from_the_environment() -> None:
    settings = Settings.from_environ(
        {
            "MEDIASI_SMTP_URL": "smtp://mediasi:rahasia@mail.example:587?starttls=1",
            "MEDIASI_MAIL_FROM": "Mediasi DPMPPA <mediasi@pekalongankota.go.id>",
            "MEDIASI_BASE_URL": "https://mediasi.example/",
        }
    )
    assert settings.base_url == "https://mediasi.example"
    assert settings.mail_from == "Mediasi DPMPPA <mediasi@pekalongankota.go.id>"
    assert settings.smtp_url is not None and Settings.from_environ({}).smtp_url is None


class TestEmailAddresses:
    def test_an_address_is_checked_and_can_be_removed(self, ctx: EngineContext, people: People) -> None:
        for bad in ("rina", "rina@localhost", "rina@contoh.id\nBcc: x@y.id", "a b@contoh.id", "x" * 250 + "@a.id"):
            with pytest.raises(FormInvalid) as refused:
                user_service.set_email(ctx, actor=OPERATOR, username="rina", email=bad)
            assert set(refused.value.errors) == {"email"}
        assert (
            user_service.set_email(ctx, actor=OPERATOR, username="rina", email=" rina@contoh.id ") == "rina@contoh.id"
        )
        assert user_service.set_email(ctx, actor=OPERATOR, username="rina", email="") is None
        with pytest.raises(PermissionDenied):
            user_service.set_email(ctx, actor=people["rina"], username="rina", email="rina@contoh.id")


def test_migration_0008_goes_down_and_up(ctx: EngineContext, people: People, case: CaseView) -> None:
    """Down to 0007 the notification tables and the two account columns are gone; up again they are back."""
    notify(ctx, text=f"Tugas terlambat (kasus {case.number})", roles=["ketua_lppar"])

    def schema() -> tuple[set[str], set[str]]:
        found = inspect(ctx.database.engine)
        return set(found.get_table_names()), {c["name"] for c in found.get_columns("user_account")}

    migrate.downgrade(ctx.database, "0007")
    tables, columns = schema()
    assert not {"notification", "mail_cursor"} & tables and not {"email", "notifications_seen_at"} & columns
    migrate.upgrade(ctx.database)
    tables, columns = schema()
    assert {"notification", "mail_cursor"} <= tables and {"email", "notifications_seen_at"} <= columns
    assert notifications.unread_count(ctx, people["rina"]) == 1  # the case's task; the escalation went with its table
