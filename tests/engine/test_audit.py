"""Tampering with history is detected: edited, deleted, reordered, forged or cut-off events."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.events import GENESIS, event_hash
from engine.persistence.case_store import NewEvent, insert_events
from engine.persistence.models import Case, Event, EventPayload
from engine.services import audit
from engine.services import cases as case_service
from engine.settings import Settings
from tests.builders import TIM, application, steps, walk
from tests.conftest import OPERATOR
from tests.tampering import rewrite_payload, set_payload

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
    set_payload(ctx, history["ids"][2], '{"berkas_lengkap":false}')
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
            "insert into event (case_id, chain, seq, type, actor, at, prev_hash, hash) "
            "select case_id, chain, 6, 'case_completed', actor, at, hash, hash from event where id = :i",
            {"i": history["ids"][5]},
        ),
    )
    assert broken(ctx).seq == 6


def test_a_forged_event_with_a_valid_hash_is_found_by_the_head(ctx: EngineContext, history: dict[str, Any]) -> None:
    """A forger who knows the algorithm can seal a row, but the case's recorded head still ends at 5."""
    with ctx.database.engine.begin() as connection:
        last = Session(bind=connection).get_one(Event, history["ids"][5])
        forged = NewEvent(seq=6, type="case_completed", actor="penyusup", at=last.at, case_id=history["case"].id)
        forged.prev_hash, forged.hash = last.hash, event_hash(forged, last.hash)
        insert_events(Session(bind=connection), [forged])
    found = broken(ctx)
    assert found.seq == 6 and "ditambah" in found.reason


def test_an_event_inserted_mid_chain_is_named(ctx: EngineContext, history: dict[str, Any]) -> None:
    tamper(
        ctx,
        ("update event set seq = seq + 100 where chain is null and seq >= 4", {}),
        ("update event set seq = seq - 99 where chain is null and seq >= 100", {}),
    )
    tamper(
        ctx,
        (
            "insert into event (case_id, chain, seq, type, actor, at, prev_hash, hash) "
            "select case_id, chain, 4, 'task_claimed', 'penyusup', at, hash, hash from event where id = :i",
            {"i": history["ids"][3]},
        ),
    )
    found = broken(ctx)
    assert found.seq == 4 and "hash" in found.reason


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
    assert err.count("\n") == 1 and f"rantai kasus {history['case'].number}, urutan 4" in err


# -- anchors -------------------------------------------------------------------------------------------


def reseal(ctx: EngineContext, case_id: Any) -> None:
    """What a careful forger does after rewriting rows: recompute every link, hash and the head."""
    with ctx.database.engine.begin() as connection:
        session = Session(bind=connection)
        events = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)).all()
        prev = GENESIS
        for event in events:
            data = session.get(EventPayload, event.id)
            if data is not None:
                event.payload_hash = hashlib.sha256(data.data.encode()).digest()
            event.prev_hash, event.hash = prev, event_hash(event, prev)
            prev = event.hash
        session.execute(update(Case).where(Case.id == case_id).values(event_seq=len(events), event_hash=prev))
        session.flush()


def test_an_anchor_verifies_while_nothing_changed(ctx: EngineContext, history: dict[str, Any], people: People) -> None:
    anchor = audit.record_anchor(ctx, actor=OPERATOR)
    walk(lambda: ctx, people, history["case"], steps(*TIM[2:3]))  # history may go on after an anchor
    result = audit.verify(ctx, anchor=anchor.hash)
    assert result.ok and result.anchor == anchor.hash and "jangkar" in result.summary()
    assert audit.verify(ctx, case_ref=history["case"].number, anchor=anchor.hash).ok


def test_cutting_off_events_consistently_is_found_by_the_anchor(ctx: EngineContext, history: dict[str, Any]) -> None:
    anchor = audit.record_anchor(ctx, actor=OPERATOR)
    tamper(
        ctx,
        ("delete from event_payload where event_id = :i", {"i": history["ids"][5]}),
        ("delete from event where id = :i", {"i": history["ids"][5]}),
    )
    reseal(ctx, history["case"].id)
    assert audit.verify(ctx).ok  # without the anchor the shortened chain looks whole
    found = audit.verify(ctx, anchor=anchor.hash).first_break
    assert found is not None and found.seq == 5 and "dipotong" in found.reason


def test_rewriting_history_consistently_is_found_by_the_anchor(ctx: EngineContext, history: dict[str, Any]) -> None:
    anchor = audit.record_anchor(ctx, actor=OPERATOR)
    set_payload(ctx, history["ids"][2], "{}")
    reseal(ctx, history["case"].id)
    assert audit.verify(ctx).ok
    found = audit.verify(ctx, anchor=anchor.hash).first_break
    assert found is not None and "ditulis ulang" in found.reason


def test_an_unknown_or_altered_anchor_is_refused(ctx: EngineContext, history: dict[str, Any]) -> None:
    anchor = audit.record_anchor(ctx, actor=OPERATOR)
    unknown = audit.verify(ctx, anchor="0" * 64).first_break
    assert unknown is not None and "tidak ditemukan" in unknown.reason
    with pytest.raises(InvalidInput):
        audit.verify(ctx, anchor="bukan-hash")
    # Editing the anchor's own record (to lower a head) breaks the system chain.
    with ctx.database.engine.connect() as connection:
        anchored = connection.execute(text("select id from event where type = 'audit_anchored'")).scalar_one()
    rewrite_payload(ctx, anchored, lambda data: data.replace('"anchor"', '"x"'))
    assert not audit.verify(ctx, anchor=anchor.hash).ok


def test_cli_anchor_prints_the_hash_last(
    ctx: EngineContext, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.main import main

    monkeypatch.setenv("MEDIASI_DATABASE_URL", ctx.settings.database_url)
    assert main(["audit", "anchor"]) == 0
    digest = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(digest) == 64
    assert main(["audit", "verify", "--anchor", digest]) == 0
    assert "Jangkar cocok" in capsys.readouterr().out
    assert main(["audit", "verify", "--anchor", "f" * 64]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_the_suite_catches_application_code_that_rewrites_history(settings: Settings) -> None:
    """The guard every test runs under (tests/conftest.py) flags an UPDATE of events from engine code."""
    from tests import conftest

    ctx = EngineContext.create(settings)  # not the fixture's: its guard would fail this test
    violations: list[str] = []
    conftest._watch_history(ctx, violations)
    as_if_engine = compile(
        "with engine.begin() as c:\n    c.execute(text(\"update event set actor = 'x' where id = -1\"))\n",
        str(conftest._PROJECT / "engine" / "rewriter.py"),
        "exec",
    )
    exec(as_if_engine, {"engine": ctx.database.engine, "text": text})
    ctx.close()
    assert violations == ["update event set actor = 'x' where id = -1"]


def test_erased_payloads_leave_the_chain_verifiable(ctx: EngineContext, history: dict[str, Any]) -> None:
    """At the end of retention a payload may be erased (by the owner role); its hash stays in the chain."""
    tamper(ctx, ("delete from event_payload where event_id in (select id from event where chain is null)", {}))
    result = audit.verify(ctx)
    assert result.ok and result.events >= 5
