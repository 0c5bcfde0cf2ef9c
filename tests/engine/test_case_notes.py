"""Case notes: on the case's chain, for its staff, and for the applicant only when marked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import FormInvalid, NotFound, PermissionDenied
from engine.persistence.models import Case, Event, EventPayload
from engine.services import audit, case_notes, replays
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.builders import application, steps, walk
from tests.conftest import OPERATOR

People = dict[str, Actor]


@pytest.fixture
def case(ctx: EngineContext, people: People) -> Any:
    """Ani's request, checked and reviewed by the Ketua: the Tim Teknis has tasks in it now."""
    started = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, started, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    return started


@pytest.fixture
def auditor(ctx: EngineContext, people: People) -> Actor:
    user_service.add_user(
        ctx, actor=OPERATOR, username="audi", full_name="Audi Auditor", roles=["auditor"], password=None
    )
    return user_service.actor_for(ctx, "audi")


def version(ctx: EngineContext, case_id: object) -> int:
    with ctx.unit_of_work(write=False) as uow:
        return int(uow.session.scalar(select(Case.version).where(Case.id == case_id)) or 0)


def test_a_note_is_an_event_on_the_case_chain_and_replay_passes_over_it(
    ctx: EngineContext, people: People, case: Any
) -> None:
    before = version(ctx, case.id)
    note = case_notes.add_note(ctx, actor=people["tono"], case_ref=case.number, text="  Korban minta ditelepon sore. ")
    assert (note.author, note.username, note.text, note.for_applicant) == (
        "Tono Tim Teknis",
        "tono",
        "Korban minta ditelepon sore.",
        False,
    )
    assert version(ctx, case.id) == before + 1
    with ctx.unit_of_work(write=False) as uow:
        event, data = uow.session.execute(
            select(Event, EventPayload.data)
            .join(EventPayload, EventPayload.event_id == Event.id)
            .where(Event.case_id == case.id, Event.type == "case_note_added")
        ).one()
    assert (event.seq, event.actor) == (note.seq, "tono")
    assert json.loads(data) == {"text": "Korban minta ditelepon sore.", "for_applicant": False}
    assert audit.verify(ctx, case_ref=case.number).ok
    result = replays.replay_case(ctx, case_ref=case.number).result
    assert result.ok, result.divergence
    assert result.final_checked
    assert "case_note_added" not in {s.type for s in result.steps}


def test_the_applicant_reads_only_the_notes_marked_for_her(
    ctx: EngineContext, people: People, auditor: Actor, case: Any
) -> None:
    case_notes.add_note(ctx, actor=people["rina"], case_ref=case.id, text="Catatan internal tim.")
    case_notes.add_note(ctx, actor=people["rina"], case_ref=case.id, text="Jadwal asesmen Senin.", for_applicant=True)
    everything = ["Catatan internal tim.", "Jadwal asesmen Senin."]
    for reader in (people["rina"], people["tono"], auditor, None):
        assert [n.text for n in case_notes.case_notes(ctx, case.id, reader)] == everything
    (shown,) = case_notes.case_notes(ctx, case.id, people["ani"])
    assert (shown.text, shown.author, shown.for_applicant) == ("Jadwal asesmen Senin.", "Rina Ketua", True)
    with pytest.raises(NotFound):
        case_notes.case_notes(ctx, case.id, people["budi"])  # another applicant's case


def test_only_the_staff_working_the_case_write_notes(
    ctx: EngineContext, people: People, auditor: Actor, case: Any
) -> None:
    fresh = case_service.start_case(ctx, actor=people["budi"], data=application())
    with pytest.raises(NotFound):  # no task of the Tim Teknis in Budi's new request yet: not theirs to know
        case_notes.add_note(ctx, actor=people["tono"], case_ref=fresh.id, text="Catatan.")
    with pytest.raises(NotFound):
        case_notes.case_notes(ctx, fresh.id, people["tono"])
    for reader in (people["ani"], auditor, OPERATOR):  # they read the case, but write no note on it
        with pytest.raises(PermissionDenied):
            case_notes.add_note(ctx, actor=reader, case_ref=case.id, text="Catatan.")
    with pytest.raises(NotFound):
        case_notes.add_note(ctx, actor=people["olga"], case_ref=case.id, text="Catatan.")
    assert case_notes.case_notes(ctx, case.id) == []


@pytest.mark.parametrize(
    ("text", "for_applicant", "fields"),
    [("", False, {"text"}), ("   ", False, {"text"}), ("x" * 4001, False, {"text"}), ("ok", "ya", {"for_applicant"})],
)
def test_bad_notes_are_refused_field_by_field_and_nothing_is_written(
    ctx: EngineContext, people: People, case: Any, text: str, for_applicant: Any, fields: set[str]
) -> None:
    before = version(ctx, case.id)
    with pytest.raises(FormInvalid) as invalid:
        case_notes.add_note(ctx, actor=people["rina"], case_ref=case.id, text=text, for_applicant=for_applicant)
    assert set(invalid.value.errors) == fields
    assert version(ctx, case.id) == before


def test_a_finished_case_still_takes_notes(ctx: EngineContext, people: People, case: Any) -> None:
    case_service.withdraw_case(ctx, actor=people["ani"], case_ref=case.id, reason="Korban mencabut persetujuan.")
    note = case_notes.add_note(
        ctx, actor=people["rina"], case_ref=case.id, text="Korban dirujuk ke UPTD PPA.", for_applicant=True
    )
    assert [n.seq for n in case_notes.case_notes(ctx, case.id, people["ani"])] == [note.seq]
    assert audit.verify(ctx, case_ref=case.number).ok
    result = replays.replay_case(ctx, case_ref=case.number).result
    assert result.ok, result.divergence
