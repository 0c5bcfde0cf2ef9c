"""A supervisor releases or reassigns a claimed task; a substitute works the claimed tasks of someone away."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.casework.views import CaseView
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import Conflict, FormInvalid, NotInLane, PermissionDenied, TaskNotReady
from engine.events import SYSTEM_CHAIN
from engine.persistence.models import CaseTask, Event, EventPayload
from engine.services import audit as audit_service
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import reassignment, replays, substitutes
from engine.services import tasks as task_service
from engine.services import users as user_service
from tests.builders import TIM, Step, application, ready_task, steps, walk
from tests.conftest import OPERATOR
from tests.snapshots import snapshot

People = dict[str, Actor]
EXTRA = {"adam": ["admin"], "tari": ["tim_teknis"], "mega": ["ketua_lppar", "tim_teknis"]}


@pytest.fixture
def folks(ctx: EngineContext, people: People) -> People:
    """The test people plus an admin, a second Tim Teknis member and a Ketua who is also in the Tim Teknis."""
    for username, roles in EXTRA.items():
        user_service.add_user(
            ctx, actor=OPERATOR, username=username, full_name=username.title(), roles=roles, password=None
        )
    return {**people, **{u: user_service.actor_for(ctx, u) for u in EXTRA}}


@pytest.fixture
def case(ctx: EngineContext, folks: People) -> CaseView:
    return case_service.start_case(ctx, actor=folks["ani"], data=application())


def first_task(case: CaseView) -> uuid.UUID:
    return case.tasks[0].id  # Task_periksa_kelengkapan, the Ketua LP-PAR's


def tim_task(ctx: EngineContext, folks: People, case: CaseView) -> uuid.UUID:
    walk(lambda: ctx, folks, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    return ready_task(ctx, case.id, TIM[0])  # Tim Teknis and its secretary work it


def last_event(ctx: EngineContext, case: CaseView) -> Any:
    return case_queries.case_events(ctx, case.number)[-1]


def claimant(ctx: EngineContext, task_id: uuid.UUID) -> str | None:
    return task_service.get_task(ctx, actor=None, task_id=task_id, with_data=False).task.claimed_by


def inbox_of(ctx: EngineContext, actor: Actor) -> dict[uuid.UUID, str | None]:
    return {t.id: t.claimed_by for t in task_service.list_tasks(ctx, actor=actor)}


def unchanged(ctx: EngineContext, error: type[Exception], action: Callable[[], object]) -> Exception:
    """Run `action`, expect `error`, and the database exactly as before."""
    before = snapshot(ctx)
    with pytest.raises(error) as caught:
        action()
    assert snapshot(ctx) == before
    return caught.value


def chain_verifies(ctx: EngineContext, case: CaseView) -> None:
    assert audit_service.verify(ctx, case_ref=case.number).ok
    assert replays.replay_case(ctx, case_ref=case.number).result.ok


class TestSupervisorRelease:
    def test_the_ketua_releases_a_colleagues_claim_with_a_reason(
        self, ctx: EngineContext, folks: People, case: CaseView
    ) -> None:
        task_service.claim_task(ctx, actor=folks["rina"], task_id=first_task(case))
        view = reassignment.release_claim(ctx, actor=folks["rudi"], task_id=first_task(case), reason="  Rina cuti.  ")
        assert view.claimed_by is None and claimant(ctx, first_task(case)) is None
        event = last_event(ctx, case)
        assert (event.type, event.actor, event.task_id) == ("task_released", "rudi", first_task(case))
        assert event.data == {"reason": "Rina cuti.", "from": "rina", "by_supervisor": True}
        task_service.complete_task(ctx, actor=folks["rudi"], task_id=first_task(case), data={"berkas_lengkap": True})
        chain_verifies(ctx, case)

    def test_an_admin_releases_any_claimed_staff_task(self, ctx: EngineContext, folks: People, case: CaseView) -> None:
        task_id = tim_task(ctx, folks, case)
        task_service.claim_task(ctx, actor=folks["tono"], task_id=task_id)
        assert [t.id for t in reassignment.claimed_tasks(ctx, actor=folks["adam"])] == [task_id]
        reassignment.release_claim(ctx, actor=folks["adam"], task_id=task_id, reason="Tono sakit.")
        assert claimant(ctx, task_id) is None and reassignment.claimed_tasks(ctx, actor=folks["adam"]) == []
        assert last_event(ctx, case).data["from"] == "tono"


class TestReassign:
    def test_the_ketua_hands_a_tim_teknis_task_to_a_colleague_of_its_lane(
        self, ctx: EngineContext, folks: People, case: CaseView
    ) -> None:
        task_id = tim_task(ctx, folks, case)
        task_service.claim_task(ctx, actor=folks["tono"], task_id=task_id)
        claim = reassignment.claimed_task(ctx, actor=folks["rina"], task_id=task_id)
        assert [p.username for p in claim.workers] == ["mega", "sari", "tari"]  # tono, the claimant, left out
        view = reassignment.reassign_task(
            ctx, actor=folks["rina"], task_id=task_id, to="tari", reason="Tono dinas luar."
        )
        assert view.claimed_by == "tari" and inbox_of(ctx, folks["tari"])[task_id] == "tari"
        event = last_event(ctx, case)
        assert (event.type, event.actor) == ("task_reassigned", "rina")
        assert event.data == {"reason": "Tono dinas luar.", "from": "tono", "to": "tari"}
        with pytest.raises(PermissionDenied):  # only tari may now complete it
            task_service.complete_task(ctx, actor=folks["tono"], task_id=task_id, data=Step(TIM[0]).payload())
        task_service.complete_task(ctx, actor=folks["tari"], task_id=task_id, data=Step(TIM[0]).payload())
        chain_verifies(ctx, case)

    def test_an_admin_reassigns_and_the_receiver_may_release(
        self, ctx: EngineContext, folks: People, case: CaseView
    ) -> None:
        task_service.claim_task(ctx, actor=folks["rina"], task_id=first_task(case))
        reassignment.reassign_task(ctx, actor=folks["adam"], task_id=first_task(case), to="rudi", reason="Rina cuti.")
        task_service.release_task(ctx, actor=folks["rudi"], task_id=first_task(case))
        assert [e.type for e in case_queries.case_events(ctx, case.number)] == [
            "case_started",
            "task_claimed",
            "task_reassigned",
            "task_released",
        ]
        chain_verifies(ctx, case)


class TestRefusals:
    @pytest.fixture
    def claimed(self, ctx: EngineContext, folks: People, case: CaseView) -> uuid.UUID:
        task_service.claim_task(ctx, actor=folks["rina"], task_id=first_task(case))
        return first_task(case)

    @pytest.mark.parametrize("reason", ["", "   ", "x" * (reassignment.MAX_REASON + 1)])
    def test_a_reason_is_required_and_bounded(
        self, ctx: EngineContext, folks: People, claimed: uuid.UUID, reason: str
    ) -> None:
        for action in (
            lambda: reassignment.release_claim(ctx, actor=folks["rudi"], task_id=claimed, reason=reason),
            lambda: reassignment.reassign_task(ctx, actor=folks["rudi"], task_id=claimed, to="rudi", reason=reason),
        ):
            assert set(unchanged(ctx, FormInvalid, action).errors) == {"reason"}  # type: ignore[attr-defined]

    @pytest.mark.parametrize("to", ["tono", "ani", "tidakada", "", "rina"])
    def test_the_receiver_must_work_the_lane(
        self, ctx: EngineContext, folks: People, claimed: uuid.UUID, to: str
    ) -> None:
        error = unchanged(
            ctx,
            FormInvalid,
            lambda: reassignment.reassign_task(ctx, actor=folks["rudi"], task_id=claimed, to=to, reason="Cuti."),
        )
        assert set(error.errors) == {"to"}  # type: ignore[attr-defined]

    def test_a_deactivated_receiver_is_refused(self, ctx: EngineContext, folks: People, claimed: uuid.UUID) -> None:
        user_service.set_active(ctx, actor=OPERATOR, username="mega", active=False)
        unchanged(
            ctx,
            FormInvalid,
            lambda: reassignment.reassign_task(ctx, actor=folks["rudi"], task_id=claimed, to="mega", reason="Cuti."),
        )

    @pytest.mark.parametrize("who", ["tono", "sari", "kadin", "dewi", "ani", "olga"])
    def test_only_the_ketua_and_an_admin_supervise(
        self, ctx: EngineContext, folks: People, claimed: uuid.UUID, who: str
    ) -> None:
        unchanged(
            ctx,
            PermissionDenied,
            lambda: reassignment.release_claim(ctx, actor=folks[who], task_id=claimed, reason="Cuti."),
        )
        unchanged(
            ctx,
            PermissionDenied,
            lambda: reassignment.reassign_task(ctx, actor=folks[who], task_id=claimed, to="rudi", reason="Cuti."),
        )
        with pytest.raises(PermissionDenied):
            reassignment.claimed_tasks(ctx, actor=folks[who])

    def test_a_task_nobody_claimed_is_refused(self, ctx: EngineContext, folks: People, case: CaseView) -> None:
        unchanged(
            ctx,
            Conflict,
            lambda: reassignment.release_claim(ctx, actor=folks["rudi"], task_id=first_task(case), reason="Cuti."),
        )
        unchanged(
            ctx,
            Conflict,
            lambda: reassignment.reassign_task(
                ctx, actor=folks["adam"], task_id=first_task(case), to="rudi", reason="Cuti."
            ),
        )

    def test_a_completed_task_is_refused(self, ctx: EngineContext, folks: People, claimed: uuid.UUID) -> None:
        task_service.complete_task(ctx, actor=folks["rina"], task_id=claimed, data={"berkas_lengkap": True})
        unchanged(
            ctx,
            TaskNotReady,
            lambda: reassignment.release_claim(ctx, actor=folks["rudi"], task_id=claimed, reason="Cuti."),
        )

    def test_the_applicants_lane_is_never_supervised(self, ctx: EngineContext, folks: People, case: CaseView) -> None:
        incomplete = {"berkas_lengkap": False, "catatan_kelengkapan": "Lampirkan KTP."}
        walk(lambda: ctx, folks, case, steps(Step("Task_periksa_kelengkapan", incomplete)))
        task_id = case_queries.get_case(ctx, str(case.id)).tasks[0].id
        task_service.claim_task(ctx, actor=folks["ani"], task_id=task_id)
        for who in ("rina", "adam"):
            unchanged(
                ctx,
                PermissionDenied,
                partial(reassignment.release_claim, ctx, actor=folks[who], task_id=task_id, reason="Cuti."),
            )
        assert reassignment.claimed_tasks(ctx, actor=folks["adam"]) == []


class TestSubstitute:
    def test_the_substitute_completes_the_claimed_task_of_someone_away(
        self, ctx: EngineContext, folks: People, case: CaseView
    ) -> None:
        task_id = first_task(case)
        task_service.claim_task(ctx, actor=folks["rina"], task_id=task_id)
        with pytest.raises(PermissionDenied):
            task_service.complete_task(ctx, actor=folks["rudi"], task_id=task_id, data={"berkas_lengkap": True})
        substitutes.set_substitute(ctx, actor=folks["rina"], substitute="rudi")
        assert substitutes.covered_people(ctx, actor=folks["rudi"]) == {"rina"}
        assert inbox_of(ctx, folks["rudi"])[task_id] == "rina"
        task_service.complete_task(ctx, actor=folks["rudi"], task_id=task_id, data={"berkas_lengkap": True})
        assert last_event(ctx, case).actor == "rudi"
        chain_verifies(ctx, case)

    def test_the_substitute_releases_it_and_the_event_says_whose_claim_it_was(
        self, ctx: EngineContext, folks: People, case: CaseView
    ) -> None:
        task_service.claim_task(ctx, actor=folks["rina"], task_id=first_task(case))
        substitutes.set_substitute(ctx, actor=folks["rina"], substitute="rudi")
        task_service.release_task(ctx, actor=folks["rudi"], task_id=first_task(case))
        event = last_event(ctx, case)
        assert (event.type, event.actor, event.data) == ("task_released", "rudi", {"from": "rina", "substitute": True})
        task_service.claim_task(ctx, actor=folks["rina"], task_id=first_task(case))
        with pytest.raises(Conflict):  # a substitute works the claim, but does not take it over
            task_service.claim_task(ctx, actor=folks["rudi"], task_id=first_task(case))

    def test_away_until_ends_it(self, ctx: EngineContext, folks: People, case: CaseView, clock: FixedClock) -> None:
        task_id = first_task(case)
        task_service.claim_task(ctx, actor=folks["rina"], task_id=task_id)
        substitutes.set_substitute(
            ctx, actor=folks["rina"], substitute="rudi", away_until=clock.now() + timedelta(hours=1)
        )
        assert substitutes.covered_people(ctx, actor=folks["rudi"]) == {"rina"}
        clock.advance(timedelta(hours=1))
        assert substitutes.covered_people(ctx, actor=folks["rudi"]) == frozenset()
        assert substitutes.current(ctx, actor=folks["rina"]).in_force is False  # type: ignore[union-attr]
        refused = {"berkas_lengkap": True}
        unchanged(
            ctx,
            PermissionDenied,
            lambda: task_service.complete_task(ctx, actor=folks["rudi"], task_id=task_id, data=refused),
        )
        unchanged(ctx, Conflict, lambda: task_service.release_task(ctx, actor=folks["rudi"], task_id=task_id))

    def test_a_cleared_substitute_covers_nothing(self, ctx: EngineContext, folks: People, case: CaseView) -> None:
        task_service.claim_task(ctx, actor=folks["rina"], task_id=first_task(case))
        substitutes.set_substitute(ctx, actor=folks["rina"], substitute="rudi")
        substitutes.clear_substitute(ctx, actor=folks["rina"])
        assert substitutes.current(ctx, actor=folks["rina"]) is None
        with pytest.raises(PermissionDenied):
            task_service.complete_task(
                ctx, actor=folks["rudi"], task_id=first_task(case), data={"berkas_lengkap": True}
            )
        with pytest.raises(Conflict):
            substitutes.clear_substitute(ctx, actor=folks["rina"])

    def test_the_substitute_works_only_lanes_of_their_own(
        self, ctx: EngineContext, folks: People, case: CaseView
    ) -> None:
        task_id = tim_task(ctx, folks, case)
        task_service.claim_task(ctx, actor=folks["mega"], task_id=task_id)
        substitutes.set_substitute(ctx, actor=folks["mega"], substitute="rudi")  # they share the Ketua LP-PAR's lane
        assert task_id not in inbox_of(ctx, folks["rudi"])
        data = Step(TIM[0]).payload()
        unchanged(
            ctx, NotInLane, lambda: task_service.complete_task(ctx, actor=folks["rudi"], task_id=task_id, data=data)
        )

    def test_one_level_only(self, ctx: EngineContext, folks: People, case: CaseView) -> None:
        task_service.claim_task(ctx, actor=folks["rina"], task_id=first_task(case))
        substitutes.set_substitute(ctx, actor=folks["rina"], substitute="rudi")
        substitutes.set_substitute(ctx, actor=folks["rudi"], substitute="mega")
        assert substitutes.covered_people(ctx, actor=folks["mega"]) == {"rudi"}
        with pytest.raises(PermissionDenied):
            task_service.complete_task(
                ctx, actor=folks["mega"], task_id=first_task(case), data={"berkas_lengkap": True}
            )

    def test_setting_and_clearing_are_on_the_system_chain(
        self, ctx: EngineContext, folks: People, clock: FixedClock
    ) -> None:
        until = clock.now() + timedelta(days=3)
        substitutes.set_substitute(ctx, actor=folks["tono"], substitute="tari", away_until=until)
        substitutes.clear_substitute(ctx, actor=folks["tono"])
        with ctx.unit_of_work(write=False) as uow:
            rows = uow.session.execute(
                select(Event.type, Event.actor, EventPayload.data)
                .join(EventPayload, EventPayload.event_id == Event.id)
                .where(Event.chain == SYSTEM_CHAIN, Event.type.in_([substitutes.SET_EVENT, substitutes.CLEARED_EVENT]))
                .order_by(Event.seq)
            ).all()
        assert [(r.type, r.actor, json.loads(r.data)) for r in rows] == [
            ("substitute_set", "tono", {"username": "tono", "substitute": "tari", "away_until": until.isoformat()}),
            ("substitute_cleared", "tono", {"username": "tono", "substitute": "tari"}),
        ]
        assert audit_service.verify(ctx).ok

    @pytest.mark.parametrize(
        ("who", "substitute", "field"),
        [
            ("rina", "rina", "substitute"),
            ("rina", "tono", "substitute"),
            ("rina", "", "substitute"),
            ("rina", "siapa", "substitute"),
        ],
    )
    def test_refused_choices_change_nothing(
        self, ctx: EngineContext, folks: People, who: str, substitute: str, field: str
    ) -> None:
        error = unchanged(
            ctx, FormInvalid, lambda: substitutes.set_substitute(ctx, actor=folks[who], substitute=substitute)
        )
        assert set(error.errors) == {field}  # type: ignore[attr-defined]

    def test_a_past_end_and_a_person_without_a_lane_are_refused(
        self, ctx: EngineContext, folks: People, clock: FixedClock
    ) -> None:
        past = clock.now() - timedelta(minutes=1)
        error = unchanged(
            ctx,
            FormInvalid,
            lambda: substitutes.set_substitute(ctx, actor=folks["rina"], substitute="rudi", away_until=past),
        )
        assert set(error.errors) == {"away_until"}  # type: ignore[attr-defined]
        for who in ("ani", "adam", "olga"):
            unchanged(
                ctx,
                PermissionDenied,
                partial(substitutes.set_substitute, ctx, actor=folks[who], substitute="rudi"),
            )

    def test_choices_share_a_lane_role(self, ctx: EngineContext, folks: People) -> None:
        assert [p.username for p in substitutes.choices(ctx, actor=folks["rina"])] == ["mega", "rudi"]
        assert [p.username for p in substitutes.choices(ctx, actor=folks["tono"])] == ["mega", "tari"]


def test_the_inbox_row_is_what_the_claim_says(ctx: EngineContext, folks: People, case: CaseView) -> None:
    task_service.claim_task(ctx, actor=folks["rina"], task_id=first_task(case))
    reassignment.reassign_task(ctx, actor=folks["rudi"], task_id=first_task(case), to="rudi", reason="Saya ambil alih.")
    with ctx.unit_of_work(write=False) as uow:
        row = uow.session.get_one(CaseTask, first_task(case))
        assert row.claimed_by_id == folks["rudi"].user_id
