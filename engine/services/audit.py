"""Verifying the hash chains: every case's history, and the system chain, recomputed from the rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.events import GENESIS, chain_name, event_hash
from engine.persistence.models import Case, ChainHead, Event, EventPayload
from engine.services.queries import find_case


@dataclass(frozen=True)
class ChainBreak:
    """The first event of a chain that does not hold, and why."""

    chain: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"rantai {self.chain}, urutan {self.seq}: {self.reason}"


@dataclass(frozen=True)
class Verification:
    """The result of recomputing chains."""

    chains: int
    events: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify(ctx: EngineContext, *, case_ref: str | None = None) -> Verification:
    """Recompute every chain (or one case's) and report the first event that does not hold."""
    with ctx.unit_of_work(write=False) as uow:
        cases = [find_case(uow.session, case_ref)] if case_ref else list(uow.session.scalars(select(Case)))
        chains, events = 0, 0
        for case in sorted(cases, key=lambda c: c.number):
            rows = _events(uow.session, Event.case_id == case.id)
            chains, events = chains + 1, events + len(rows)
            broken = check_chain(f"case:{case.id}", rows, _payloads(uow.session, rows), case.event_seq, case.event_hash)
            if broken:
                return Verification(chains, events, broken)
        if case_ref is None:
            for head in uow.session.scalars(select(ChainHead).order_by(ChainHead.chain)):
                rows = _events(uow.session, Event.chain == head.chain)
                chains, events = chains + 1, events + len(rows)
                broken = check_chain(head.chain, rows, _payloads(uow.session, rows), head.seq, head.hash)
                if broken:
                    return Verification(chains, events, broken)
        return Verification(chains, events, None)


def _events(session: Session, where: object) -> list[Event]:
    return list(session.scalars(select(Event).where(where).order_by(Event.seq, Event.id)))  # type: ignore[arg-type]


def _payloads(session: Session, events: Sequence[Event]) -> dict[int, str]:
    ids = [e.id for e in events if e.payload_hash is not None]
    if not ids:
        return {}
    return dict(
        session.execute(select(EventPayload.event_id, EventPayload.data).where(EventPayload.event_id.in_(ids))).all()
    )


def check_chain(
    chain: str, events: Iterable[Event], payloads: dict[int, str], head_seq: int, head_hash: bytes
) -> ChainBreak | None:
    """The first break in one chain's events (in stored order), or None when it holds."""
    prev, expected = GENESIS, 1
    for event in events:
        if event.seq != expected:
            return ChainBreak(chain, expected, f"urutan {expected} hilang atau tertukar (ditemukan {event.seq})")
        data = payloads.get(event.id)
        if data is not None and hashlib.sha256(data.encode()).digest() != event.payload_hash:
            return ChainBreak(chain, event.seq, "muatan (data) berubah setelah dicatat")
        if chain_name(event) != chain:
            return ChainBreak(chain, event.seq, "peristiwa tercatat di rantai yang salah")
        if event_hash(event, prev) != event.hash:
            return ChainBreak(chain, event.seq, "isi peristiwa atau urutannya berubah (hash tidak cocok)")
        prev, expected = event.hash, expected + 1
    if expected - 1 != head_seq or prev != head_hash:
        return ChainBreak(
            chain,
            expected - 1,
            f"ujung rantai tercatat di urutan {head_seq}, tetapi peristiwa "
            f"berakhir di urutan {expected - 1} (dipotong atau ditambah)",
        )
    return None
