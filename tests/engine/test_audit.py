"""Tampering with history is detected: edited, deleted, reordered, forged or cut-off events."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from engine.actors import Actor
from engine.context import EngineContext
from engine.services import audit
from engine.services import cases as case_service
from tests.builders import TIM, application, steps, walk

People = dict[str, Actor]


@pytest.fixture
def history(ctx: EngineContext, people: People) -> dict[str, Any]:
    """A case six steps along, and the ids of its events by seq."""
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    walk(lambda: ctx, people, case, steps("Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM[:2]))
    with ctx.database.engine.connect() as connection:
        rows = connection.execute(text("select seq, id from event where chain is null order by seq")).all()
    return {"case": case, "ids": {seq: event_id for seq, event_id in rows}}


def tamper(ctx: EngineContext, *statements: tuple[str, dict[str, Any]]) -> None:
    with ctx.database.engine.begin() as connection:
        for sql, params in statements:
            connection.execute(text(sql), params)


def broken(ctx: EngineContext) -> audit.ChainBreak:
    result = audit.verify(ctx)
    assert not result.ok
    assert result.first_break is not None
    return result.first_break


def test_intact_history_verifies(ctx: EngineContext, history: dict[str, Any]) -> None:
    result = audit.verify(ctx)
    assert result.ok and result.chains == 2 and result.events >= 6  # the case's chain and the system chain
    assert audit.verify(ctx, case_ref=history["case"].number).events == 5


def test_an_edited_payload_is_found(ctx: EngineContext, history: dict[str, Any]) -> None:
    tamper(
        ctx,
        (
            "update event_payload set data = :d where event_id = :i",
            {"d": '{"berkas_lengkap":false}', "i": history["ids"][2]},
        ),
    )
    found = broken(ctx)
    assert (found.chain, found.seq) == (f"case:{history['case'].id}", 2) and "muatan" in found.reason


def test_an_edited_event_is_found(ctx: EngineContext, history: dict[str, Any]) -> None:
    tamper(ctx, ("update event set actor = 'orang_lain' where id = :i", {"i": history["ids"][3]}))
    assert broken(ctx).seq == 3


def test_a_deleted_event_is_found(ctx: EngineContext, history: dict[str, Any]) -> None:
    tamper(
        ctx,
        ("delete from event_payload where event_id = :i", {"i": history["ids"][3]}),
        ("delete from event where id = :i", {"i": history["ids"][3]}),
    )
    found = broken(ctx)
    assert found.seq == 3 and "hilang" in found.reason


def test_reordered_events_are_found(ctx: EngineContext, history: dict[str, Any]) -> None:
    ids = history["ids"]
    tamper(
        ctx,
        ("update event set seq = 1000 where id = :i", {"i": ids[2]}),
        ("update event set seq = 2 where id = :i", {"i": ids[3]}),
        ("update event set seq = 3 where id = :i", {"i": ids[2]}),
    )
    assert broken(ctx).seq == 2


def test_a_forged_event_is_found(ctx: EngineContext, history: dict[str, Any]) -> None:
    tamper(
        ctx,
        (
            "insert into event (case_id, chain, seq, type, actor, at, hash) "
            "select case_id, chain, 6, 'case_completed', actor, at, hash from event where id = :i",
            {"i": history["ids"][5]},
        ),
    )
    assert broken(ctx).seq == 6


def test_cutting_off_the_newest_events_is_found(ctx: EngineContext, history: dict[str, Any]) -> None:
    tamper(
        ctx,
        ("delete from event_payload where event_id = :i", {"i": history["ids"][5]}),
        ("delete from event where id = :i", {"i": history["ids"][5]}),
    )
    found = broken(ctx)
    assert "dipotong" in found.reason


def test_the_system_chain_is_verified_too(ctx: EngineContext, history: dict[str, Any]) -> None:
    tamper(ctx, ("update event set actor = 'penyusup' where chain = 'system' and seq = 1", {}))
    found = broken(ctx)
    assert (found.chain, found.seq) == ("system", 1)


def test_cli_reports_in_one_line(
    ctx: EngineContext, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    monkeypatch.setenv("MEDIASI_DATABASE_URL", ctx.settings.database_url)
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("Riwayat utuh: 2 rantai")
    tamper(ctx, ("update event set actor = 'orang_lain' where id = :i", {"i": history["ids"][4]}))
    assert main(["audit", "verify", "--case", history["case"].number]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"rantai case:{history['case'].id}, urutan 4" in err
