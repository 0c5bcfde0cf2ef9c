"""Case notes ("Catatan kasus"): what the staff working a case write on it, kept on the case's chain.

A note is a `case_note_added` event {text, for_applicant}, written through the case's step like any
other change of the case, so it is sealed in the chain and the case's version moves. Who may do what
follows engine.access:

- a staff member (Ketua LP-PAR, Tim Teknis, Sekretaris, Kepala Dinas) with need-to-know on the case
  (a task of one of their staff roles in it) writes notes and reads all of them;
- the auditor reads every case, and so every note, but writes none: oversight is read-only;
- the applicant, and the fulltimer acting for a walk-in applicant, read only the notes marked
  "tampilkan kepada pemohon"; they write none;
- anyone else does not find the case.

A finished case still takes notes: a follow-up after the end (a call from the victim, a referral's
news) belongs to its record. A note does not move the workflow, so replay passes over it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import casework
from engine.access import STAFF_ROLES
from engine.actors import Actor
from engine.casework.step import CaseStep
from engine.context import EngineContext
from engine.errors import FormInvalid, NotFound, PermissionDenied
from engine.persistence.models import Event, EventPayload, User
from engine.roles import Role
from engine.services.queries import find_case

NOTE_ADDED = "case_note_added"
MAX_TEXT = 4000


@dataclass(frozen=True)
class NoteView:
    """A note as a case page shows it."""

    seq: int  # its place in the case's chain
    at: datetime
    author: str  # the full name of who wrote it (the account name when the account is gone)
    username: str
    text: str
    for_applicant: bool


def may_write_notes(actor: Actor) -> bool:
    """Whether `actor` holds a role that writes notes (on the cases they have need-to-know on)."""
    return actor.has_any(*STAFF_ROLES)


def add_note(
    ctx: EngineContext, *, actor: Actor, case_ref: str | uuid.UUID, text: str, for_applicant: bool = False
) -> NoteView:
    """Add a note to a case, shown to its applicant when `for_applicant`; finished cases take notes too.

    :raises FormInvalid: no text, or more than MAX_TEXT characters.
    :raises NotFound: a case `actor` may not read.
    :raises PermissionDenied: a reader who is not staff with need-to-know (applicant, auditor, operator).
    :raises ConcurrentUpdate:
    """
    clean = _checked_text(text, for_applicant)
    with ctx.unit_of_work(write=False) as uow:
        case_id = _writable_case(uow.session, actor, case_ref)

    def add(session: Session) -> CaseStep:
        step = casework.open_case(ctx, session, case_id, actor=actor.username, now=ctx.clock.now())
        step.case.updated_at = step.now
        step.event(NOTE_ADDED, {"text": clean, "for_applicant": for_applicant})
        return step

    event = casework.perform(ctx, add).writes.events[-1]
    author = actor.full_name or actor.username
    return NoteView(event.seq, event.at, author, actor.username, clean, for_applicant)


def case_notes(ctx: EngineContext, case_ref: str | uuid.UUID, actor: Actor | None = None) -> list[NoteView]:
    """A case's notes, oldest first: all of them for its staff, the auditor and the operator (no
    `actor`), those marked for the applicant for everyone else who may read the case.

    :raises NotFound: a case `actor` may not read.
    """
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        case = find_case(session, case_ref, actor)
        everything = actor is None or actor.has_any(Role.AUDITOR) or _has_need_to_know(session, actor, case.id)
        rows = session.execute(
            select(Event.seq, Event.actor, Event.at, EventPayload.data)
            .outerjoin(EventPayload, EventPayload.event_id == Event.id)
            .where(Event.case_id == case.id, Event.type == NOTE_ADDED)
            .order_by(Event.seq)
        ).all()
        names = _full_names(session, {row.actor for row in rows})
    notes = [_note(row, names) for row in rows if row.data is not None]  # an erased payload leaves no note
    return [n for n in notes if everything or n.for_applicant]


def _note(row: Any, names: dict[str, str]) -> NoteView:
    data = json.loads(row.data)
    return NoteView(
        row.seq, row.at, names.get(row.actor, row.actor), row.actor, str(data["text"]), bool(data["for_applicant"])
    )


def _full_names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    rows = session.execute(select(User.username, User.full_name).where(User.username.in_(usernames)))
    return {username: full_name or username for username, full_name in rows}


def _as_staff(actor: Actor) -> Actor | None:
    """`actor` with only their staff roles (None without one), so need-to-know is judged as staff."""
    roles = actor.roles & frozenset(STAFF_ROLES)
    return replace(actor, roles=roles) if roles and actor.user_id is not None else None


def _has_need_to_know(session: Session, actor: Actor, case_id: uuid.UUID) -> bool:
    staff = _as_staff(actor)
    if staff is None:
        return False
    try:
        find_case(session, case_id, staff)
    except NotFound:
        return False
    return True


def _writable_case(session: Session, actor: Actor, case_ref: str | uuid.UUID) -> uuid.UUID:
    """The case `actor` adds a note to: NotFound when they may not read it, PermissionDenied when they
    read it but are not its staff."""
    if actor.is_operator:
        raise PermissionDenied("Catatan kasus ditulis oleh petugas yang masuk dengan akunnya sendiri.")
    case = find_case(session, case_ref, actor)
    if not _has_need_to_know(session, actor, case.id):
        raise PermissionDenied("Hanya petugas yang menangani kasus ini yang dapat menambah catatan kasus.")
    return case.id


def _checked_text(text: str, for_applicant: Any) -> str:
    errors = {}
    clean = text.strip() if isinstance(text, str) else ""
    if not clean or len(clean) > MAX_TEXT or "\x00" in clean:
        errors["text"] = f"Catatan wajib diisi (maksimal {MAX_TEXT} karakter)."
    if not isinstance(for_applicant, bool):
        errors["for_applicant"] = "Harus berupa true atau false."
    if errors:
        raise FormInvalid(errors)
    return clean
