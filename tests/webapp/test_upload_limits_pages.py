"""A refused upload: beside its file field on the task page, and 422 JSON on the API."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import User
from engine.services import cases as case_service
from engine.services import tasks as task_service
from engine.services import users as user_service
from tests.builders import application, ready_task
from tests.engine.test_tasks import send_back_to_applicant
from tests.engine.test_upload_limits import NO_FILE_FIELD, documents, pdf, set_limits
from tests.webapp.conftest import PASSWORD, Api, signed_in

People = dict[str, Actor]
ONE_PER_TASK = "Tugas ini sudah memiliki 1 berkas; paling banyak 1 berkas per tugas."


@pytest.fixture
def accounts(ctx: EngineContext, people: People) -> People:
    """The test people, each with the page tests' password."""
    with ctx.unit_of_work() as uow:
        for user in uow.session.query(User).all():
            user.password_hash = user_service.hash_password(PASSWORD)
    return people


@pytest.fixture
def sent_back(ctx: EngineContext, people: People) -> tuple[uuid.UUID, uuid.UUID]:
    """Ani's case, sent back to her: (case id, her "Lengkapi berkas" task), with room for one upload."""
    set_limits(ctx, per_task=1)
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    return case.id, send_back_to_applicant(ctx, people, case)


def submit(client: FlaskClient, task_id: uuid.UUID, content: bytes, **fields: str) -> tuple[int, str]:
    form = {"keterangan_tambahan": "KTP terlampir.", "lampiran_tambahan": (io.BytesIO(content), "ktp.pdf"), **fields}
    response = client.post(f"/tugas/{task_id}", data=form, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def field_error(page: str) -> str | None:
    match = re.search(r'<p class="galat" id="f-lampiran_tambahan-galat">([^<]*)</p>', page)
    return match.group(1) if match else None


def test_an_upload_over_the_limit_is_shown_at_its_field(
    web: Flask, ctx: EngineContext, accounts: People, sent_back: tuple[uuid.UUID, uuid.UUID]
) -> None:
    case_id, task_id = sent_back
    first = task_service.attach_document(ctx, actor=accounts["ani"], task_id=task_id, filename="a.pdf", content=pdf())
    status, page = submit(signed_in(web, "ani"), task_id, pdf(), lampiran_tambahan__existing=str(first))
    assert status == 422
    assert field_error(page) == ONE_PER_TASK
    assert 'aria-invalid="true"' in page
    assert f'name="lampiran_tambahan__existing" value="{first}"' in page  # the earlier file is kept
    assert documents(ctx, case_id) == 1
    assert ready_task(ctx, case_id, "Task_lengkapi_berkas") == task_id  # not completed


def test_a_file_of_the_wrong_type_is_shown_at_its_field(
    web: Flask, ctx: EngineContext, accounts: People, sent_back: tuple[uuid.UUID, uuid.UUID]
) -> None:
    case_id, task_id = sent_back
    status, page = submit(signed_in(web, "ani"), task_id, b"MZ\x90\x00")
    assert (status, field_error(page)) == (422, "Jenis berkas harus PDF, JPEG atau PNG.")
    assert documents(ctx, case_id) == 0


def test_an_accepted_upload_completes_the_task(
    web: Flask, ctx: EngineContext, accounts: People, sent_back: tuple[uuid.UUID, uuid.UUID]
) -> None:
    case_id, task_id = sent_back
    status, _ = submit(signed_in(web, "ani"), task_id, pdf())
    assert status == 302 and documents(ctx, case_id) == 1
    assert ready_task(ctx, case_id, "Task_periksa_kelengkapan")


def test_the_api_refuses_a_task_without_a_file_field(
    api: Callable[[str], Api], ctx: EngineContext, people: People
) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    task_id = ready_task(ctx, case.id, "Task_periksa_kelengkapan")
    response = api("rina").post(f"/tasks/{task_id}/files", data={"file": (io.BytesIO(pdf()), "kuasa.pdf")})
    assert response.status_code == 422
    assert response.json == {"error": "invalid_input", "message": NO_FILE_FIELD}
    assert documents(ctx, case.id) == 0


def test_the_api_refuses_an_upload_over_the_limit(
    api: Callable[[str], Api], ctx: EngineContext, sent_back: tuple[uuid.UUID, uuid.UUID]
) -> None:
    case_id, task_id = sent_back
    accepted = api("ani").post(f"/tasks/{task_id}/files", data={"file": (io.BytesIO(pdf()), "ktp.pdf")})
    assert accepted.status_code == 201
    refused = api("ani").post(f"/tasks/{task_id}/files", data={"file": (io.BytesIO(pdf()), "ktp.pdf")})
    assert (refused.status_code, refused.json) == (422, {"error": "invalid_input", "message": ONE_PER_TASK})
    assert documents(ctx, case_id) == 1
