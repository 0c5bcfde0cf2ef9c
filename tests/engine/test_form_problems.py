"""One submission, every problem: the form, the legal rules, service hours and the case's dates in one answer."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from typing import Any

import pytest

from engine.actors import Actor
from engine.calendar import WorkingCalendar
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.errors import FormInvalid
from engine.forms import TIME_MESSAGE, form_errors, normalize_times, parse_clock
from engine.legal.chronology import CaseDays, date_errors
from engine.letters.hours import check_mediation_time
from engine.services import cases as case_service
from engine.services import tasks as task_service
from engine.settings import PROJECT_ROOT
from tests.builders import ACCEPTED_TO_END, FORMS, TO_DECISION, Step, application, ready_task, steps, walk
from tests.conftest import START
from tests.snapshots import snapshot

People = dict[str, Actor]
FORMS_DIR = PROJECT_ROOT / "forms"
SATURDAY = "2026-04-11"
TUESDAY_BEFORE_FILING = "2026-03-10"
CLOSED = WorkingCalendar()


def form(name: str) -> dict[str, Any]:
    return json.loads((FORMS_DIR / name).read_text())


# -- times as people write them -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("15.00", "15:00"), ("15:00", "15:00"), ("9.30", "09:30"), ("09:30", "09:30"), (" 9.30 WIB ", "09:30")],
)
def test_a_time_typed_with_a_stop_or_a_colon_is_stored_as_hh_mm(typed: str, stored: str) -> None:
    schema = form("undangan_mediasi.json")
    data = normalize_times(schema, {"jam_mediasi": typed, "tempat_mediasi": " 9.30 "})
    assert data == {"jam_mediasi": stored, "tempat_mediasi": " 9.30 "}  # only the time field is read as a time
    assert "jam_mediasi" not in form_errors(schema, data)


@pytest.mark.parametrize("typed", ["24.00", "15.60", "1500", "jam tiga", "15.0"])
def test_what_is_no_time_is_kept_as_typed_and_refused_saying_how_to_write_it(typed: str) -> None:
    schema = form("undangan_mediasi.json")
    data = normalize_times(schema, {"jam_mediasi": typed})
    assert data == {"jam_mediasi": typed}
    assert form_errors(schema, data)["jam_mediasi"] == TIME_MESSAGE
    assert "15.00 atau 15:00" in TIME_MESSAGE


def test_a_version_deployed_before_the_time_format_reads_times_by_their_old_pattern() -> None:
    old = {"type": "object", "properties": {"jam": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}}}
    assert normalize_times(old, {"jam": "8.05"}) == {"jam": "08:05"}
    assert form_errors(old, {"jam": "8 pagi"}) == {"jam": TIME_MESSAGE}
    nested = {"type": "object", "properties": {"sesi": {"type": "array", "items": old}}}
    assert normalize_times(nested, {"sesi": [{"jam": "13.30"}, {"jam": "x"}]}) == {
        "sesi": [{"jam": "13:30"}, {"jam": "x"}]
    }
    assert parse_clock("23.59") == time(23, 59) and parse_clock(930) is None


def test_a_patterned_field_says_what_it_expects_from_its_example() -> None:
    errors = form_errors(form("pengaduan_layanan.json"), {"nomor_kasus": "med 1"})
    assert errors["nomor_kasus"] == "Tulis seperti contoh ini: MED-2026-0001."


# -- service hours: the date and the time judged each on its own ---------------------------------------------


def test_a_saturday_at_three_is_refused_for_its_day_and_its_time_at_once() -> None:
    errors = check_mediation_time({"tanggal_mediasi": SATURDAY, "jam_mediasi": "15:00"}, START, CLOSED)
    assert errors["tanggal_mediasi"].startswith("Sabtu, 11 April 2026 bukan hari kerja")
    assert errors["jam_mediasi"].startswith("Pukul mediasi harus berada dalam jam layanan")
    # A time some weekday serves at is not refused for a closed day: the day is what to change.
    assert list(check_mediation_time({"tanggal_mediasi": SATURDAY, "jam_mediasi": "09:30"}, START, CLOSED)) == [
        "tanggal_mediasi"
    ]
    assert list(check_mediation_time({"tanggal_mediasi": "2026-04-07", "jam_mediasi": "15.00"}, START, CLOSED)) == [
        "jam_mediasi"
    ]


# -- dates against the case -----------------------------------------------------------------------------------

DAYS = CaseDays(filed=date(2026, 3, 17), today=date(2026, 3, 20), invited=date(2026, 3, 18))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"tanggal_pelaksanaan": "2026-03-20", "tanggal_mediasi": "2026-03-17"}, {}),
        ({"tanggal_pelaksanaan": "2026-03-25"}, {"tanggal_pelaksanaan": "setelah hari ini (Jumat, 20 Maret 2026)"}),
        ({"tanggal_pelaksanaan": "2026-03-17"}, {"tanggal_pelaksanaan": "sebelum surat undangannya diterbitkan"}),
        ({"tanggal_pelaksanaan": "2026-03-16"}, {"tanggal_pelaksanaan": "sebelum kasus ini diajukan"}),
        ({"tanggal_mediasi": "2026-03-16"}, {"tanggal_mediasi": "sebelum kasus ini diajukan pada Selasa, 17 Maret"}),
        ({"tanggal_mediasi": "2027-01-04", "tanggal_lain": "2020-01-01"}, {}),  # later invitations are the calendar's
        ({"tanggal_pelaksanaan": "kemarin"}, {}),  # unreadable: the form's check names it
    ],
)
def test_case_dates_are_judged_against_filing_today_and_the_invitation(
    data: dict[str, Any], expected: dict[str, str]
) -> None:
    errors = date_errors(data, DAYS)
    assert list(errors) == list(expected)
    for field, words in expected.items():
        assert words in errors[field]


def test_without_an_invitation_on_record_only_today_and_the_filing_bound_a_held_mediation() -> None:
    days = CaseDays(filed=date(2026, 3, 17), today=date(2026, 3, 20))
    assert date_errors({"tanggal_pelaksanaan": "2026-03-17"}, days) == {}


# -- through the engine, on both databases --------------------------------------------------------------------


def to_invitation(ctx: EngineContext, people: People) -> CaseView:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    return walk(lambda: ctx, people, case, steps(*TO_DECISION, "Task_keputusan_kadin"))


def refused(ctx: EngineContext, actor: Actor, task_id: Any, data: dict[str, Any]) -> dict[str, str]:
    """Complete and expect FormInvalid, with the database exactly as before; its errors."""
    before = snapshot(ctx)
    with pytest.raises(FormInvalid) as caught:
        task_service.complete_task(ctx, actor=actor, task_id=task_id, data=data)
    assert snapshot(ctx) == before
    return caught.value.errors


def test_an_invitation_gets_every_problem_in_one_answer_and_its_time_is_stored_hh_mm(
    ctx: EngineContext, people: People
) -> None:
    case = to_invitation(ctx, people)
    task_id = ready_task(ctx, case.id, "Task_undangan_mediasi")
    bad = {**FORMS["Task_undangan_mediasi"], "tanggal_mediasi": SATURDAY, "jam_mediasi": "15.00"}
    bad |= {"tempat_mediasi": "", "sesi_bersama": "tidak", "catatan": "x"}
    errors = refused(ctx, people["kadin"], task_id, bad)
    assert errors == task_service.submission_errors(ctx, actor=people["kadin"], task_id=task_id, data=bad)
    assert set(errors) == {"tanggal_mediasi", "jam_mediasi", "tempat_mediasi", "sesi_bersama", "catatan"}
    assert "bukan hari kerja" in errors["tanggal_mediasi"] and "jam layanan" in errors["jam_mediasi"]
    assert (errors["tempat_mediasi"], errors["catatan"]) == ("Wajib diisi.", "Isian tidak dikenal.")

    early = {**FORMS["Task_undangan_mediasi"], "tanggal_mediasi": TUESDAY_BEFORE_FILING, "jam_mediasi": "jam 9"}
    errors = refused(ctx, people["kadin"], task_id, early)
    assert errors["tanggal_mediasi"].startswith("Tanggal mediasi dalam surat undangan (Selasa, 10 Maret 2026)")
    assert errors["jam_mediasi"] == TIME_MESSAGE

    good = {**FORMS["Task_undangan_mediasi"], "jam_mediasi": "9.30"}
    assert task_service.submission_errors(ctx, actor=people["kadin"], task_id=task_id, data=good) == {}
    walk(lambda: ctx, people, case, [Step("Task_undangan_mediasi", {"jam_mediasi": "9.30"})])
    next_task = ready_task(ctx, case.id, "Task_koordinasi")
    assert task_service.get_task(ctx, actor=people["rina"], task_id=next_task).data["jam_mediasi"] == "09:30"


def test_a_mediation_held_in_the_future_or_before_its_invitation_is_refused_with_the_rules_broken(
    ctx: EngineContext, people: People, clock: Any
) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps(*TO_DECISION))
    clock.advance(timedelta(days=2))  # Thursday 19 March: the decision and the invitation
    walk(lambda: ctx, people, case, steps(*ACCEPTED_TO_END[:5]))
    task_id = ready_task(ctx, case.id, "Task_laksanakan_mediasi")
    held = Step("Task_laksanakan_mediasi").payload(clock.now())
    unattested = {k: v for k, v in held.items() if not k.startswith("r13_")}
    ahead = {**unattested, "tanggal_pelaksanaan": "2026-03-24", "bentuk_sesi": "campuran"}
    errors = refused(ctx, people["tono"], task_id, ahead)
    assert "setelah hari ini (Kamis, 19 Maret 2026)" in errors["tanggal_pelaksanaan"]
    assert errors["bentuk_sesi"].startswith("Pilih salah satu")  # the form's
    assert {"r13_tanpa_janji_tidak_melapor", "r13_tanpa_perkawinan", "r13_tanpa_uang_tutup_mulut"} <= set(errors)

    before_invitation = refused(ctx, people["tono"], task_id, {**held, "tanggal_pelaksanaan": "2026-03-18"})
    assert list(before_invitation) == ["tanggal_pelaksanaan"]
    assert "sebelum surat undangannya diterbitkan pada Kamis, 19 Maret 2026" in before_invitation["tanggal_pelaksanaan"]

    view = task_service.complete_task(ctx, actor=people["tono"], task_id=task_id, data=held)
    assert "Task_tinjau_kesepakatan" in [t.element for t in view.tasks]


def test_a_request_gets_its_form_errors_and_an_unknown_case_number_in_one_answer(
    ctx: EngineContext, people: People
) -> None:
    complaint = {"saluran": "surat", "perihal": "", "uraian": "Belum ada kabar.", "nomor_kasus": "MED-2026-0999"}
    before = snapshot(ctx)
    with pytest.raises(FormInvalid) as caught:
        case_service.start_case(ctx, actor=people["ani"], data=complaint, process_key="pengaduan_layanan")
    assert snapshot(ctx) == before
    assert caught.value.errors == {
        "saluran": "Pilih salah satu: langsung, telepon.",
        "perihal": "Wajib diisi.",
        "nomor_kasus": "Nomor kasus tidak ditemukan di antara kasus Anda.",
    }
