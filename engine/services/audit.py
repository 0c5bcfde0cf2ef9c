"""Verifying the hash chains, and anchoring their heads so that a later rewrite or cut is provable.

Every chain (one per case, "system", "access") is recomputed from the rows: each event must follow
its predecessor by sequence number and by `prev_hash`, its payload must still hash to
`payload_hash`, its own hash must hold, and the last event must be the head recorded beside the
chain. An anchor is a SHA-256 over every chain's head, kept as a system event; an auditor keeps its
hash outside the system and later proves that nothing before it was rewritten or cut off.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.events import GENESIS, SYSTEM_CHAIN, append_chain_event, canonical_json, chain_name, event_hash, iso_utc
from engine.persistence.models import Case, ChainHead, Event, EventPayload
from engine.services.document_integrity import DocumentMismatch, check_documents
from engine.services.queries import find_case

ANCHOR_EVENT = "audit_anchored"
_EVENT_COLUMNS = (
    Event.id,
    Event.case_id,
    Event.chain,
    Event.seq,
    Event.type,
    Event.task_id,
    Event.element,
    Event.actor,
    Event.at,
    Event.payload_hash,
    Event.subject_id,
    Event.prev_hash,
    Event.hash,
    EventPayload.data,
)


@dataclass(frozen=True)
class ChainBreak:
    """The first event of a chain that does not hold, and why."""

    chain: str
    seq: int
    reason: str
    label: str = ""

    def __str__(self) -> str:
        return f"rantai {self.label or self.chain}, urutan {self.seq}: {self.reason}"


@dataclass(frozen=True)
class Verification:
    """The result of recomputing chains (and, with an anchor, of checking it)."""

    chains: int
    events: int
    first_break: ChainBreak | None
    anchor: str | None = None
    documents: int = 0
    bad_documents: tuple[DocumentMismatch, ...] = ()

    @property
    def ok(self) -> bool:
        return self.first_break is None and not self.bad_documents

    def problems(self) -> list[str]:
        """Every finding, in Indonesian: the chain's first break, then each document that does not match."""
        found = [str(self.first_break)] if self.first_break is not None else []
        return found + [str(d) for d in self.bad_documents]

    def summary(self) -> str:
        """One line, in Indonesian, for the CLI and the UI."""
        if not self.ok:
            return f"RUSAK: {'; '.join(self.problems())}"
        anchored = f"; jangkar {self.anchor[:16]}… cocok" if self.anchor else ""
        return f"Utuh: {self.chains} rantai, {self.events} peristiwa diperiksa{anchored}."

    def as_json(self) -> dict[str, Any]:
        broken = self.first_break
        return {
            "ok": self.ok,
            "chains": self.chains,
            "events": self.events,
            "summary": self.summary(),
            "documents": self.documents,
            "bad_documents": [d.as_json() for d in self.bad_documents],
            "first_break": None
            if broken is None
            else {"chain": broken.chain, "label": broken.label, "seq": broken.seq, "reason": broken.reason},
        }


@dataclass(frozen=True)
class Head:
    """Where a chain ends: its name, last sequence number and last hash."""

    chain: str
    seq: int
    hash: bytes
    label: str = ""


def verify(ctx: EngineContext, *, case_ref: str | None = None, anchor: str | None = None) -> Verification:
    """Recompute every chain (or one case's) and every document's SHA-256, and report what does not hold.

    With `anchor` (the hex hash printed by `anchor`), also prove that every chain still reaches at
    least the head the anchor recorded, through the very event it recorded.
    """
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        heads = _case_heads(session, case_ref)
        if case_ref is None:
            heads += _shared_heads(session)
        chains, events, broken = _check_all(session, heads, whole=case_ref is None)
        if broken is None and anchor is not None:
            broken = _check_anchor(session, anchor, case_ref)
        case_id = find_case(session, case_ref).id if case_ref is not None else None
        documents, bad = check_documents(session, ctx.documents, case_id)
        return Verification(chains, events, broken, anchor if broken is None else None, documents, tuple(bad))


def chain_status(ctx: EngineContext, *, actor: Actor, case_ref: str) -> Verification:
    """One case's chain, verified for someone who may read the case."""
    with ctx.unit_of_work(write=False) as uow:
        case = find_case(uow.session, case_ref, actor)
        chains, events, broken = _check_all(uow.session, [_head_of(case)], whole=False)
        documents, bad = check_documents(uow.session, ctx.documents, case.id)
        return Verification(chains, events, broken, None, documents, tuple(bad))


def _head_of(case: Case) -> Head:
    return Head(f"case:{case.id}", case.event_seq, case.event_hash, f"kasus {case.number}")


def _case_heads(session: Session, case_ref: str | None) -> list[Head]:
    if case_ref is not None:
        return [_head_of(find_case(session, case_ref))]
    rows = session.execute(select(Case.id, Case.number, Case.event_seq, Case.event_hash).order_by(Case.id))
    return [Head(f"case:{i}", seq, digest, f"kasus {number}") for i, number, seq, digest in rows]


def _shared_heads(session: Session) -> list[Head]:
    rows = session.execute(select(ChainHead.chain, ChainHead.seq, ChainHead.hash).order_by(ChainHead.chain))
    return [Head(chain, seq, digest, chain) for chain, seq, digest in rows]


def _check_all(session: Session, heads: list[Head], *, whole: bool) -> tuple[int, int, ChainBreak | None]:
    """Check each head's chain against its rows; stops at the first break."""
    with closing(_chain_rows(session, heads, whole=whole)) as rows:
        return _check_rows(rows, heads)


def _check_rows(rows: Iterator[Row[Any]], heads: list[Head]) -> tuple[int, int, ChainBreak | None]:
    by_chain = {head.chain: head for head in heads}
    seen: set[str] = set()
    events = 0
    for chain, group in groupby(rows, key=chain_name):
        head = by_chain.get(chain)
        if head is None:
            return len(seen), events, ChainBreak(chain, 0, "peristiwa tanpa rantai yang tercatat (sisipan)", chain)
        chain_events = list(group)
        events += len(chain_events)
        seen.add(chain)
        broken = check_chain(head, chain_events)
        if broken:
            return len(seen), events, broken
    for head in heads:
        if head.chain not in seen:
            broken = check_chain(head, [])
            if broken:
                return len(seen), events, broken
            seen.add(head.chain)
    return len(seen), events, None


def _chain_rows(session: Session, heads: list[Head], *, whole: bool) -> Generator[Row[Any]]:
    """The events of the heads' chains (all chains when `whole`), grouped by chain, in stored order."""
    query = select(*_EVENT_COLUMNS).outerjoin(EventPayload, EventPayload.event_id == Event.id)
    if not whole:
        case_ids = [h.chain.removeprefix("case:") for h in heads if h.chain.startswith("case:")]
        query = query.where(Event.case_id.in_([uuid.UUID(i) for i in case_ids]))
    query = query.order_by(Event.case_id, Event.chain, Event.seq, Event.id)
    result = session.execute(query.execution_options(yield_per=2000))
    try:
        yield from result  # type: ignore[misc]
    finally:
        result.close()  # a server-side cursor on PostgreSQL when we stop at a break


def check_chain(head: Head, events: Iterable[Any]) -> ChainBreak | None:
    """The first break in one chain's events (in stored order), or None when it holds."""
    prev, expected = GENESIS, 1
    for event in events:
        if event.seq != expected:
            found = "tertukar" if event.seq < expected else "hilang"
            return _break(head, expected, f"urutan {expected} {found} (ditemukan urutan {event.seq})")
        if event.prev_hash != prev:
            return _break(head, event.seq, "tidak menyambung ke peristiwa sebelumnya (dihapus, disisipkan, ditukar)")
        if event.data is not None and hashlib.sha256(event.data.encode()).digest() != event.payload_hash:
            return _break(head, event.seq, "muatan (data) berubah setelah dicatat")
        if event_hash(event, prev) != event.hash:
            return _break(head, event.seq, "isi peristiwa berubah setelah dicatat (hash tidak cocok)")
        prev, expected = event.hash, expected + 1
    if expected - 1 != head.seq or prev != head.hash:
        return _break(
            head,
            expected - 1,
            f"ujung rantai tercatat di urutan {head.seq}, tetapi peristiwa "
            f"berakhir di urutan {expected - 1} (dipotong atau ditambah)",
        )
    return None


def _break(head: Head, seq: int, reason: str) -> ChainBreak:
    return ChainBreak(head.chain, seq, reason, head.label)


# -- anchors -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """An anchor as recorded: its hash, its moment and how many chains it covers."""

    hash: str
    at: datetime
    chains: int


def anchor_digest(at: datetime, heads: Sequence[Head]) -> str:
    """SHA-256 over every chain's head (chain, seq, hash), sorted by chain, with a timestamp."""
    return hashlib.sha256(canonical_json(_anchor_body(at, heads)).encode()).hexdigest()


def _anchor_body(at: datetime, heads: Sequence[Head]) -> dict[str, Any]:
    ordered = sorted(heads, key=lambda h: h.chain)
    return {"at": iso_utc(at), "heads": [[h.chain, h.seq, h.hash.hex()] for h in ordered]}


def record_anchor(ctx: EngineContext, *, actor: Actor) -> Anchor:
    """Compute the anchor of every chain's present head and keep it as a system event."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        session = uow.session
        session.execute(select(ChainHead).with_for_update())  # no shared chain moves while we read it
        heads = _case_heads(session, None) + _shared_heads(session)
        body = _anchor_body(now, heads)
        digest = anchor_digest(now, heads)
        append_chain_event(
            session, SYSTEM_CHAIN, type=ANCHOR_EVENT, actor=actor.username, at=now, payload={**body, "anchor": digest}
        )
    return Anchor(digest, now, len(heads))


def _check_anchor(session: Session, anchor: str, case_ref: str | None) -> ChainBreak | None:
    """Every chain the anchor names still passes through the event it recorded as its head."""
    anchor = anchor.strip().lower()
    if len(anchor) != 64 or any(c not in "0123456789abcdef" for c in anchor):
        raise InvalidInput("Jangkar harus berupa 64 digit heksadesimal (SHA-256).")
    heads = _anchored_heads(session, anchor)
    if heads is None:
        return ChainBreak(SYSTEM_CHAIN, 0, f"jangkar {anchor[:16]}… tidak ditemukan atau isinya berubah", "system")
    if case_ref is not None:
        wanted = _head_of(find_case(session, case_ref)).chain
        heads = [h for h in heads if h.chain == wanted]
    present = {h.chain: h for h in _case_heads(session, None) + _shared_heads(session)}
    hashes = _hashes_at(session, heads)
    for head in heads:
        now = present.get(head.chain)
        label = now.label if now else head.chain
        if now is None or now.seq < head.seq:
            return ChainBreak(
                head.chain, head.seq, "rantai dipotong: peristiwa yang dijangkarkan tidak ada lagi", label
            )
        if hashes.get(head.chain) != head.hash:
            return ChainBreak(head.chain, head.seq, "peristiwa yang dijangkarkan ditulis ulang", label)
    return None


def _anchored_heads(session: Session, anchor: str) -> list[Head] | None:
    rows = session.execute(
        select(EventPayload.data)
        .join(Event, Event.id == EventPayload.event_id)
        .where(Event.chain == SYSTEM_CHAIN, Event.type == ANCHOR_EVENT)
    )
    for (data,) in rows:
        payload = json.loads(data)
        if payload.get("anchor") != anchor:
            continue
        body = {"at": payload["at"], "heads": payload["heads"]}
        if hashlib.sha256(canonical_json(body).encode()).hexdigest() != anchor:
            return None
        return [Head(chain, seq, bytes.fromhex(digest)) for chain, seq, digest in payload["heads"]]
    return None


def _hashes_at(session: Session, heads: Sequence[Head]) -> dict[str, bytes]:
    """The stored hash of each chain's event at the anchored sequence number."""
    found: dict[str, bytes] = {}
    by_case = {uuid.UUID(h.chain.removeprefix("case:")): h for h in heads if h.chain.startswith("case:") and h.seq}
    ids = list(by_case)
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        rows = session.execute(select(Event.case_id, Event.seq, Event.hash).where(Event.case_id.in_(batch)))
        for case_id, seq, digest in rows:
            head = by_case[case_id] if case_id is not None else None
            if head is not None and seq == head.seq:
                found[head.chain] = digest
    for head in heads:
        if not head.chain.startswith("case:") and head.seq:
            shared = session.scalar(select(Event.hash).where(Event.chain == head.chain, Event.seq == head.seq))
            if shared is not None:
                found[head.chain] = shared
    return found
