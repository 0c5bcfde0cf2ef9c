"""Need-to-know: who may read which case, the same for every front end."""

from __future__ import annotations

import pytest

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import NotFound
from engine.services import cases as case_service
from engine.services import queries as case_queries
from engine.services import users as user_service
from tests.builders import TIM, application, steps, walk
from tests.conftest import OPERATOR

People = dict[str, Actor]


@pytest.fixture
def cases(ctx: EngineContext, people: People) -> dict[str, str]:
    """Three cases: Ani's (at the Tim Teknis), Budi's (just filed), and a walk-in filed by Dewi."""
    ani = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, ani, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan"))
    budi = case_service.start_case(ctx, actor=people["budi"], data=application())
    walk_in = case_service.start_case(
        ctx,
        actor=people["dewi"],
        data=application(),
        applicant=case_service.WalkInApplicant(nama="Ibu Warsini", telepon="08123456"),
    )
    return {"ani": ani.number, "budi": budi.number, "walk_in": walk_in.number}


def extra(ctx: EngineContext, username: str, role: str) -> Actor:
    user_service.add_user(ctx, actor=OPERATOR, username=username, full_name=username, roles=[role], password=None)
    return user_service.actor_for(ctx, username)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("ani", {"ani"}),
        ("budi", {"budi"}),
        ("dewi", {"walk_in"}),
        ("rina", {"ani", "budi", "walk_in"}),  # the Ketua's lane had a task in every case
        ("tono", {"ani"}),  # the Tim Teknis only where its opinions were asked
        ("sari", {"ani"}),
        ("kadin", set()),  # no decision asked yet
        ("olga", set()),  # process owner: counts only
    ],
)
def test_each_role_reads_only_its_cases(
    ctx: EngineContext, people: People, cases: dict[str, str], who: str, sees: set[str]
) -> None:
    visible = {c.number for c in case_queries.list_cases(ctx, actor=people[who]).items}
    assert visible == {cases[name] for name in sees}
    for name, number in cases.items():
        if name in sees:
            assert case_queries.get_case(ctx, number, people[who]).number == number
        else:
            with pytest.raises(NotFound):
                case_queries.get_case(ctx, number, people[who])
            with pytest.raises(NotFound):
                case_queries.case_events(ctx, number, people[who])


@pytest.mark.parametrize(("role", "count"), [("auditor", 3), ("dpo", 0), ("admin", 0)])
def test_auditors_read_everything_and_dpo_and_admin_no_case(
    ctx: EngineContext, people: People, cases: dict[str, str], role: str, count: int
) -> None:
    actor = extra(ctx, f"uji_{role}", role)
    assert case_queries.list_cases(ctx, actor=actor).total == count


def test_search_by_number_name_and_status_with_pages(ctx: EngineContext, people: People, cases: dict[str, str]) -> None:
    rina = people["rina"]
    assert [c.number for c in case_queries.list_cases(ctx, actor=rina, search="warsini").items] == [cases["walk_in"]]
    assert [c.number for c in case_queries.list_cases(ctx, actor=rina, search="Ani Pemohon").items] == [cases["ani"]]
    assert case_queries.list_cases(ctx, actor=rina, search=cases["budi"].lower()).total == 1
    assert case_queries.list_cases(ctx, actor=rina, status="completed").total == 0
    first = case_queries.list_cases(ctx, actor=rina, per_page=2)
    second = case_queries.list_cases(ctx, actor=rina, per_page=2, page=2)
    assert (first.total, len(first.items), len(second.items)) == (3, 2, 1)
    assert {c.number for c in first.items + second.items} == set(cases.values())


def test_tim_teknis_sees_the_case_once_its_lane_had_a_task(ctx: EngineContext, people: People) -> None:
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    assert case_queries.list_cases(ctx, actor=people["tono"]).total == 0
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM))
    assert case_queries.list_cases(ctx, actor=people["tono"]).total == 1  # had, not only has
