"""Official letters: issued by the steps that need them, numbered, signed, rendered as PDF, never changed."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pypdf
import pytest
from sqlalchemy import event, select

from engine.actors import Actor
from engine.calendar import WorkingCalendar
from engine.casework.views import CaseView
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import DeploymentInvalid, FormInvalid, InvalidInput, PermissionDenied, ProcessFailed
from engine.letters.kinds import KINDS
from engine.persistence.models import Document, LetterSequence
from engine.services import audit, calendar_admin, replays
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import signatories as letter_settings
from engine.services import tasks as task_service
from engine.settings import Settings
from tests.builders import ACCEPTED_TO_END, FORMS, TIM, TO_DECISION, Step, application, ready_task, steps, walk
from tests.conftest import OPERATOR
from tests.engine.test_deploy import deploy_bytes, mutated
from tests.engine.test_paths import PATHS
from tests.snapshots import snapshot

People = dict[str, Actor]
SK, UNDANGAN, KOORDINASI = "surat_keputusan", "surat_undangan_mediasi", "undangan_koordinasi"
BA, KESEPAKATAN = "berita_acara_mediasi", "kesepakatan"
PENOLAKAN, TIDAK_DAPAT = "surat_pemberitahuan_penolakan", "surat_pemberitahuan_tidak_dapat_dilaksanakan"
RUJUKAN = "surat_pemberitahuan_rujukan"
MEDIATED = [SK, UNDANGAN, KOORDINASI, BA, KESEPAKATAN]
REFERRED = [RUJUKAN]
# Which outcome issues what: the letters of every path of test_paths, in the order they are issued.
ISSUED = {
    "mediated, after one incomplete file": MEDIATED,
    "mediated without agreement": [SK, UNDANGAN, KOORDINASI, BA],
    "rejected by the Kepala Dinas": [SK, PENOLAKAN],
    "rejected: psychological assessment not eligible (R7)": [SK, PENOLAKAN],
    "parties decline (steps 5-6)": [SK, UNDANGAN, KOORDINASI, TIDAK_DAPAT],
    "referred: sexual violence (R2)": REFERRED,
    "referred: high danger (R9)": REFERRED,
    "referred: no consent of the victim (R8)": REFERRED,
    "referred: category not eligible (R6)": REFERRED,
    "referred: soft rule not overridden (R4)": REFERRED,
    "joint session without the victim's choice refused (R10), invitation issued again, then mediated": [
        SK,
        UNDANGAN,
        UNDANGAN,
        KOORDINASI,
        BA,
        KESEPAKATAN,
    ],
    "joint session without the victim's choice approved by the Ketua (R10)": MEDIATED,
    "soft rule overridden (R9 sedang), then mediated": MEDIATED,
}
VIOLENCE_WORDS = ("kekerasan", "psikis", "ekonomi", "fisik", "seksual", "penelantaran", "eksploitasi")


@pytest.fixture
def letters_on(ctx: EngineContext, people: People) -> People:
    """The people, on an install whose letters are set up as `mediasi init` sets them up."""
    letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR)
    return people


def pdf_text(content: bytes) -> str:
    """The text of a PDF, with its whitespace collapsed."""
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


def letters_of(ctx: EngineContext, case: CaseView) -> list[tuple[Any, str]]:
    """The case's issued letters (not uploads), oldest first, each with its PDF's text."""
    found = []
    for view in case_queries.case_documents(ctx, case.number):
        if view.kind != "unggahan":
            found.append((view, pdf_text(case_queries.get_document(ctx, view.id)[1])))
    return found


def run(ctx: EngineContext, people: People, name: str) -> CaseView:
    overrides, path, _ = PATHS[name]
    case = case_service.start_case(ctx, actor=people["ani"], data=application(**overrides))
    walk(lambda: ctx, people, case, path)
    return case


def document_rows(ctx: EngineContext, case: CaseView) -> list[Document]:
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.created_at))
        return [r for r in rows if r.kind != "unggahan"]


# -- which outcome issues what, and what each letter says --------------------------------------------


@pytest.mark.parametrize("name", list(ISSUED))
def test_each_path_issues_its_letters(name: str, ctx: EngineContext, letters_on: People) -> None:
    case = run(ctx, letters_on, name)
    assert [view.kind for view, _ in letters_of(ctx, case)] == ISSUED[name]


def test_the_paths_issue_every_kind_of_letter() -> None:
    assert {kind for kinds in ISSUED.values() for kind in kinds} == set(KINDS)
    assert set(ISSUED) == set(PATHS)
    through_decision = [n for n, kinds in ISSUED.items() if kinds != REFERRED]
    assert all(ISSUED[n][0] == SK for n in through_decision)  # every path through the decision


@pytest.mark.parametrize(
    "name", ["mediated, after one incomplete file", "rejected by the Kepala Dinas", "parties decline (steps 5-6)"]
)
def test_every_letter_names_the_case_its_number_and_its_addressee(
    name: str, ctx: EngineContext, letters_on: People
) -> None:
    case = run(ctx, letters_on, name)
    for view, text in letters_of(ctx, case):
        rows = {r.id: r for r in document_rows(ctx, case)}
        assert case.number in text, view.kind
        assert view.number and view.number in text, view.kind
        for addressee in re.split(r", | dan ", rows[view.id].addressee):
            assert addressee in text, (view.kind, addressee)
        assert "PEMERINTAH KOTA PEKALONGAN" in text and "Jalan Urip Sumoharjo Nomor 55" in text  # the letterhead


def test_the_referral_letter_is_neutral_and_names_the_applicant(ctx: EngineContext, letters_on: People) -> None:
    case = run(ctx, letters_on, "referred: sexual violence (R2)")
    [(view, text)] = letters_of(ctx, case)
    assert case.number in text and view.number in text and "Ani Pemohon" in text
    lowered = text.lower()
    assert not any(word in lowered for word in (*VIOLENCE_WORDS, "polisi", "kepolisian", "rujukan"))


@pytest.mark.parametrize("name", ["mediated, after one incomplete file", "parties decline (steps 5-6)"])
def test_letters_to_third_parties_hold_no_violence_type_and_no_victim(
    name: str, ctx: EngineContext, letters_on: People
) -> None:
    case = run(ctx, letters_on, name)
    [(view, text)] = [(v, t) for v, t in letters_of(ctx, case) if v.kind == KOORDINASI]
    assert case.number in text and view.number in text
    assert "Lurah setempat" in text and "Keluarga pihak terkait" in text  # the parties of the coordination form
    request = application()
    lowered = text.lower()
    assert not any(word in lowered for word in VIOLENCE_WORDS)
    for person in (*request["korban"], *request["terlapor"]):
        assert person["nama"].split()[0].lower() not in lowered
    assert "ani pemohon" not in lowered  # the applicant may be the victim herself
    assert request["permasalahan_yang_dimediasi"].lower() not in lowered


def test_the_decision_and_the_agreement_say_what_was_decided_and_agreed(ctx: EngineContext, letters_on: People) -> None:
    case = run(ctx, letters_on, "mediated, after one incomplete file")
    texts = {view.kind: text for view, text in letters_of(ctx, case)}
    assert "DITERIMA" in texts[SK] and FORMS["Task_keputusan_kadin"]["alasan_keputusan"] in texts[SK]
    assert "Kamis, 26 Maret 2026" in texts[UNDANGAN] and "09.30 WIB" in texts[UNDANGAN]
    assert "Ruang Mediasi DPMPPA" in texts[UNDANGAN] and "ruang terpisah" in texts[UNDANGAN]
    assert all(clause in texts[KESEPAKATAN] for clause in FORMS["Task_laksanakan_mediasi"]["klausul_kesepakatan"])
    assert "Siti Aminah" in texts[KESEPAKATAN] and "Bambang" in texts[KESEPAKATAN]  # both parties sign
    assert "Tono Tim Teknis" in texts[BA]  # the mediator: who recorded the mediation


def test_free_text_is_printed_as_text_never_as_markup(ctx: EngineContext, letters_on: People) -> None:
    reason = '<b>Tebal</b> & <img src="http://contoh.invalid/x.png"> "kutip"'
    _, path, _ = PATHS["rejected by the Kepala Dinas"]
    case = case_service.start_case(ctx, actor=letters_on["ani"], data=application())
    walk(
        lambda: ctx,
        letters_on,
        case,
        [*path[:-1], Step("Task_keputusan_kadin", {**path[-1].data, "alasan_keputusan": reason})],
    )
    texts = [text for _, text in letters_of(ctx, case)]
    assert all(reason in text for text in texts)


# -- stored once, on the case's chain, replayable ---------------------------------------------------------


def test_letters_are_stored_with_their_hash_and_recorded_on_the_case_chain(
    make_ctx: Callable[[], EngineContext], letters_on: People
) -> None:
    ctx = make_ctx()
    case = run(ctx, letters_on, "mediated, after one incomplete file")
    events = case_queries.case_events(ctx, case.number)
    issued = [e for e in events if e.type == "document_issued"]
    rows = document_rows(ctx, case)
    assert [e.data for e in issued] == [
        {
            "document_id": str(r.id),
            "kind": r.kind,
            "number": r.number,
            "sha256": r.sha256,
            "template_version": f"{r.kind}/{'v2' if r.kind == KESEPAKATAN else 'v1'}+kop/v2",
        }
        for r in rows
    ]
    import hashlib

    for row in rows:
        assert row.content is None  # the bytes are in the document store, named by their hash
        content = ctx.documents.get(row.sha256)
        assert content.startswith(b"%PDF-") and row.media_type == "application/pdf" and row.size == len(content)
        assert hashlib.sha256(content).hexdigest() == row.sha256
        assert row.for_applicant is KINDS[row.kind].for_applicant and row.signatory_id is not None
    # each letter right after the step that called for it (rendered after that step's commit)
    kinds = [(e.type, e.element) for e in events]
    assert kinds[kinds.index(("task_completed", "Task_keputusan_kadin")) + 1] == (
        "document_issued",
        "Task_keputusan_kadin",
    )
    assert kinds[-4:] == [
        ("document_issued", "Task_tinjau_kesepakatan"),
        ("task_completed", "Task_dokumentasi"),
        ("case_completed", None),
        ("follow_up_scheduled", None),  # R12: the agreement is followed up
    ]
    assert audit.verify(make_ctx(), case_ref=case.number).ok
    result = replays.replay_case(make_ctx(), case_ref=case.number).result
    assert result.ok, result.divergence


def test_letters_called_for_by_the_last_step_follow_the_case_completion(
    make_ctx: Callable[[], EngineContext], letters_on: People
) -> None:
    ctx = make_ctx()
    case = run(ctx, letters_on, "rejected by the Kepala Dinas")
    events = [(e.seq, e.type, e.element) for e in case_queries.case_events(ctx, case.number)]
    assert [t for _, t, _ in events[-4:]] == ["task_completed", "case_completed", "document_issued", "document_issued"]
    assert events[-1][2] == "Task_surat_penolakan"  # the script task that called for it
    assert [s for s, _, _ in events] == list(range(1, len(events) + 1))
    assert audit.verify(make_ctx(), case_ref=case.number).ok
    assert replays.replay_case(make_ctx(), case_ref=case.number).result.ok


def test_letters_do_not_change_the_workflow_data(make_ctx: Callable[[], EngineContext], people: People) -> None:
    with_letters, without = make_ctx(), make_ctx()
    plain = run(without, people, "parties decline (steps 5-6)")
    letter_settings.ensure_letter_defaults(with_letters, actor=OPERATOR)
    lettered = run(with_letters, people, "parties decline (steps 5-6)")
    assert case_queries.case_data(with_letters, lettered.number) == case_queries.case_data(without, plain.number)
    assert document_rows(without, plain) == [] and len(document_rows(with_letters, lettered)) == 4


# -- numbering -----------------------------------------------------------------------------------------------


def test_numbers_follow_the_pattern_with_a_sequence_per_year(
    ctx: EngineContext, letters_on: People, clock: FixedClock
) -> None:
    first = run(ctx, letters_on, "rejected by the Kepala Dinas")
    second = run(ctx, letters_on, "rejected by the Kepala Dinas")
    numbers = [v.number for v, _ in letters_of(ctx, first) + letters_of(ctx, second)]
    assert numbers == [f"400/{n:03d}/DPMPPA/III/2026" for n in (1, 2, 3, 4)]
    clock.set(datetime(2027, 1, 5, 3, 0, tzinfo=UTC))
    next_year = run(ctx, letters_on, "rejected by the Kepala Dinas")
    assert [v.number for v, _ in letters_of(ctx, next_year)] == ["400/001/DPMPPA/I/2027", "400/002/DPMPPA/I/2027"]


def test_a_kind_with_its_own_pattern_counts_its_own_series(ctx: EngineContext, letters_on: People) -> None:
    letter_settings.set_numbering(
        ctx, actor=OPERATOR, kind=SK, pattern="{kode}/SK-{urut}/{unit}/{tahun}", code="188.4", unit="DPMPPA"
    )
    case = run(ctx, letters_on, "rejected by the Kepala Dinas")
    assert [v.number for v, _ in letters_of(ctx, case)] == ["188.4/SK-001/DPMPPA/2026", "400/001/DPMPPA/III/2026"]


def test_a_number_from_srikandi_is_the_letters_number_and_takes_none_from_the_sequence(
    ctx: EngineContext, letters_on: People
) -> None:
    case = case_service.start_case(ctx, actor=letters_on["ani"], data=application())
    given = {"nomor_surat_keputusan": "800.1.13/77/SRIKANDI/2026"}
    walk(lambda: ctx, letters_on, case, steps(*TO_DECISION, Step("Task_keputusan_kadin", given)))
    [(view, text)] = letters_of(ctx, case)
    assert view.number == "800.1.13/77/SRIKANDI/2026" and view.number in text
    with ctx.unit_of_work(write=False) as uow:
        assert uow.session.scalars(select(LetterSequence)).all() == []


def test_an_invitation_issued_again_gets_a_new_number_not_the_first_ones(
    ctx: EngineContext, letters_on: People
) -> None:
    case = case_service.start_case(ctx, actor=letters_on["ani"], data=application())
    first = {"sesi_bersama": True, "nomor_surat_undangan_mediasi": "005/12/SRIKANDI/2026"}
    walk(
        lambda: ctx,
        letters_on,
        case,
        steps(*TO_DECISION, "Task_keputusan_kadin", Step("Task_undangan_mediasi", first), "Task_tinjau_sesi_bersama"),
    )
    walk(lambda: ctx, letters_on, case, steps("Task_undangan_mediasi"))
    invitations = [v.number for v, _ in letters_of(ctx, case) if v.kind == UNDANGAN]
    assert invitations == ["005/12/SRIKANDI/2026", "400/002/DPMPPA/III/2026"]


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("{kode}/{unit}/{tahun}", "{urut} dan {tahun}"),
        ("{kode}/{urut}/{nama}/{tahun}", "nama"),
        ("{kode}/{urut:05d}/{tahun}", "format khusus"),
        ("{kode}/{urut}/{tahun", "kurung kurawal"),
        ("", "wajib diisi"),
    ],
)
def test_a_numbering_pattern_is_checked(ctx: EngineContext, people: People, pattern: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        letter_settings.set_numbering(ctx, actor=OPERATOR, kind="*", pattern=pattern, code="400", unit="DPMPPA")
    assert problem in caught.value.message


# -- signatories ------------------------------------------------------------------------------------------------


def test_the_signatory_valid_on_the_letters_date_signs_it(
    ctx: EngineContext, letters_on: People, clock: FixedClock
) -> None:
    today = date(2026, 3, 17)
    [seeded] = letter_settings.list_signatories(ctx, actor=OPERATOR)
    letter_settings.end_signatory(ctx, actor=OPERATOR, signatory_id=seeded.id, valid_until=today)
    letter_settings.add_signatory(
        ctx,
        actor=OPERATOR,
        name="Dra. Sri Wahyuni",
        position="Sekretaris",
        nip="197001011990032001",
        rank="Pembina Tingkat I (IV/b)",
        acting="a.n.",
        principal="Kepala Dinas Pemberdayaan Masyarakat, Perempuan dan Perlindungan Anak Kota Pekalongan",
        valid_from=today + timedelta(days=1),
    )
    before = run(ctx, letters_on, "rejected by the Kepala Dinas")
    clock.advance(timedelta(days=1))
    after = run(ctx, letters_on, "rejected by the Kepala Dinas")
    assert all("Sri Wahyuni" not in text for _, text in letters_of(ctx, before))
    for _, text in letters_of(ctx, after):
        assert "a.n. Kepala Dinas Pemberdayaan" in text and "Sekretaris," in text
        assert "Dra. Sri Wahyuni" in text and "NIP 197001011990032001" in text and "(IV/b)" in text


def test_a_signatory_for_one_kind_signs_that_kind_only(ctx: EngineContext, letters_on: People) -> None:
    letter_settings.add_signatory(
        ctx, actor=OPERATOR, name="Rina Ketua", position="Ketua LP-PAR", kinds=(PENOLAKAN,), valid_from=date(2026, 1, 1)
    )
    case = run(ctx, letters_on, "rejected by the Kepala Dinas")
    texts = {view.kind: text for view, text in letters_of(ctx, case)}
    assert "Rina Ketua" in texts[PENOLAKAN] and "Rina Ketua" not in texts[SK]


def test_without_a_valid_signatory_the_step_is_refused_and_nothing_changes(
    ctx: EngineContext, letters_on: People, clock: FixedClock
) -> None:
    [seeded] = letter_settings.list_signatories(ctx, actor=OPERATOR)
    letter_settings.end_signatory(ctx, actor=OPERATOR, signatory_id=seeded.id, valid_until=date(2026, 3, 17))
    case = case_service.start_case(ctx, actor=letters_on["ani"], data=application())
    walk(lambda: ctx, letters_on, case, steps(*TO_DECISION))
    clock.advance(timedelta(days=1))
    before = snapshot(ctx)
    with pytest.raises(ProcessFailed, match="Belum ada penandatangan Surat Keputusan"):
        walk(lambda: ctx, letters_on, case, steps("Task_keputusan_kadin"))
    after = snapshot(ctx)
    assert after.pop("incident") != before.pop("incident")  # the failed step is an incident...
    assert after == before  # ...and nothing else changed


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"acting": "a.n."}, "Jabatan yang diwakili wajib diisi"),
        ({"acting": "Wakil"}, "Kedudukan penandatangan"),
        ({"nip": "19700101 abc"}, "NIP hanya berisi angka"),
        ({"kinds": ("surat_cinta",)}, "Jenis surat tidak dikenal"),
        ({"name": " "}, "Nama wajib diisi"),
    ],
)
def test_a_signatory_is_checked(ctx: EngineContext, people: People, changes: dict[str, Any], problem: str) -> None:
    values: dict[str, Any] = {"name": "Ahmad", "position": "Kepala Dinas", "valid_from": date(2026, 1, 1)}
    with pytest.raises(InvalidInput) as caught:
        letter_settings.add_signatory(ctx, actor=OPERATOR, **{**values, **changes})
    assert problem in caught.value.message


def test_only_the_admin_keeps_letter_settings(ctx: EngineContext, people: People) -> None:
    with pytest.raises(PermissionDenied):
        letter_settings.add_signatory(ctx, actor=people["kadin"], name="A", position="B", valid_from=date(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        letter_settings.set_numbering(ctx, actor=people["rina"], kind="*", pattern="{urut}/{tahun}", code="", unit="")


def test_init_seeds_letters_once(ctx: EngineContext, people: People) -> None:
    assert len(letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR)) == 2
    assert letter_settings.ensure_letter_defaults(ctx, actor=OPERATOR) == []
    [numbering] = letter_settings.list_numbering(ctx, actor=OPERATOR)
    assert (numbering.kind, numbering.example) == ("*", "400/001/DPMPPA/III/2026")


# -- the invitation's date and time: service hours ---------------------------------------------------------


def to_invitation(ctx: EngineContext, people: People) -> CaseView:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    return walk(lambda: ctx, people, case, steps(*TO_DECISION, "Task_keputusan_kadin"))


def a_weekday_holiday() -> date:
    calendar = WorkingCalendar()
    return next(h.day for h in calendar.holidays_of(2026) if h.day > date(2026, 3, 17) and h.day.weekday() < 5)


@pytest.mark.parametrize(
    ("day", "at", "field"),
    [
        ("2026-04-07", "14:00", "jam_mediasi"),  # Tuesday, closing time
        ("2026-04-07", "12:15", "jam_mediasi"),  # Tuesday, the midday break
        ("2026-04-07", "08:30", "jam_mediasi"),  # Tuesday, before opening
        ("2026-03-27", "10:30", "jam_mediasi"),  # Friday closes at 10.30
        ("2026-04-11", "09:30", "tanggal_mediasi"),  # Saturday
        ("holiday", "09:30", "tanggal_mediasi"),
    ],
)
def test_an_invitation_outside_service_hours_is_refused_and_nothing_changes(
    ctx: EngineContext, people: People, day: str, at: str, field: str
) -> None:
    case = to_invitation(ctx, people)
    when = {"tanggal_mediasi": a_weekday_holiday().isoformat() if day == "holiday" else day, "jam_mediasi": at}
    before = snapshot(ctx)
    with pytest.raises(FormInvalid) as caught:
        walk(lambda: ctx, people, case, [Step("Task_undangan_mediasi", when)])
    assert list(caught.value.errors) == [field]
    assert snapshot(ctx) == before


@pytest.mark.parametrize(("day", "at"), [("2026-03-27", "08:00"), ("2026-03-27", "10:29"), ("2026-04-06", "12:30")])
def test_an_invitation_inside_service_hours_is_issued(
    ctx: EngineContext, letters_on: People, day: str, at: str
) -> None:
    case = to_invitation(ctx, letters_on)
    walk(lambda: ctx, letters_on, case, [Step("Task_undangan_mediasi", {"tanggal_mediasi": day, "jam_mediasi": at})])
    [invitation] = [text for view, text in letters_of(ctx, case) if view.kind == UNDANGAN]
    assert f"{at.replace(':', '.')} WIB" in invitation


def test_an_invitation_follows_the_office_calendar_its_overrides_and_the_cuti_bersama_setting(
    make_ctx: Callable[[], EngineContext], ctx: EngineContext, people: People, settings: Settings, clock: FixedClock
) -> None:
    """The invitation is checked against the engine's calendar, not a second one built on the side."""
    cuti = "2026-03-18"  # cuti bersama before Nyepi (a Wednesday)
    when = {"tanggal_mediasi": cuti, "jam_mediasi": "09:30"}
    case = to_invitation(ctx, people)
    with pytest.raises(FormInvalid) as caught:
        walk(lambda: ctx, people, case, [Step("Task_undangan_mediasi", when)])
    assert list(caught.value.errors) == ["tanggal_mediasi"]

    working_cuti = EngineContext.create(replace(settings, cuti_bersama_working=True), clock=clock)
    try:
        walk(lambda: working_cuti, people, case, [Step("Task_undangan_mediasi", when)])  # the setting opens it
    finally:
        working_cuti.close()

    other = to_invitation(ctx, people)
    calendar_admin.add_override(
        ctx, actor=OPERATOR, day="2026-04-07", working=False, reference="Keputusan Wali Kota (uji)"
    )
    with pytest.raises(FormInvalid):  # an admin's override closes an ordinary Tuesday
        walk(
            make_ctx,
            people,
            other,
            [Step("Task_undangan_mediasi", {"tanggal_mediasi": "2026-04-07", "jam_mediasi": "09:30"})],
        )


# -- the agreement: R13 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "clause",
    [
        "Pihak pertama mencabut laporan di Polres Pekalongan Kota.",
        "Pihak pertama tidak akan melaporkan pihak kedua kepada polisi.",
        "Para pihak tidak akan melanjutkan perkara ini ke kepolisian.",
        "Pihak kedua akan menikahi pihak pertama bulan depan.",
        "Para pihak sepakat rujuk kembali.",
        "Pihak kedua membayar Rp5.000.000 agar pihak pertama tidak menceritakan kejadian ini.",
        "Pihak kedua memberikan uang tutup mulut.",
    ],
)
def test_an_agreement_that_breaks_r13_is_refused_and_nothing_changes(
    ctx: EngineContext, people: People, clause: str
) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION, *ACCEPTED_TO_END[:-3]))
    before = snapshot(ctx)
    clauses = [*FORMS["Task_laksanakan_mediasi"]["klausul_kesepakatan"], clause]
    with pytest.raises(FormInvalid) as caught:
        walk(lambda: ctx, people, case, [Step("Task_laksanakan_mediasi", {"klausul_kesepakatan": clauses})])
    errors = caught.value.errors
    assert (
        set(errors) == {"klausul_kesepakatan.2", "r13_peringatan_ditinjau"} and "R13" in errors["klausul_kesepakatan.2"]
    )
    assert snapshot(ctx) == before


def test_no_agreement_letter_without_an_agreement(ctx: EngineContext, letters_on: People) -> None:
    case = run(ctx, letters_on, "mediated without agreement")
    assert KESEPAKATAN not in [view.kind for view, _ in letters_of(ctx, case)]


# -- letters off, cost of a step without letters ----------------------------------------------------------------


def test_without_a_default_numbering_pattern_no_letter_is_issued_but_the_rules_hold(
    ctx: EngineContext, people: People
) -> None:
    case = run(ctx, people, "mediated, after one incomplete file")
    assert letters_of(ctx, case) == []
    test_an_agreement_that_breaks_r13_is_refused_and_nothing_changes(ctx, people, "Pihak kedua menikahi pihak pertama.")


def test_a_step_that_issues_no_letter_reads_and_writes_nothing_of_letters(
    ctx: EngineContext, letters_on: People
) -> None:
    case = case_service.start_case(ctx, actor=letters_on["ani"], data=application())
    walk(lambda: ctx, letters_on, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM[:-1]))
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2].lower())  # noqa: E731
    task_id = ready_task(ctx, case.id, TIM[-1])
    event.listen(ctx.database.engine, "before_cursor_execute", listener)
    try:
        task_service.complete_task(ctx, actor=letters_on["tono"], task_id=task_id, data=Step(TIM[-1]).payload())
    finally:
        event.remove(ctx.database.engine, "before_cursor_execute", listener)
    touched = [s for s in statements if re.search(r"\b(document|letter_\w+|signatory)\b", s)]
    assert statements and touched == []
    # The calendar is read only as the stamp riding on the step's one read of its task and case.
    calendar_reads = [s for s in statements if "calendar_override" in s]
    assert len(calendar_reads) == 1 and "from case_task" in calendar_reads[0], calendar_reads


# -- the diagram declares the letters ---------------------------------------------------------------------------


def test_the_catalog_lists_which_element_issues_which_letters(ctx: EngineContext, deployed: list[Any]) -> None:
    [deployment] = [d for d in deployed if d.key == "mediasi_kekerasan"]
    with ctx.unit_of_work(write=False) as uow:
        letters = ctx.definitions.get(uow.session, deployment.definition_id).catalog.letters
    assert letters == {
        "Task_surat_rujukan": (RUJUKAN,),
        "Task_keputusan_kadin": (SK,),
        "Task_tetapkan_penolakan": (SK,),
        "Task_surat_penolakan": (PENOLAKAN,),
        "Task_undangan_mediasi": (UNDANGAN,),
        "Task_koordinasi": (KOORDINASI,),
        "Task_surat_tidak_dapat": (TIDAK_DAPAT,),
        "Task_laksanakan_mediasi": (BA,),
        "Task_tinjau_kesepakatan": (KESEPAKATAN,),
    }
    ctx.definitions.clear()  # as stored and read back
    with ctx.unit_of_work(write=False) as uow:
        assert ctx.definitions.get(uow.session, deployment.definition_id).catalog.letters == letters


def test_a_diagram_naming_an_unknown_letter_is_refused_at_its_line(ctx: EngineContext) -> None:
    xml, line = mutated('value="surat_keputusan" />', 'value="surat_keputusan, surat_sakti" />')
    with pytest.raises(DeploymentInvalid) as caught:
        deploy_bytes(ctx, xml)
    [problem] = caught.value.problems
    assert problem.line == line and "surat_sakti" in problem.message and problem.element == "Task_keputusan_kadin"


def test_letters_may_only_be_declared_on_tasks(ctx: EngineContext) -> None:
    gateway = (
        '<bpmn:exclusiveGateway id="Gateway_keputusan" name="Permohonan diterima?" '
        'default="Flow_keputusan__surat_penolakan">'
    )
    declared = (
        gateway + '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="issuesLetters" '
        'value="surat_keputusan" /></spiffworkflow:properties></bpmn:extensionElements>'
    )
    xml, _ = mutated(gateway, declared)
    with pytest.raises(DeploymentInvalid) as caught:
        deploy_bytes(ctx, xml)
    assert [p.element for p in caught.value.problems] == ["Gateway_keputusan"]
    assert "hanya dapat dipasang pada tugas" in caught.value.problems[0].message
