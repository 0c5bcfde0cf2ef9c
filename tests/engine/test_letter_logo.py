"""The letterhead's logo (the city's coat of arms, set by the admin) and a signatory printed by name and NIP."""

from __future__ import annotations

import io

import pypdf
import pytest
from PIL import Image
from sqlalchemy import func, select

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.persistence.models import Document, LetterAsset
from engine.services import letter_logo
from engine.services import signatories as letter_settings
from tests.conftest import OPERATOR
from tests.engine.test_calendar_admin import system_events
from tests.engine.test_letters import SK, letters_of, run

People = dict[str, Actor]


def image(kind: str = "PNG", size: tuple[int, int] = (120, 150)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 20, 20)).save(buffer, format=kind)
    return buffer.getvalue()


def images_in(pdf: bytes) -> int:
    """Images the pages draw (one image shared by two pages counts twice)."""
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def issued_pdfs(ctx: EngineContext, case_number: str) -> dict[str, bytes]:
    from engine.services import queries as case_queries

    return {
        view.kind: case_queries.get_document(ctx, view.id)[1]
        for view in case_queries.case_documents(ctx, case_number)
        if view.kind != "unggahan"
    }


@pytest.fixture
def letters_on(ctx: EngineContext, people: People) -> People:
    letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR)
    return people


def test_letters_carry_the_logo_the_admin_set_and_keep_it_after_it_changes(
    ctx: EngineContext, letters_on: People
) -> None:
    before = run(ctx, letters_on, "rejected by the Kepala Dinas")
    assert all(images_in(pdf) == 0 for pdf in issued_pdfs(ctx, before.number).values())

    content = image()
    logo = letter_logo.set_logo(ctx, actor=OPERATOR, filename="lambang kota.png", content=content)
    assert (logo.media_type, logo.size, logo.filename) == ("image/png", len(content), "lambang kota.png")
    assert ctx.documents.get(logo.sha256) == content  # the bytes are in the content-addressed store
    with_logo = run(ctx, letters_on, "rejected by the Kepala Dinas")
    pdfs = issued_pdfs(ctx, with_logo.number)
    assert len(pdfs) == 2 and all(images_in(pdf) >= 1 for pdf in pdfs.values())
    with ctx.unit_of_work(write=False) as uow:
        versions = set(uow.session.scalars(select(Document.template_version).where(Document.case_id == with_logo.id)))
    assert versions and all(v is not None and v.endswith("+kop/v2") for v in versions)

    letter_logo.remove_logo(ctx, actor=OPERATOR)
    after = run(ctx, letters_on, "rejected by the Kepala Dinas")
    assert all(images_in(pdf) == 0 for pdf in issued_pdfs(ctx, after.number).values())
    assert issued_pdfs(ctx, with_logo.number) == pdfs  # issued letters never change
    assert [(t, p.get("sha256")) for t, _, p in system_events(ctx, "letter_logo_")] == [
        ("letter_logo_set", logo.sha256),
        ("letter_logo_removed", logo.sha256),
    ]


def test_a_jpeg_replaces_a_png(ctx: EngineContext, letters_on: People) -> None:
    letter_logo.set_logo(ctx, actor=OPERATOR, filename="a.png", content=image())
    jpeg = letter_logo.set_logo(ctx, actor=OPERATOR, filename="b.jpg", content=image("JPEG"))
    current = letter_logo.get_logo(ctx)
    assert current is not None and (current.sha256, current.media_type) == (jpeg.sha256, "image/jpeg")
    assert current.data_uri().startswith("data:image/jpeg;base64,")


def _truncated_png() -> bytes:
    whole = image()
    return whole[: len(whole) // 2]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda: b"%PDF-1.7 not an image", "bukan gambar PNG atau JPEG"),
        (lambda: image("GIF"), "harus PNG atau JPEG"),
        (_truncated_png, "bukan gambar PNG atau JPEG yang utuh"),
        (lambda: image(size=(4001, 10)), "4000 piksel"),
        (lambda: b"", "antara 1 bita"),
        (lambda: b"\x89PNG\r\n\x1a\n" + bytes(letter_logo.MAX_BYTES), "antara 1 bita"),
    ],
)
def test_what_is_not_a_whole_png_or_jpeg_within_limits_is_refused_and_nothing_changes(
    ctx: EngineContext, letters_on: People, make: object, problem: str
) -> None:
    assert callable(make)
    with pytest.raises(InvalidInput) as caught:
        letter_logo.set_logo(ctx, actor=OPERATOR, filename="x.png", content=make())
    assert problem in caught.value.message
    with ctx.unit_of_work(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(LetterAsset)) == 0
    assert system_events(ctx, "letter_logo_") == []


def test_only_an_admin_sets_or_removes_the_logo(ctx: EngineContext, letters_on: People) -> None:
    with pytest.raises(PermissionDenied):
        letter_logo.set_logo(ctx, actor=letters_on["kadin"], filename="a.png", content=image())
    assert letter_logo.get_logo(ctx) is None
    letter_logo.set_logo(ctx, actor=OPERATOR, filename="a.png", content=image())
    with pytest.raises(PermissionDenied):
        letter_logo.remove_logo(ctx, actor=letters_on["rina"])
    assert letter_logo.get_logo(ctx) is not None


def test_removing_a_logo_that_is_not_set_is_refused(ctx: EngineContext, letters_on: People) -> None:
    with pytest.raises(NotFound):
        letter_logo.remove_logo(ctx, actor=OPERATOR)
    assert system_events(ctx, "letter_logo_") == []


def test_a_logo_whose_file_was_altered_fails_the_letter_instead_of_printing_it(
    ctx: EngineContext, letters_on: People
) -> None:
    logo = letter_logo.set_logo(ctx, actor=OPERATOR, filename="a.png", content=image())
    path = ctx.documents.path(logo.sha256)
    path.chmod(0o640)
    path.write_bytes(image(size=(10, 10)))
    with pytest.raises(Exception, match="rusak"):
        letter_logo.get_logo(ctx)


def test_the_seeded_blank_signatory_is_reported_until_the_admin_names_one(
    ctx: EngineContext, letters_on: People
) -> None:
    [blank] = letter_settings.unnamed_signatories(ctx, actor=OPERATOR)
    assert blank.name == letter_settings.DEFAULT_SIGNER
    case = run(ctx, letters_on, "rejected by the Kepala Dinas")
    assert all(letter_settings.DEFAULT_SIGNER in text for _, text in letters_of(ctx, case))


def test_a_demo_install_signs_with_a_printed_name_and_nip(ctx: EngineContext, people: People) -> None:
    letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR, signer=letter_settings.DEMO_SIGNER)
    assert letter_settings.unnamed_signatories(ctx, actor=OPERATOR) == []
    case = run(ctx, people, "rejected by the Kepala Dinas")
    texts = {view.kind: text for view, text in letters_of(ctx, case)}
    assert "Ahmad Fauzi" in texts[SK] and "NIP 19700101 199503 1 001" in texts[SK]
    assert letter_settings.DEFAULT_SIGNER not in texts[SK]
