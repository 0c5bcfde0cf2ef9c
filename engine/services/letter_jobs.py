"""The letter worker: renders the jobs steps left in the outbox (engine.letters.outbox), exactly once.

One job at a time:
1. **Claim** it in a short transaction: the oldest job not done whose lease has run out (none yet,
   or a worker that died), locked with SKIP LOCKED on PostgreSQL so that several workers take
   different jobs; the lease (`LEASE`) is written and the attempt counted.
2. **Render** it with no transaction open: the case's facts, the signatory valid on the step's day
   and the version's value titles are read in a short read, then WeasyPrint runs.
3. **Store** the PDF in the document store (engine.documents) and synced, before any row names it.
4. **Finish** in one write transaction: mark the job done only if it is not done yet, insert the
   document row and append `document_issued` (with the PDF's SHA-256) to the case's chain. A second
   worker that rendered the same job after a lease ran out finds it done and writes nothing.

A crash (kill -9) anywhere leaves the job not done or done with its document and event, never
half: at worst an unreferenced file in the store, and a later claim renders the job again. A job
that fails (no signatory for that day, a screening record that now forbids a mediation letter) is
put off with the timers' back-off and shown as an incident of kind "letter".
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update

from engine import casework
from engine.access import STAFF_ROLES, readable_cases
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import MediasiError
from engine.events import case_event
from engine.legal import guard
from engine.letters import outbox
from engine.letters.dates import local_date
from engine.letters.issue import (
    DueLetter,
    Rendered,
    issued_payload,
    load_facts,
    load_signatories,
    render_letter,
    signatory_for,
)
from engine.letters.kinds import KINDS, for_applicant
from engine.persistence.models import Case, Document, LetterJob
from engine.roles import Role
from engine.services import incidents, letter_logo
from engine.services.timers import back_off

log = logging.getLogger("mediasi.letters")

LEASE = timedelta(minutes=2)  # a claimed job another worker may take over after this long
DOCUMENT_ISSUED = "document_issued"


@dataclass(frozen=True)
class Job:
    """A claimed letter job."""

    id: uuid.UUID
    case_id: uuid.UUID
    task_id: uuid.UUID
    element: str
    kind: str
    number: str
    definition_id: int
    data: dict[str, Any]
    actor: str
    created_at: datetime
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What became of one job: its document, or the error it failed with."""

    job: Job
    document_id: uuid.UUID | None = None
    error: str | None = None


def render_pending(ctx: EngineContext, *, limit: int = 100) -> list[Outcome]:
    """Render jobs until none is claimable (or `limit` were tried); failures are recorded, not raised."""
    outcomes: list[Outcome] = []
    while len(outcomes) < limit:
        job = claim(ctx)
        if job is None:
            break
        outcomes.append(run(ctx, job))
    return outcomes


def run(ctx: EngineContext, job: Job) -> Outcome:
    """Render, store and finish one claimed job; a failure puts it off and opens an incident."""
    try:
        rendered = render(ctx, job)
        ctx.documents.put(rendered.pdf)
        finished = finish(ctx, job, rendered)
    except MediasiError as error:
        _put_off(ctx, job, error.message)
        return Outcome(job, error=error.message)
    except Exception as error:
        log.exception("surat %s gagal dibuat", job.number)
        message = f"Surat {job.number} gagal dibuat: {type(error).__name__}"
        _put_off(ctx, job, message)
        return Outcome(job, error=message)
    return Outcome(job, document_id=finished)


def claim(ctx: EngineContext) -> Job | None:
    """The oldest claimable job, leased to this worker, or None."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        query = (
            select(LetterJob)
            .where(LetterJob.done_at.is_(None), or_(LetterJob.claimed_until.is_(None), LetterJob.claimed_until <= now))
            .order_by(LetterJob.created_at, LetterJob.position)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = uow.session.scalar(query)
        if row is None:
            return None
        row.claimed_until, row.attempts = now + LEASE, row.attempts + 1
        return Job(
            id=row.id,
            case_id=row.case_id,
            task_id=row.task_id,
            element=row.element,
            kind=row.kind,
            number=row.number,
            definition_id=row.definition_id,
            data=json.loads(row.data),
            actor=row.actor,
            created_at=row.created_at,
            attempts=row.attempts,
        )


def render(ctx: EngineContext, job: Job) -> Rendered:
    """The job's PDF, as of the step that called for it; the legal guard is asked again first.

    :raises LegalRefusal: when the case's screening record now forbids this (mediation) letter.
    :raises ProcessFailed: when no signatory is valid on the letter's day.
    """
    day = local_date(job.created_at)
    with ctx.unit_of_work(write=False) as uow:
        session = uow.session
        case = session.get_one(Case, job.case_id)
        number = case.number
        guard.check_step(case.screening, letters=[job.kind], outcome=None)
        facts = load_facts(session, job.case_id, number, job.actor)
        signatory = signatory_for(job.kind, load_signatories(session, day), day)
        titles = ctx.definitions.get(session, job.definition_id).value_titles
        logo = letter_logo.load_logo(ctx, session)
    letter = DueLetter(KINDS[job.kind], job.element, job.task_id, job.data, external_number="")
    return render_letter(
        letter,
        number=job.number,
        case_number=number,
        case_id=job.case_id,
        facts=facts,
        signatory=signatory,
        titles=titles,
        actor=job.actor,
        issued_at=job.created_at,
        logo=logo.data_uri() if logo is not None else None,
    )


def finish(ctx: EngineContext, job: Job, rendered: Rendered) -> uuid.UUID | None:
    """Record the rendered letter once: the document row and its event, or nothing if the job is done."""
    now = ctx.clock.now()
    document_id: uuid.UUID = rendered.row["id"]
    with ctx.unit_of_work() as uow:
        session = uow.session
        done = session.execute(
            update(LetterJob)
            .where(LetterJob.id == job.id, LetterJob.done_at.is_(None))
            .values(done_at=now, document_id=document_id, claimed_until=None, error=None)
        )
        if getattr(done, "rowcount", 0) != 1:
            return None  # another worker finished it after this one's lease ran out
        session.execute(insert(Document), [rendered.row])
        issued = issued_payload(rendered.row)
        read_version, version = casework.append_events(
            session,
            job.case_id,
            lambda case: [
                case_event(
                    case,
                    type=DOCUMENT_ISSUED,
                    actor=job.actor,
                    at=now,
                    payload=issued,
                    task_id=job.task_id,
                    element=job.element,
                )
            ],
        )
        incidents.resolve(session, case_id=job.case_id, elements=[_incident_element(job)], by=job.actor, now=now)
    ctx.workflows.advance(job.case_id, read_version, version)
    return document_id


def _put_off(ctx: EngineContext, job: Job, error: str) -> None:
    """Lease the failed job until its back-off has passed and record the incident."""
    now = ctx.clock.now()
    wait = back_off(job.attempts)  # as a failing timer waits: 1, 2, 4 … minutes, at most an hour
    with ctx.unit_of_work() as uow:
        session = uow.session
        session.execute(
            update(LetterJob)
            .where(LetterJob.id == job.id, LetterJob.done_at.is_(None))
            .values(claimed_until=now + wait, error=error[:2000])
        )
        incidents.note_failure(
            session, case_id=job.case_id, element=_incident_element(job), kind=incidents.LETTER, error=error, now=now
        )


def _incident_element(job: Job) -> str:
    return f"{job.element}:{job.kind}"


def retry_now(ctx: EngineContext, case_id: uuid.UUID, element: str) -> bool:
    """Make the failed jobs of an incident's element claimable now; False when none waits."""
    task_element, _, kind = element.partition(":")
    with ctx.unit_of_work() as uow:
        moved = uow.session.execute(
            update(LetterJob)
            .where(
                LetterJob.case_id == case_id,
                LetterJob.element == task_element,
                LetterJob.kind == kind,
                LetterJob.done_at.is_(None),
            )
            .values(claimed_until=None)
        )
        return bool(getattr(moved, "rowcount", 0))


@dataclass(frozen=True)
class PendingLetter:
    """A letter numbered by a step but not rendered yet: shown as "sedang dibuat"."""

    kind: str
    title: str
    number: str
    created_at: datetime
    error: str | None


def pending_letters(ctx: EngineContext, case_id: uuid.UUID, actor: Actor | None = None) -> list[PendingLetter]:
    """The case's letters still in the outbox, oldest first: those `actor` will be able to read
    (engine.services.queries.may_see_document), in a case they may read."""
    with ctx.unit_of_work(write=False) as uow:
        query = (
            select(LetterJob.kind, LetterJob.number, LetterJob.created_at, LetterJob.error)
            .where(LetterJob.case_id == case_id, LetterJob.done_at.is_(None))
            .order_by(LetterJob.created_at, LetterJob.position)
        )
        if actor is not None:
            query = query.join(Case, Case.id == LetterJob.case_id).where(readable_cases(actor))
        rows = uow.session.execute(query).all()
    staff = actor is None or actor.is_operator or actor.has_any(*STAFF_ROLES, Role.AUDITOR)
    return [
        PendingLetter(kind, KINDS[kind].title if kind in KINDS else kind, number, at, None if not staff else error)
        for kind, number, at, error in rows
        if staff or for_applicant(kind)
    ]


class LetterWorker:
    """A loop that renders letters within about a second of their step: a thread of the scheduler.

    A step of this process that wrote jobs ends the wait at once when it commits (outbox.DUE); jobs
    written by other processes are found by the next poll.
    """

    def __init__(self, ctx: EngineContext, interval: float = 1.0) -> None:
        self.ctx = ctx
        self.interval = interval
        self._wake = outbox.DUE
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                for outcome in render_pending(self.ctx):
                    if outcome.error:
                        log.warning("surat %s: %s", outcome.job.number, outcome.error)
            except Exception:  # a database outage must not end the loop
                log.exception("pekerja surat gagal; dicoba lagi")
            self._wake.wait(self.interval)

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name="mediasi-letters", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
