"""Every route of the app that hands out case data logs a read on the access chain.

The routes are enumerated from the app's url_map, so a new route with a case, task or document in
its path fails this test until it logs its read (or is listed below with the reason it shows no
case data). A route without such an id must be classified by hand: an export (logged as one) or
a page known to show no single case's data.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from engine.actors import Actor
from engine.context import EngineContext
from engine.events import ACCESS_CHAIN
from engine.persistence.models import Event, User
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.builders import application
from tests.conftest import OPERATOR
from tests.uploads import resubmit_with_file
from tests.webapp.conftest import PASSWORD, signed_in

# Path parameters that name one case's data: a GET route with one of them must log a read.
CASE_DATA_PARAMS = frozenset({"case_id", "task_id", "document_id"})

# GET routes with such a parameter that show no case content, and why.
NOT_CASE_DATA = {
    "api.case_access": "log akses: siapa membaca, bukan isi kasus",
    "audit.access": "log akses: siapa membaca, bukan isi kasus",
    "api.case_chain": "status rantai hash: hanya hash dan nomor urut",
    "audit.version_diagram": "XML BPMN versi proses, bukan data kasus",
    "claims.supervise": "formulir pengalihan: judul tugas, nomor kasus dan pemegangnya, bukan isi kasus",
}

# GET routes without such a parameter that export many cases' data: each logs an export.
EXPORTS = {
    "api.export_statistik_csv",
    "api.export_statistik_xlsx",
    "api.export_simfoni_csv",
    "api.export_simfoni_xlsx",
    "exports.download",
}

# GET routes without such a parameter that show no single case's data, and why.
NO_CASE = {
    "static": "berkas statis",
    "pages.home": "halaman depan",
    "incidents.index": "daftar insiden (nomor kasus, elemen, galat; tanpa data kasus)",
    "api.list_incidents": "daftar insiden (nomor kasus, elemen, galat; tanpa data kasus)",
    "admin.calendar": "kalender kerja",
    "admin.users": "akun pengguna",
    "admin.letters": "pengaturan surat",
    "api.health": "status layanan",
    "api.openapi": "dokumen OpenAPI",
    "api.list_cases": "daftar (bukan pembacaan satu kasus)",
    "api.inbox": "daftar tugas",
    "api.feed": "daftar notifikasi",
    "api.list_processes": "definisi proses",
    "api.get_process": "definisi proses",
    "api.process_diff": "definisi proses",
    "api.dashboard": "statistik agregat",
    "api.search": "daftar hasil pencarian audit",
    "api.chain": "rantai akses atau sistem, bukan isi kasus",
    "audit.index": "daftar hasil pencarian audit",
    "audit.access_by_number": "pengalihan ke log akses",
    "audit.chain": "rantai akses atau sistem, bukan isi kasus",
    "auth.register": "formulir pendaftaran",
    "auth.login": "formulir masuk",
    "reports.dashboard": "statistik agregat",
    "cases.index": "daftar kasus",
    "cases.new_complaint": "formulir kosong",
    "cases.new": "formulir kosong",
    "exports.page": "formulir ekspor",
    "notifications.index": "daftar notifikasi",
    "tasks.inbox": "daftar tugas",
    "processes.index": "definisi proses",
    "processes.version": "definisi proses",
    "processes.forms": "definisi proses",
    "processes.form_json": "definisi proses",
    "processes.xml": "definisi proses",
    "processes.diff": "definisi proses",
    "processes.migrate": "definisi proses",
    "processes.draft": "draf proses",
    "processes.new_form": "draf proses",
    "processes.form_editor": "draf proses",
    "processes.draft_content": "draf proses",
    "claims.claimed": "daftar tugas yang diambil (judul, nomor kasus, pemegang)",
    "substitutes.page": "pengaturan pengganti akun sendiri",
    "api.get_substitute": "pengaturan pengganti akun sendiri",
}

# Who reads a route: the auditor for audit routes, the Ketua LP-PAR working the case otherwise.
AUDIT_ENDPOINTS = ("audit.", "api.case_replay", "api.case_evidence")


def get_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or set())]


def must_log_read(rule: Rule) -> bool:
    return bool(CASE_DATA_PARAMS & set(rule.arguments)) and rule.endpoint not in NOT_CASE_DATA


@pytest.fixture
def accounts(ctx: EngineContext, everyone: dict[str, Actor]) -> dict[str, Actor]:
    """Everyone signs in with PASSWORD."""
    hashed = user_service.hash_password(PASSWORD)
    with ctx.unit_of_work() as uow:
        for user in uow.session.query(User).all():
            user.password_hash = hashed
    return everyone


class Reader:
    """Requests a route as the person allowed to read it: a signed-in page client or an API token."""

    def __init__(self, web: Flask, ctx: EngineContext) -> None:
        self.web, self.ctx = web, ctx
        self.pages: dict[str, FlaskClient] = {}
        self.tokens: dict[str, str] = {}

    def get(self, endpoint: str, path: str) -> Any:
        who = "audi" if endpoint.startswith(AUDIT_ENDPOINTS) else "rina"
        if endpoint.startswith("api."):
            return self.web.test_client().get(path, headers={"Authorization": f"Bearer {self._token(who)}"})
        if who not in self.pages:
            self.pages[who] = signed_in(self.web, who)
        return self.pages[who].get(path)

    def _token(self, who: str) -> str:
        if who not in self.tokens:
            self.tokens[who] = user_service.create_token(self.ctx, actor=OPERATOR, username=who)
        return self.tokens[who]


def path_of(web: Flask, rule: Rule, values: dict[str, Any]) -> str:
    with web.test_request_context():
        return url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})


def access_events(ctx: EngineContext, case_id: uuid.UUID | None = None) -> int:
    with ctx.unit_of_work(write=False) as uow:
        where = [Event.chain == ACCESS_CHAIN]
        if case_id is not None:
            where.append(Event.subject_id == case_id)
        return uow.session.scalar(select(func.count()).select_from(Event).where(*where)) or 0


def test_every_get_route_is_classified(web: Flask) -> None:
    """A new route without a case/task/document id must be put in EXPORTS or NO_CASE by hand."""
    unclassified = [
        rule.endpoint
        for rule in get_rules(web)
        if not CASE_DATA_PARAMS & set(rule.arguments) and rule.endpoint not in EXPORTS | set(NO_CASE)
    ]
    assert unclassified == []
    stale = (set(NOT_CASE_DATA) | EXPORTS | set(NO_CASE)) - {rule.endpoint for rule in get_rules(web)}
    assert stale == set()


def test_every_route_returning_case_data_logs_a_read(
    web: Flask, ctx: EngineContext, accounts: dict[str, Actor]
) -> None:
    started = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    task_id, document_id = resubmit_with_file(ctx, accounts, started.id)  # Ani's upload; the check ready again
    reader = Reader(web, ctx)
    values = {"case_id": started.id, "task_id": task_id, "document_id": document_id}

    checked = []
    for rule in get_rules(web):
        if must_log_read(rule):
            path = path_of(web, rule, values)
            before = access_events(ctx, started.id)
            response = reader.get(rule.endpoint, path)
            assert response.status_code == 200, (path, response.status_code)
            assert access_events(ctx, started.id) == before + 1, f"{rule.endpoint} ({path}) logs no read"
            checked.append(rule.endpoint)
        elif rule.endpoint in EXPORTS:
            path = rule.rule if rule.endpoint.startswith("api.") else f"{rule.rule}?berkas=statistik.csv"
            before = access_events(ctx)
            response = reader.get(rule.endpoint, path)
            assert response.status_code == 200, (path, response.status_code)
            assert access_events(ctx) == before + 1, f"{rule.endpoint} ({path}) logs no export"
            checked.append(rule.endpoint)
    assert {"audit.replay", "api.case_replay", "api.case_documents", "cases.diagram"} <= set(checked)
