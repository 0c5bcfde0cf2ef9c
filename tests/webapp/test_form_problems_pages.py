"""One submit shows every problem beside its field, keeps every answer and every stored file; the API says the same."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from engine.actors import Actor
from engine.context import EngineContext
from engine.persistence.models import User
from engine.services import cases as case_service
from engine.services import users as user_service
from engine.settings import PROJECT_ROOT
from tests.builders import FORMS, TO_DECISION, application, as_form, ready_task, steps, walk
from tests.engine.test_tasks import send_back_to_applicant
from tests.engine.test_upload_limits import documents, pdf
from tests.webapp.conftest import PASSWORD, Api, signed_in
from webapp.formrender import error_summary

People = dict[str, Actor]
SATURDAY = "2026-04-11"


@pytest.fixture
def accounts(ctx: EngineContext, people: People) -> People:
    """The test people, each with the page tests' password."""
    with ctx.unit_of_work() as uow:
        for user in uow.session.query(User).all():
            user.password_hash = user_service.hash_password(PASSWORD)
    return people


def field_error(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="galat" id="f-{field}-galat">([^<]*)</p>', page)
    return match.group(1) if match else None


def control(page: str, field: str) -> str:
    """The opening tag of the field's control."""
    match = re.search(rf'<(?:input|textarea|fieldset|select)[^>]* id="f-{field}"[^>]*>', page)
    assert match, field
    return match.group(0)


def invitation(ctx: EngineContext, people: People) -> tuple[uuid.UUID, uuid.UUID]:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION, "Task_keputusan_kadin"))
    return case.id, ready_task(ctx, case.id, "Task_undangan_mediasi")


def test_one_submit_shows_every_problem_beside_its_field_and_keeps_the_answers(
    web: Flask, ctx: EngineContext, accounts: People
) -> None:
    case_id, task_id = invitation(ctx, accounts)
    client = signed_in(web, "kadin")
    typed = {**FORMS["Task_undangan_mediasi"], "tanggal_mediasi": SATURDAY, "jam_mediasi": "15.00"}
    form = {**as_form(typed), "tempat_mediasi": "", "pendamping_korban": "Bu Rina (P2TP2A)"}
    response = client.post(f"/tugas/{task_id}", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and ready_task(ctx, case_id, "Task_undangan_mediasi") == task_id
    assert "bukan hari kerja" in (field_error(page, "tanggal_mediasi") or "")
    assert "jam layanan" in (field_error(page, "jam_mediasi") or "")
    assert field_error(page, "tempat_mediasi") == "Wajib diisi."
    for field in ("tanggal_mediasi", "jam_mediasi", "tempat_mediasi"):
        tag = control(page, field)
        assert 'aria-invalid="true"' in tag and f"f-{field}-galat" in tag
        assert f'<a href="#f-{field}">' in page  # the summary links to the field
    assert f'value="{SATURDAY}"' in control(page, "tanggal_mediasi")  # every answer as typed
    assert 'value="15.00"' in control(page, "jam_mediasi")
    assert 'value="Bu Rina (P2TP2A)"' in control(page, "pendamping_korban")
    assert "Format tidak sesuai" not in page

    fixed = {**form, "tanggal_mediasi": "2026-04-07", "jam_mediasi": "9.30", "tempat_mediasi": "Ruang Mediasi"}
    assert client.post(f"/tugas/{task_id}", data=fixed).status_code == 302
    assert ready_task(ctx, case_id, "Task_koordinasi")


def test_a_mediation_date_before_filing_is_refused_over_the_api_with_every_field(
    api: Callable[[str], Api], ctx: EngineContext, people: People
) -> None:
    case_id, task_id = invitation(ctx, people)
    data: dict[str, Any] = {**FORMS["Task_undangan_mediasi"], "tanggal_mediasi": "2026-03-10", "jam_mediasi": "8 pagi"}
    data.pop("tempat_mediasi")
    response = api("kadin").post(f"/tasks/{task_id}/complete", json={"data": data})
    assert response.status_code == 422 and ready_task(ctx, case_id, "Task_undangan_mediasi") == task_id
    errors = response.json["errors"]
    assert set(errors) == {"tanggal_mediasi", "jam_mediasi", "tempat_mediasi"}
    assert "sebelum kasus ini diajukan" in errors["tanggal_mediasi"]
    assert "15.00 atau 15:00" in errors["jam_mediasi"]
    accepted = {**FORMS["Task_undangan_mediasi"], "jam_mediasi": "09.30"}
    assert api("kadin").post(f"/tasks/{task_id}/complete", json={"data": accepted}).status_code == 200


@pytest.fixture
def sent_back(ctx: EngineContext, accounts: People) -> tuple[uuid.UUID, uuid.UUID]:
    """Ani's case, sent back to her: (case id, her "Lengkapi berkas" task)."""
    case = case_service.start_case(ctx, actor=accounts["ani"], data=application())
    return case.id, send_back_to_applicant(ctx, accounts, case)


def test_a_stored_file_stays_attached_when_another_field_is_wrong(
    web: Flask, ctx: EngineContext, sent_back: tuple[uuid.UUID, uuid.UUID]
) -> None:
    case_id, task_id = sent_back
    client = signed_in(web, "ani")
    form = {"keterangan_tambahan": "", "lampiran_tambahan": (io.BytesIO(pdf()), "ktp.pdf")}
    response = client.post(f"/tugas/{task_id}", data=form, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and field_error(page, "keterangan_tambahan") == "Wajib diisi."
    assert documents(ctx, case_id) == 1
    kept = re.search(r'name="lampiran_tambahan__existing" value="([0-9a-f-]{36})"', page)
    assert kept and "Berkas sudah diunggah" in page
    again = {"keterangan_tambahan": "KTP terlampir.", "lampiran_tambahan__existing": kept.group(1)}
    assert client.post(f"/tugas/{task_id}", data=again).status_code == 302  # completed with the kept file
    assert ready_task(ctx, case_id, "Task_periksa_kelengkapan")
    assert documents(ctx, case_id) == 1


def test_a_refused_upload_is_named_at_its_field_with_the_forms_other_problems(
    web: Flask, ctx: EngineContext, sent_back: tuple[uuid.UUID, uuid.UUID]
) -> None:
    case_id, task_id = sent_back
    form = {"keterangan_tambahan": "", "lampiran_tambahan": (io.BytesIO(b"MZ\x90\x00"), "ktp.exe")}
    response = signed_in(web, "ani").post(f"/tugas/{task_id}", data=form, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "lampiran_tambahan") == "Jenis berkas harus PDF, JPEG atau PNG."
    assert field_error(page, "keterangan_tambahan") == "Wajib diisi."  # in the same answer
    assert 'aria-invalid="true"' in control(page, "lampiran_tambahan")
    assert documents(ctx, case_id) == 0
    assert ready_task(ctx, case_id, "Task_lengkapi_berkas") == task_id


def test_the_summary_lists_errors_in_the_forms_order_with_the_titles_they_show_under() -> None:
    schema = json.loads((PROJECT_ROOT / "forms" / "permohonan_mediasi.json").read_text())
    errors = {
        "_form": "Semua",
        "tempat_kejadian": "Wajib diisi.",
        "korban.1.umur": "Minimal 0.",
        "asing": "Isian tidak dikenal.",
    }
    summary = error_summary(schema, errors)
    assert [(item.title, item.target) for item in summary] == [
        ("Korban 2 \u203a Umur (tahun)", "f-korban-1-umur"),
        ("Tempat kejadian", "f-tempat_kejadian"),
        ("asing", None),
    ]
