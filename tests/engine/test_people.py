"""Who acted, as people read it: full names in one query, "Sistem" for the CLI and the scheduler."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from engine.actors import Actor
from engine.context import EngineContext
from engine.services import people as people_service
from engine.services.timers import SYSTEM_ACTOR
from engine.services.users import register_applicant
from tests.conftest import OPERATOR


def test_usernames_read_as_full_names_and_the_cli_and_scheduler_as_sistem(
    ctx: EngineContext, people: dict[str, Actor]
) -> None:
    register_applicant(ctx, username="wulan", full_name="Wulan Sari", password="kata-sandi-wulan-1")
    names = people_service.display_names(
        ctx, ["rina", "tono", OPERATOR.username, SYSTEM_ACTOR, "pendaftaran:wulan", "siapa", None, ""]
    )
    assert names == {
        "rina": "Rina Ketua",
        "tono": "Tono Tim Teknis",
        "cli:test": "Sistem (CLI: test)",
        "sistem:penjadwal": "Sistem (penjadwal)",
        "pendaftaran:wulan": "Wulan Sari (pendaftaran mandiri)",
        "siapa": "siapa",  # a name typed at a failed sign-in: no account, shown as typed
    }


def test_the_lookup_is_one_query_however_many_people(ctx: EngineContext, people: dict[str, Actor]) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "user_account" in statement:
            statements.append(statement)

    event.listen(ctx.database.engine, "before_cursor_execute", count)
    try:
        names = people_service.display_names(ctx, [*people, OPERATOR.username])
        assert people_service.display_names(ctx, [OPERATOR.username, None]) == {"cli:test": "Sistem (CLI: test)"}
    finally:
        event.remove(ctx.database.engine, "before_cursor_execute", count)
    assert len(statements) == 1  # the second lookup names no account: no query at all
    assert names["kadin"] == "Ahmad Kepala Dinas" and len(names) == len(people) + 1


def test_a_versions_forms_title_the_fields_of_groups_and_their_values(ctx: EngineContext, deployed: object) -> None:
    from engine.definitions import latest_definition_id

    with ctx.unit_of_work(write=False) as uow:
        definition = ctx.definitions.get(uow.session, latest_definition_id(uow.session, "mediasi_kekerasan"))
    assert definition.labels["korban"] == "Korban"
    assert definition.labels["korban.jenis_kelamin"] == "Jenis kelamin"
    assert definition.labels["terlapor.nama"] == "Nama terlapor"
    assert definition.value_titles["korban.jenis_kelamin"]["laki_laki"] == "Laki-laki"
    assert definition.value_titles["jenis_kekerasan"]["psikis"] == "Kekerasan psikis"
