"""`audit verify` hashes every stored document again: replaced bytes are found, not only edited events."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select, update

from engine.actors import Actor
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.persistence.models import Case, Document
from engine.services import audit
from engine.services import cases as case_service
from engine.services import signatories as letter_settings
from engine.services import tasks as task_service
from tests.builders import Step, application, ready_task, walk
from tests.conftest import OPERATOR
from tests.engine.test_paths import PATHS

People = dict[str, Actor]
FORGED = b"%PDF-1.4 surat palsu"


@pytest.fixture
def lettered(ctx: EngineContext, people: People) -> CaseView:
    """A case the Kepala Dinas rejected (its letters issued as PDFs), with one upload on another case."""
    letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR)
    overrides, path, _ = PATHS["rejected by the Kepala Dinas"]
    case = case_service.start_case(ctx, actor=people["ani"], data=application(**overrides))
    walk(lambda: ctx, people, case, path)
    other = case_service.start_case(ctx, actor=people["budi"], data=application())
    incomplete = Step("Task_periksa_kelengkapan", {"berkas_lengkap": False, "catatan_kelengkapan": "Surat kuasa."})
    walk(lambda: ctx, people, other, [incomplete])
    task_id = ready_task(ctx, other.id, "Task_lengkapi_berkas")  # a task with a file field
    task_service.attach_document(
        ctx, actor=people["budi"], task_id=task_id, filename="kuasa.pdf", content=b"%PDF-1.4 x"
    )
    return case


def letter_of(ctx: EngineContext, case: CaseView) -> Document:
    with ctx.unit_of_work(write=False) as uow:
        query = select(Document).where(Document.case_id == case.id, Document.kind != "unggahan")
        row = uow.session.scalars(query.order_by(Document.created_at)).first()
        assert row is not None
        uow.session.expunge(row)
        return row


def replace_bytes(ctx: EngineContext, document: Document, content: bytes, *, rehash: bool = False) -> None:
    """Replace a document's file in the store, as an insider with access to the disk would; with
    `rehash`, store the forgery under its own hash and point the row at it (SQL access too)."""
    if rehash:
        ctx.documents.put(content)
        with ctx.database.engine.begin() as connection:
            values = {"sha256": hashlib.sha256(content).hexdigest()}
            connection.execute(update(Document).where(Document.id == document.id).values(**values))
        return
    path = ctx.documents.path(document.sha256)
    path.chmod(0o640)
    path.write_bytes(content)


def replace_row_bytes(ctx: EngineContext, document: Document, content: bytes) -> None:
    """Give a document row bytes of its own, as rows written before the document store kept them."""
    values: dict[str, Any] = {"content": content}
    with ctx.database.engine.begin() as connection:
        connection.execute(update(Document).where(Document.id == document.id).values(**values))


def test_intact_documents_verify(ctx: EngineContext, lettered: CaseView) -> None:
    result = audit.verify(ctx)
    assert result.ok and result.bad_documents == () and result.documents >= 2


def test_a_replaced_pdf_is_reported_with_its_case_and_file(ctx: EngineContext, lettered: CaseView) -> None:
    letter = letter_of(ctx, lettered)
    replace_bytes(ctx, letter, FORGED)
    result = audit.verify(ctx)
    assert not result.ok and result.first_break is None  # every chain still holds
    [bad] = result.bad_documents
    assert (bad.case_number, bad.document_id, bad.filename) == (lettered.number, letter.id, letter.filename)
    assert "baris" in bad.reason
    assert lettered.number in result.summary() and letter.filename in result.summary()
    assert not audit.verify(ctx, case_ref=lettered.number).ok


def test_a_replaced_pdf_with_its_row_rehashed_is_caught_by_its_event(ctx: EngineContext, lettered: CaseView) -> None:
    letter = letter_of(ctx, lettered)
    replace_bytes(ctx, letter, FORGED, rehash=True)
    [bad] = audit.verify(ctx).bad_documents
    assert bad.document_id == letter.id and "peristiwa" in bad.reason


def test_a_file_missing_from_the_store_is_reported(ctx: EngineContext, lettered: CaseView) -> None:
    letter = letter_of(ctx, lettered)
    ctx.documents.path(letter.sha256).unlink()
    [bad] = audit.verify(ctx).bad_documents
    assert bad.document_id == letter.id and "tidak ada di penyimpanan" in bad.reason


def test_bytes_kept_on_an_older_row_are_checked_too(ctx: EngineContext, lettered: CaseView) -> None:
    letter = letter_of(ctx, lettered)
    replace_row_bytes(ctx, letter, ctx.documents.get(letter.sha256))
    assert audit.verify(ctx).ok  # the row's own bytes are what is served and checked
    replace_row_bytes(ctx, letter, FORGED)
    [bad] = audit.verify(ctx).bad_documents
    assert bad.document_id == letter.id and "baris" in bad.reason


def test_another_case_is_not_blamed(ctx: EngineContext, lettered: CaseView) -> None:
    replace_bytes(ctx, letter_of(ctx, lettered), FORGED)
    with ctx.unit_of_work(write=False) as uow:
        numbers = uow.session.scalars(select(Case.number).where(Case.id != lettered.id)).all()
    assert numbers
    for number in numbers:
        assert audit.verify(ctx, case_ref=number).ok


def test_cli_exits_non_zero_and_names_the_document(
    ctx: EngineContext, lettered: CaseView, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    monkeypatch.setenv("MEDIASI_DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("MEDIASI_DOCUMENT_DIR", str(ctx.settings.document_dir))
    assert main(["audit", "verify"]) == 0
    assert "dokumen" in capsys.readouterr().out
    letter = letter_of(ctx, lettered)
    replace_bytes(ctx, letter, FORGED)
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "TIDAK utuh" in err and lettered.number in err and letter.filename in err
