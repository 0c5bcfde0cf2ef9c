"""Incidents: steps the engine could not apply (a timer's, a user task's), shown to the process owner.

A failing step changes nothing of its case (engine.errors.ProcessFailed). What failed is recorded
here, in a short transaction of its own, as one open row per case and element: a further failure
of the same step counts a retry and keeps the newest error, and its first success resolves it. The
process owner sees the open ones (case, element, error, when, how often) and tries again after a
fix; a timer is then fired at once instead of waiting out its back-off.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, NotFound, PermissionDenied
from engine.events import SYSTEM_CHAIN, append_chain_event
from engine.persistence.models import Case, Incident, Timer
from engine.roles import Role

TIMER, TASK, LETTER = "timer", "task", "letter"
KINDS = frozenset({TIMER, TASK, LETTER})
INCIDENT_RETRIED = "incident_retried"
MAX_ID = 2**31 - 1  # an id past the column's range names no incident (and must not reach the database)

# What a retry came to: the step ran, it failed again, or the case no longer waits on that step.
FIRED, FAILED, GONE = "berhasil", "gagal", "tidak_menunggu"


@dataclass(frozen=True)
class IncidentView:
    """An incident as the incident list shows it."""

    id: int
    case_id: uuid.UUID
    case_number: str
    element: str
    kind: str
    error: str
    first_at: datetime
    last_at: datetime
    retries: int
    resolved_at: datetime | None = None
    resolved_by: str | None = None


@dataclass(frozen=True)
class Retried:
    """What `retry` did: its outcome (FIRED, FAILED or GONE), and the incident as it stands after."""

    incident: IncidentView
    outcome: str
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome != FAILED


def record_failure(ctx: EngineContext, case_id: uuid.UUID, element: str, kind: str, error: str) -> None:
    """Open an incident for a failed step of a case at `element`, or count one more failure of it."""
    with ctx.unit_of_work() as uow:
        note_failure(uow.session, case_id=case_id, element=element, kind=kind, error=error, now=ctx.clock.now())


def note_failure(session: Session, *, case_id: uuid.UUID, element: str, kind: str, error: str, now: datetime) -> None:
    """`record_failure` in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown incident kind {kind!r}")
    incident = _open(session, case_id, element)
    if incident is None:
        session.add(
            Incident(case_id=case_id, element=element, kind=kind, error=error, first_at=now, last_at=now, retries=1)
        )
    else:
        incident.error, incident.last_at, incident.retries = error, now, incident.retries + 1


def resolve(session: Session, *, case_id: uuid.UUID, elements: Iterable[str], by: str, now: datetime) -> None:
    """Resolve the open incidents of a case at `elements`, in the caller's transaction (the step that succeeded)."""
    session.execute(
        update(Incident)
        .where(Incident.case_id == case_id, Incident.element.in_(list(elements)), Incident.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=by)
    )


def list_open(ctx: EngineContext, actor: Actor) -> list[IncidentView]:
    """The open incidents, the most recently failed first.

    :raises PermissionDenied: unless the actor is a process owner or an administrator.
    """
    _require_owner(actor)
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(Incident, Case.number)
            .join(Case, Case.id == Incident.case_id)
            .where(Incident.resolved_at.is_(None))
            .order_by(Incident.last_at.desc(), Incident.id.desc())
        )
        return [_view(incident, number) for incident, number in rows]


def retry(ctx: EngineContext, incident_id: int, actor: Actor) -> Retried:
    """Try an open timer's or letter's incident again now, recording who did; resolved if it runs.

    :raises PermissionDenied, NotFound, Conflict: not an owner; no such incident; resolved, or a task's.
    """
    from engine.services import timers  # timers records its failures through this module

    _require_owner(actor)
    incident, waiting = _prepare_retry(ctx, incident_id, actor)
    if incident.kind == LETTER:
        return _retry_letter(ctx, incident, actor)
    if not waiting:
        return Retried(_reload(ctx, incident.id), GONE)
    fired = timers.fire_next(ctx, case_id=incident.case_id, by=actor.username)
    after = _reload(ctx, incident.id)
    if fired is not None and fired.error is not None:
        return Retried(after, FAILED, fired.error)
    if after.resolved_at is None:  # the step ran but that timer is still waiting: it fires later
        return Retried(after, FAILED, "Timer ini belum dapat berjalan; penjadwal mencobanya lagi.")
    return Retried(after, FIRED)


def _retry_letter(ctx: EngineContext, incident: IncidentView, actor: Actor) -> Retried:
    """Render the incident's letter now; resolved when it is stored."""
    from engine.services import letter_jobs  # the letter worker records its failures through this module

    if not letter_jobs.retry_now(ctx, incident.case_id, incident.element):
        with ctx.unit_of_work() as uow:
            now = ctx.clock.now()
            resolve(uow.session, case_id=incident.case_id, elements=[incident.element], by=actor.username, now=now)
        return Retried(_reload(ctx, incident.id), GONE)
    failed = [o for o in letter_jobs.render_pending(ctx) if o.error and o.job.case_id == incident.case_id]
    after = _reload(ctx, incident.id)
    if after.resolved_at is None:
        return Retried(after, FAILED, failed[0].error if failed else None)
    return Retried(after, FIRED)


def _prepare_retry(ctx: EngineContext, incident_id: int, actor: Actor) -> tuple[IncidentView, bool]:
    """Make the incident's timer due now (True), or resolve the incident when no timer waits (False)."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        session = uow.session
        incident, number = _get(session, incident_id)
        if incident.resolved_at is not None:
            raise Conflict(f"Insiden {incident.id} sudah selesai.")
        if incident.kind == TASK:
            raise Conflict("Insiden tugas dicoba lagi dengan menyelesaikan tugas itu kembali dari kotak tugas.")
        waiting = True  # a letter's jobs are made claimable by _retry_letter
        if incident.kind == TIMER:
            cleared = session.execute(
                update(Timer)
                .where(Timer.case_id == incident.case_id, Timer.element == incident.element)
                .values(retry_at=None)
            )
            waiting = bool(getattr(cleared, "rowcount", 0))
        if not waiting:
            incident.resolved_at, incident.resolved_by = now, actor.username
        append_chain_event(
            session,
            SYSTEM_CHAIN,
            type=INCIDENT_RETRIED,
            actor=actor.username,
            at=now,
            payload={"incident": incident.id, "case": number, "element": incident.element, "waiting": waiting},
        )
        return _view(incident, number), waiting


def _reload(ctx: EngineContext, incident_id: int) -> IncidentView:
    with ctx.unit_of_work(write=False) as uow:
        return _view(*_get(uow.session, incident_id))


def _get(session: Session, incident_id: int) -> tuple[Incident, str]:
    row = None
    if 0 < incident_id <= MAX_ID:
        row = session.execute(
            select(Incident, Case.number).join(Case, Case.id == Incident.case_id).where(Incident.id == incident_id)
        ).first()
    if row is None:
        raise NotFound(f"Insiden {incident_id} tidak ditemukan.")
    return row[0], row[1]


def _open(session: Session, case_id: uuid.UUID, element: str) -> Incident | None:
    """The open incident of a case at `element`, locked for the rest of the transaction."""
    query = select(Incident).where(
        Incident.case_id == case_id, Incident.element == element, Incident.resolved_at.is_(None)
    )
    return session.scalar(query.with_for_update())


def _view(incident: Incident, number: str) -> IncidentView:
    return IncidentView(
        id=incident.id,
        case_id=incident.case_id,
        case_number=number,
        element=incident.element,
        kind=incident.kind,
        error=incident.error,
        first_at=incident.first_at,
        last_at=incident.last_at,
        retries=incident.retries,
        resolved_at=incident.resolved_at,
        resolved_by=incident.resolved_by,
    )


def _require_owner(actor: Actor) -> None:
    if not (actor.is_operator or actor.has_any(Role.PROCESS_OWNER, Role.ADMIN)):
        raise PermissionDenied("Hanya pemilik proses dan administrator yang dapat melihat dan mencoba lagi insiden.")
