"""Uploads go only to tasks with a file field, and stay within a count per task and megabytes per case."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import func, insert, select, text

from engine.actors import Actor
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.persistence.models import Case, Document
from engine.services import cases as case_service
from engine.services import tasks as task_service
from tests.builders import Step, application, ready_task, steps, walk
from tests.engine.test_tasks import send_back_to_applicant
from tests.snapshots import snapshot

People = dict[str, Actor]
KB = 1024
NO_FILE_FIELD = "Tugas 'Periksa kelengkapan berkas' tidak menerima unggahan: formulirnya tidak memiliki isian berkas."


def pdf(size: int = 20) -> bytes:
    """A PDF-looking file of `size` bytes."""
    return b"%PDF-1.4 " + b"x" * (size - 9)


@pytest.fixture
def case(ctx: EngineContext, people: People) -> CaseView:
    return case_service.start_case(ctx, actor=people["ani"], data=application())


def documents(ctx: EngineContext, case_id: uuid.UUID) -> int:
    with ctx.unit_of_work(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Document).where(Document.case_id == case_id)) or 0


def upload(ctx: EngineContext, actor: Actor, task_id: uuid.UUID, content: bytes) -> uuid.UUID:
    return task_service.attach_document(ctx, actor=actor, task_id=task_id, filename="ktp.pdf", content=content)


def refused_upload(ctx: EngineContext, actor: Actor, task_id: uuid.UUID, content: bytes) -> str:
    """Upload and expect InvalidInput, with the database exactly as before; return the message."""
    before = snapshot(ctx)
    with pytest.raises(InvalidInput) as caught:
        upload(ctx, actor, task_id, content)
    assert snapshot(ctx) == before
    return caught.value.message


def set_limits(ctx: EngineContext, *, per_task: int = 5, per_case_mb: int = 50) -> None:
    ctx.settings = replace(ctx.settings, max_uploads_per_task=per_task, max_upload_mb_per_case=per_case_mb)


def test_a_task_without_a_file_field_takes_no_upload(ctx: EngineContext, people: People, case: CaseView) -> None:
    task_id = ready_task(ctx, case.id, "Task_periksa_kelengkapan")
    assert refused_upload(ctx, people["rina"], task_id, pdf()) == NO_FILE_FIELD
    assert documents(ctx, case.id) == 0


def test_the_sixth_upload_to_a_task_is_refused(ctx: EngineContext, people: People, case: CaseView) -> None:
    assert ctx.settings.max_uploads_per_task == 5  # the default
    task_id = send_back_to_applicant(ctx, people, case)
    for _ in range(5):
        upload(ctx, people["ani"], task_id, pdf())
    message = refused_upload(ctx, people["ani"], task_id, pdf())
    assert message == "Tugas ini sudah memiliki 5 berkas; paling banyak 5 berkas per tugas."
    assert documents(ctx, case.id) == 5


def test_the_count_is_per_task(ctx: EngineContext, people: People, case: CaseView) -> None:
    set_limits(ctx, per_task=1)
    first = send_back_to_applicant(ctx, people, case)
    upload(ctx, people["ani"], first, pdf())
    refused_upload(ctx, people["ani"], first, pdf())
    incomplete = Step("Task_periksa_kelengkapan", {"berkas_lengkap": False, "catatan_kelengkapan": "Akta cerai."})
    walk(lambda: ctx, people, case, steps("Task_lengkapi_berkas", incomplete))
    second = ready_task(ctx, case.id, "Task_lengkapi_berkas")
    assert second != first
    upload(ctx, people["ani"], second, pdf())  # a new task of the same case starts from none
    assert documents(ctx, case.id) == 2


def test_an_upload_past_the_cases_megabytes_is_refused(ctx: EngineContext, people: People, case: CaseView) -> None:
    set_limits(ctx, per_case_mb=1)
    task_id = send_back_to_applicant(ctx, people, case)
    upload(ctx, people["ani"], task_id, pdf(600 * KB))
    message = refused_upload(ctx, people["ani"], task_id, pdf(600 * KB))
    assert message == "Unggahan satu kasus paling banyak 1 MB; sisa untuk kasus ini 0,4 MB."
    upload(ctx, people["ani"], task_id, pdf(424 * KB))  # exactly up to the limit is allowed
    assert refused_upload(ctx, people["ani"], task_id, pdf(10)).endswith("sisa untuk kasus ini 0,0 MB.")
    assert documents(ctx, case.id) == 2


def test_issued_letters_do_not_count_against_the_uploads(ctx: EngineContext, people: People, case: CaseView) -> None:
    set_limits(ctx, per_task=1, per_case_mb=1)
    task_id = send_back_to_applicant(ctx, people, case)
    add_document(ctx, case.id, task_id, kind="surat_penolakan", size=2 * 1024 * KB)
    upload(ctx, people["ani"], task_id, pdf(600 * KB))
    assert documents(ctx, case.id) == 2


def add_document(ctx: EngineContext, case_id: uuid.UUID, task_id: uuid.UUID, *, kind: str, size: int) -> None:
    """Insert a document row directly, outside the service."""
    content = pdf(size)
    row = {
        "id": uuid.uuid4(),
        "case_id": case_id,
        "task_id": task_id,
        "kind": kind,
        "filename": "lain.pdf",
        "media_type": "application/pdf",
        "size": size,
        "sha256": hashlib.sha256(content).hexdigest(),
        "content": content,
        "created_by": "rina",
        "created_at": ctx.clock.now(),
    }
    with ctx.database.engine.begin() as connection:
        connection.execute(insert(Document).values(**row))


def test_an_upload_waiting_on_another_counts_its_file(ctx: EngineContext, people: People, case: CaseView) -> None:
    """Of two concurrent uploads with room for one, the second waits for the first and is refused."""
    set_limits(ctx, per_task=1)
    task_id = send_back_to_applicant(ctx, people, case)
    outcome: list[InvalidInput | uuid.UUID] = []

    def second() -> None:
        try:
            outcome.append(upload(ctx, people["ani"], task_id, pdf()))
        except InvalidInput as error:
            outcome.append(error)

    with ctx.unit_of_work() as uow:  # the first upload's transaction, still open
        uow.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
        content = pdf()
        uow.session.execute(
            insert(Document).values(
                id=uuid.uuid4(),
                case_id=case.id,
                task_id=task_id,
                kind="unggahan",
                filename="pertama.pdf",
                media_type="application/pdf",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                created_by="ani",
                created_at=ctx.clock.now(),
            )
        )
        thread = threading.Thread(target=second)
        thread.start()
        wait_until_blocked(ctx)
        assert outcome == []  # the second upload has not passed the limit meanwhile
    thread.join(timeout=10)
    [result] = outcome
    assert isinstance(result, InvalidInput) and "paling banyak 1 berkas per tugas" in result.message
    assert documents(ctx, case.id) == 1


def wait_until_blocked(ctx: EngineContext) -> None:
    """On PostgreSQL, until another session waits for a lock; on SQLite, a moment (it waits at BEGIN)."""
    if ctx.database.is_sqlite:
        time.sleep(0.3)
        return
    waiting = text("select count(*) from pg_stat_activity where wait_event_type = 'Lock'")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with ctx.database.engine.connect() as connection:
            if connection.scalar(waiting):
                return
        time.sleep(0.02)
    raise AssertionError("the second upload never waited for the first")
