"""The inbox's filters (process, lane, due state, claim, search), the cards' names, and paging with filters.

Every filter is a condition of the inbox's own query, so these tests also check that a filtered page
agrees with what the cards say: a due-state filter lists exactly the tasks judged in that state.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import FormInvalid
from engine.persistence.models import Case, CaseTask
from engine.services import cases as case_service
from engine.services import inbox as inbox_service
from engine.services import tasks as task_service
from engine.services.inbox import InboxFilter
from engine.services.queries import MAX_SEARCH, find_case
from engine.sla import SlaState, due_soon_until
from tests.builders import TIM, application, steps, walk

People = dict[str, Actor]
COMPLAINT = "pengaduan_layanan"
WALK_IN = case_service.WalkInApplicant(nama="Ibu Warsini", telepon="081234567890")


def file(ctx: EngineContext, clock: FixedClock, actor: Actor, victim: str, **kwargs: object) -> str:
    """A request about `victim`, filed a minute after the last; it waits on the Ketua's completeness check."""
    clock.advance(timedelta(minutes=1))
    data = application(korban=[{"nama": victim, "umur": 30, "jenis_kelamin": "perempuan"}])
    return case_service.start_case(ctx, actor=actor, data=data, **kwargs).number  # type: ignore[arg-type]


def set_case(ctx: EngineContext, number: str, **values: object) -> None:
    """Set columns of a case row, as filing would have (another feature fills the victim's initials)."""
    with ctx.unit_of_work() as uow:
        uow.session.execute(update(Case).where(Case.number == number).values(**values))


def set_due(ctx: EngineContext, number: str, due: timedelta | None) -> None:
    """Give a case's ready tasks a due moment `due` from now (None: none)."""
    moment = None if due is None else ctx.clock.now() + due
    with ctx.unit_of_work() as uow:
        case_id = find_case(uow.session, number).id
        uow.session.execute(update(CaseTask).where(CaseTask.case_id == case_id).values(due_at=moment))


def numbers(ctx: EngineContext, actor: Actor | None, **filters: str) -> list[str]:
    """The case numbers of `actor`'s whole inbox under `filters`, in its order."""
    page = inbox_service.inbox_page(ctx, actor=actor, filters=InboxFilter(**filters), per_page=200)
    return [t.case_number for t in page.items]


@pytest.fixture
def three(ctx: EngineContext, clock: FixedClock, people: People) -> list[str]:
    """Two requests of Ani's and one walk-in request filed by Dewi, all in the Ketua's inbox, oldest first."""
    filed = [
        file(ctx, clock, people["ani"], "Siti Aminah"),
        file(ctx, clock, people["ani"], "Rahma Dewi"),
        file(ctx, clock, people["dewi"], "Nur Laila", applicant=WALK_IN),
    ]
    for number, initials in zip(filed, ("S. A.", "R. D.", None), strict=True):
        set_case(ctx, number, victim_initials=initials)
    return filed


# -- the cards --------------------------------------------------------------------------------------


def test_each_card_names_the_victim_the_applicant_and_who_took_it(
    ctx: EngineContext, people: People, three: list[str]
) -> None:
    first, _, walk_in = three
    rina = people["rina"]
    task_service.claim_task(ctx, actor=rina, task_id=_task_of(ctx, rina, first))
    cards = {t.case_number: t for t in inbox_service.inbox_page(ctx, actor=rina).items}
    assert [(c.title, c.lane) for c in cards.values()] == [("Periksa kelengkapan berkas", "Ketua LP-PAR")] * 3
    assert [(c.victim_initials, c.applicant) for c in cards.values()] == [
        ("S. A.", "Ani Pemohon"),
        ("R. D.", "Ani Pemohon"),
        (None, "Ibu Warsini (datang langsung)"),
    ]
    assert (cards[first].claimed_by, cards[first].claimed_by_name) == ("rina", "Rina Ketua")
    assert (cards[walk_in].claimed_by, cards[walk_in].claimed_by_name) == (None, None)


def _task_of(ctx: EngineContext, actor: Actor, number: str) -> uuid.UUID:
    return next(t.id for t in inbox_service.inbox_page(ctx, actor=actor).items if t.case_number == number)


# -- each filter ------------------------------------------------------------------------------------


def test_the_process_filter_keeps_the_cases_of_one_process(
    ctx: EngineContext, clock: FixedClock, people: People, three: list[str]
) -> None:
    clock.advance(timedelta(minutes=1))
    complaint = case_service.start_case(ctx, actor=people["ani"], data=COMPLAINT_DATA, process_key=COMPLAINT).number
    assert numbers(ctx, None, process="mediasi_kekerasan") == three  # the operator sees every lane
    assert numbers(ctx, None, process=COMPLAINT) == [complaint]
    assert numbers(ctx, people["dewi"], process=COMPLAINT) == [complaint]  # the fulltimer answers complaints
    assert numbers(ctx, people["rina"], process=COMPLAINT) == []


COMPLAINT_DATA = {
    "saluran": "langsung",
    "perihal": "Belum ada kabar atas permohonan",
    "uraian": "Sudah dua minggu sejak berkas diserahkan dan belum ada pemberitahuan.",
}


def test_the_lane_filter_keeps_the_tasks_of_one_lane(ctx: EngineContext, people: People, three: list[str]) -> None:
    victim = [{"nama": "Wulan Sari", "umur": 28, "jenis_kelamin": "perempuan"}]
    case = case_service.start_case(ctx, actor=people["ani"], data=application(korban=victim))
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    opinions = inbox_service.inbox_page(ctx, filters=InboxFilter(lane="Tim Teknis")).items
    assert sorted(t.element for t in opinions) == sorted(TIM) and {t.case_number for t in opinions} == {case.number}
    assert numbers(ctx, None, lane="Ketua LP-PAR") == three
    assert numbers(ctx, people["sari"], lane="Tim Teknis") == [case.number] * 4  # the lane is the sekretaris's too
    assert numbers(ctx, people["sari"], lane="Ketua LP-PAR") == []  # a lane that is not hers: nothing more
    with pytest.raises(FormInvalid) as refused:
        numbers(ctx, None, lane="Tim Teknis", process=COMPLAINT)  # complaints have no Tim Teknis lane
    assert set(refused.value.errors) == {"lane"}


@pytest.mark.parametrize(
    ("due", "state"),
    [
        ("terlambat", SlaState.OVERDUE),
        ("segera", SlaState.DUE_SOON),
        ("tepat_waktu", SlaState.ON_TIME),
        ("tanpa_tenggat", None),
    ],
)
def test_a_due_state_filter_lists_exactly_the_tasks_judged_in_that_state(
    ctx: EngineContext, clock: FixedClock, people: People, due: str, state: SlaState | None
) -> None:
    moments = {
        "overdue": timedelta(microseconds=-1),
        "due now": timedelta(0),  # not yet late
        "last moment of soon": timedelta(0),  # from the end of "soon" as seen once all are filed
        "just after soon": timedelta(microseconds=1),
        "far": timedelta(days=30),
        "none": None,
    }
    filed = {name: file(ctx, clock, people["ani"], f"Korban {name}") for name in moments}
    soon = due_soon_until(clock.now(), ctx.calendar()) - clock.now()
    for name, moment in moments.items():
        if moment is not None and "soon" in name:
            moment += soon
        set_due(ctx, filed[name], moment)
    everything = inbox_service.inbox_page(ctx, actor=people["rina"]).items
    judged = [t.case_number for t in everything if t.sla_state == state]
    assert numbers(ctx, people["rina"], due=due) == judged
    expected = {
        "terlambat": ["overdue"],
        "segera": ["due now", "last moment of soon"],
        "tepat_waktu": ["just after soon", "far"],
        "tanpa_tenggat": ["none"],
    }[due]
    assert sorted(judged) == sorted(filed[name] for name in expected)


def test_the_claim_filter_keeps_mine_or_the_unclaimed(ctx: EngineContext, people: People, three: list[str]) -> None:
    first, second, third = three
    rina, rudi = people["rina"], people["rudi"]
    task_service.claim_task(ctx, actor=rina, task_id=_task_of(ctx, rina, second))
    assert numbers(ctx, rina, claimed="mine") == [second]
    assert numbers(ctx, rina, claimed="unclaimed") == [first, third]
    assert numbers(ctx, rina, claimed="all") == three
    assert numbers(ctx, rudi, claimed="mine") == []  # the other Ketua took nothing
    assert numbers(ctx, None, claimed="mine") == []  # nor did the operator


@pytest.mark.parametrize(
    ("text", "which"),
    [
        ("", [0, 1, 2]),
        ("-0002", [1]),  # part of a number, in any case
        ("med-2026-0003", [2]),
        ("ani pem", [0, 1]),  # part of the applicant's full name
        ("WARSINI", [2]),  # the walk-in applicant's name
        ("S. A.", [0]),  # the victim's initials as stored...
        ("rd", [1]),  # ...or without their dots and spaces
        ("%", []),  # a LIKE wildcard is only a character
        ("_", []),
    ],
)
def test_the_search_finds_a_case_by_number_name_or_initials(
    ctx: EngineContext, people: People, three: list[str], text: str, which: list[int]
) -> None:
    assert numbers(ctx, people["rina"], search=text) == [three[i] for i in which]


def test_the_search_never_reaches_past_the_callers_inbox(ctx: EngineContext, people: People, three: list[str]) -> None:
    assert numbers(ctx, people["budi"], search="Ani Pemohon") == []  # another applicant
    assert numbers(ctx, people["tono"], search=three[0]) == []  # another lane
    assert numbers(ctx, people["ani"], search="Ani") == []  # Ani's tasks wait on the Ketua, not on her


# -- combined, and paging -------------------------------------------------------------------------


def test_filters_combine_and_pages_keep_them(
    ctx: EngineContext, clock: FixedClock, people: People, three: list[str]
) -> None:
    more = [file(ctx, clock, people["ani"], victim) for victim in ("Dina Rosa", "Eka Putri", "Fitri Ayu")]
    late = [three[1], three[2], more[0], more[2]]
    for number in late:
        set_due(ctx, number, timedelta(hours=-1))
    rina = people["rina"]
    task_service.claim_task(ctx, actor=rina, task_id=_task_of(ctx, rina, more[2]))
    filters = InboxFilter(due="terlambat", claimed="unclaimed", lane="Ketua LP-PAR", process="mediasi_kekerasan")
    pages = [inbox_service.inbox_page(ctx, actor=rina, filters=filters, page=n, per_page=2) for n in (1, 2)]
    assert [[t.case_number for t in p.items] for p in pages] == [late[0:2], late[2:3]]
    assert [(p.total, p.exact, p.has_next) for p in pages] == [(3, True, True), (3, True, False)]
    searched = InboxFilter(due="terlambat", search="ani")
    assert numbers(ctx, rina, due="terlambat", search="ani") == [three[1], more[0], more[2]]
    bounded = inbox_service.inbox_page(ctx, actor=rina, filters=searched, per_page=1, count_limit=1)
    assert (bounded.total, bounded.exact, bounded.has_next) == (1, False, True)  # the count stops, paging goes on


# -- refused values, and what the filters offer ----------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "fields"),
    [
        (InboxFilter(due="kemarin"), {"due"}),
        (InboxFilter(claimed="semua"), {"claimed"}),
        (InboxFilter(due="segera ", claimed=""), {"due", "claimed"}),  # every bad field at once
        (InboxFilter(process="tidak_ada"), {"process"}),
        (InboxFilter(lane="Lajur Hantu"), {"lane"}),
        (InboxFilter(search="x" * (MAX_SEARCH + 1)), {"q"}),
    ],
)
def test_a_filter_value_outside_its_choices_is_refused_by_field(
    ctx: EngineContext, people: People, filters: InboxFilter, fields: set[str]
) -> None:
    with pytest.raises(FormInvalid) as refused:
        inbox_service.inbox_page(ctx, actor=people["rina"], filters=filters)
    assert set(refused.value.errors) == fields and all(refused.value.errors.values())


def test_the_choices_are_the_processes_and_the_lanes_the_caller_works(ctx: EngineContext, people: People) -> None:
    operator = inbox_service.inbox_choices(ctx)
    assert dict(operator.processes).keys() == {"mediasi_kekerasan", COMPLAINT, "pemantauan_kesepakatan"}
    assert {"Pemohon", "Ketua LP-PAR", "Tim Teknis", "Kepala Dinas", "Fulltimer"} == set(operator.lanes)
    assert inbox_service.inbox_choices(ctx, actor=people["rina"]).lanes == ["Ketua LP-PAR"]
    assert inbox_service.inbox_choices(ctx, actor=people["ani"]).lanes == ["Pemohon"]
    assert set(inbox_service.inbox_choices(ctx, actor=people["dewi"]).lanes) == {"Pemohon", "Fulltimer"}
