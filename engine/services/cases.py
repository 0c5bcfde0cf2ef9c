"""Starting, ending and reading cases."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import casework, runtime
from engine.access import readable_cases
from engine.actors import Actor
from engine.casework.step import CaseStep
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.definitions import LoadedDefinition, latest_definition_id
from engine.errors import ConcurrentUpdate, Conflict, FormInvalid, InvalidInput, NotFound, PermissionDenied
from engine.events import GENESIS, canonical_json
from engine.forms import all_form_errors, capped, valid_part
from engine.legal import follow_up, rules, screening
from engine.persistence.case_store import CaseRecord
from engine.persistence.models import Case, CaseCounter, ProcessDefinition
from engine.replay import SAFETY_STOP_SIGNAL, WITHDRAW_SIGNAL, signal_payload
from engine.roles import Role
from engine.services import duplicates, form_receipts
from engine.services.queries import find_case
from engine.status import CaseOutcome, CaseStatus

DEFAULT_PROCESS = "mediasi_kekerasan"
# A start-form field with this keyword names a case of the process it gives ("mediasi_kekerasan"):
# a complaint about a mediation case carries only its number.
CASE_REFERENCE = "x-caseReference"
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,29}$")
MAX_REASON = 2000


@dataclass(frozen=True)
class WalkInApplicant:
    """An applicant without an account, recorded by the fulltimer at the front desk."""

    nama: str
    telepon: str
    alamat: str | None = None

    def check(self) -> None:
        """Raise FormInvalid with one message per field."""
        errors = {}
        if not self.nama.strip() or len(self.nama) > 200:
            errors["applicant.nama"] = "Wajib diisi (maksimal 200 karakter)."
        if not PHONE.match(self.telepon.strip()):
            errors["applicant.telepon"] = "Nomor telepon tidak valid."
        if self.alamat is not None and len(self.alamat) > 500:
            errors["applicant.alamat"] = "Maksimal 500 karakter."
        if errors:
            raise FormInvalid(errors)


def json_copy(data: Any) -> Any:
    """A deep copy through JSON: proves the data is plain JSON and detaches it from the caller."""
    try:
        return json.loads(canonical_json(data))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"Data harus berupa JSON biasa: {exc}") from None


def start_case(
    ctx: EngineContext,
    *,
    actor: Actor,
    data: Mapping[str, Any],
    process_key: str = DEFAULT_PROCESS,
    applicant: WalkInApplicant | None = None,
    form_token: str | None = None,
    warn_duplicates: bool = False,
) -> CaseView:
    """File a request: by an applicant for themselves, or by a fulltimer for a walk-in applicant.

    `form_token`, the filing form's one-time token (or an API client's Idempotency-Key): a second
    filing with it files nothing and raises AlreadyFiled naming the first case, also when both race.
    `warn_duplicates`: refuse (DuplicateSuspected) a filing for a victim with the same name and
    contact as a case filed in the last 30 days; the front ends ask for a confirmation first.

    :raises PermissionDenied, FormInvalid, NotFound, ProcessFailed, AlreadyFiled, DuplicateSuspected:
    """
    if process_key == follow_up.PROCESS:
        raise PermissionDenied(
            "Pemantauan kesepakatan dimulai oleh mesin ketika kasus mediasi selesai dengan kesepakatan."
        )
    submitted = json_copy(data)
    _check_starter(actor, applicant)
    receipt = form_receipts.digest(form_token) if form_token is not None and actor.user_id is not None else None
    now = ctx.clock.now()
    # Computed in a read transaction (the start event's scripts may take up to their limits);
    # the write lock is taken for the number and the writes only.
    with ctx.unit_of_work(write=False) as uow:
        if receipt is not None:
            form_receipts.refuse_used(uow.session, receipt, actor)
        definition = ctx.definitions.get(uow.session, latest_definition_id(uow.session, process_key))
        schema = definition.form(definition.catalog.start_form)
        errors = _start_errors(uow.session, schema, submitted, actor, by_staff=applicant is not None)
        if errors:
            raise FormInvalid(errors)
        key = duplicates.filing_key(
            ctx.settings, submitted, phone=applicant.telepon if applicant else None, actor=actor
        )
        if warn_duplicates and key.duplicate_key is not None:
            duplicates.refuse_recent(uow.session, key.duplicate_key, now, actor)
        with runtime.at(now, lambda: ctx.calendar(uow.session)):
            workflow = runtime.start_workflow(definition.specs, submitted)
    filing = _Filing(definition, submitted, workflow, applicant, key, receipt, warn_duplicates)
    try:
        step = _file(ctx, filing, actor=actor, now=now)
    except ConcurrentUpdate:
        if receipt is not None:  # another filing with the same token committed first: answer with its case
            with ctx.unit_of_work(write=False) as uow:
                form_receipts.refuse_used(uow.session, receipt, actor)
        raise
    casework.keep(ctx, step)
    assert step.view is not None
    return step.view


@dataclass(frozen=True)
class _Filing:
    """A filing as its read transaction computed it: the version, the data, the started workflow."""

    definition: LoadedDefinition
    data: dict[str, Any]
    workflow: BpmnWorkflow
    applicant: WalkInApplicant | None
    key: duplicates.FilingKey
    receipt: str | None  # the SHA-256 of the form's token, if it had one
    warn_duplicates: bool


def _file(ctx: EngineContext, filing: _Filing, *, actor: Actor, now: datetime) -> CaseStep:
    """Write the new case, numbered, with its first step and the form's receipt, in one write transaction.

    The read-time checks run again once the number is taken: the counter's row (or SQLite's write
    lock) holds every other filing of the process until this one commits, so of two filings that
    both passed them, the second sees the first: with the same token it names the case filed
    (AlreadyFiled); for the same victim it asks for a confirmation (DuplicateSuspected).
    """
    definition, submitted, applicant = filing.definition, filing.data, filing.applicant
    with ctx.unit_of_work() as uow:
        case = new_case_record(
            uow.session, definition, submitted, acting_user_id=actor.user_id or 0, actor=actor.username, now=now
        )
        if filing.receipt is not None:
            form_receipts.refuse_used(uow.session, filing.receipt, actor)
        if filing.warn_duplicates and filing.key.duplicate_key is not None:
            duplicates.refuse_recent(uow.session, filing.key.duplicate_key, now, actor)
        step = casework.start(ctx, uow.session, case, definition, actor=actor.username, now=now)
        payload: dict[str, Any] = {"data": submitted}
        if applicant:
            payload["applicant"] = asdict(applicant)
        step.event("case_started", payload)
        step.workflow = filing.workflow  # run to its first wait state already: all it waits on is new (step.before)
        step.record()
        casework.judge(step)
        casework.commit(uow.session, step, new_case=_new_case_columns(case, actor, applicant, filing.key))
        if filing.receipt is not None:
            form_receipts.keep(uow.session, filing.receipt, actor=actor, case_id=case.id, now=now)
    return step


def new_case_record(
    session: Session,
    definition: LoadedDefinition,
    data: Mapping[str, Any],
    *,
    acting_user_id: int,
    actor: str,
    now: datetime,
) -> CaseRecord:
    """A new open case of `definition`, numbered now (in the caller's write transaction), filed with `data`."""
    return CaseRecord(
        id=uuid.uuid4(),
        number=_next_number(session, definition.catalog.case_prefix, now),
        definition_id=definition.id,
        status=CaseStatus.OPEN,
        outcome=None,
        acting_user_id=acting_user_id,
        version=0,
        event_seq=0,
        event_hash=GENESIS,
        created_at=now,
        updated_at=now,
        screening=screening.fold(None, data, actor=actor),
    )


def _new_case_columns(
    case: CaseRecord, actor: Actor, applicant: WalkInApplicant | None, key: duplicates.FilingKey
) -> dict[str, Any]:
    return {
        "id": case.id,
        "number": case.number,
        "definition_id": case.definition_id,
        "acting_user_id": case.acting_user_id,
        "filed_by_id": actor.user_id,
        "applicant_user_id": None if applicant else actor.user_id,
        "walkin_name": applicant.nama.strip() if applicant else None,
        "walkin_phone": applicant.telepon.strip() if applicant else None,
        "walkin_address": applicant.alamat if applicant else None,
        "created_at": case.created_at,
        "victim_initials": key.victim_initials,
        "duplicate_key": key.duplicate_key,
    }


def _check_starter(actor: Actor, applicant: WalkInApplicant | None) -> None:
    if applicant is not None:
        if not actor.has_any(Role.FULLTIMER):
            raise PermissionDenied("Hanya fulltimer yang dapat mengajukan permohonan untuk pemohon datang langsung.")
        applicant.check()
    elif not actor.has_any(Role.PEMOHON):
        if actor.has_any(Role.FULLTIMER):
            raise InvalidInput("Isi nama dan telepon pemohon yang datang langsung.")
        raise PermissionDenied("Hanya pemohon atau fulltimer yang dapat mengajukan permohonan.")


def _start_errors(
    session: Session, schema: Mapping[str, Any] | None, submitted: Any, actor: Actor, *, by_staff: bool
) -> dict[str, str]:
    """Every problem of a request, by field, in one answer: its form, then on the fields it accepted,
    the cases it names and the legal rules."""
    errors = all_form_errors(schema, submitted) if schema is not None else {}
    if not isinstance(submitted, dict):
        return errors
    valid = valid_part(submitted, errors)
    references = _case_reference_errors(session, schema, valid, actor) if schema and not by_staff else {}
    for more in (references, rules.check_submission(None, valid, first=True)):
        for field_path, message in more.items():
            errors.setdefault(field_path, message)
    return capped(errors)


def _case_reference_errors(
    session: Session, schema: Mapping[str, Any], data: Mapping[str, Any], actor: Actor
) -> dict[str, str]:
    """A start-form field marked `x-caseReference` must name a case of that process that `actor` may read.

    Only for someone filing for themselves: a fulltimer recording a caller's complaint takes the
    number as told, and learns neither the case nor whether it exists.
    """
    errors = {}
    for name, field in schema.get("properties", {}).items():
        process_key, number = field.get(CASE_REFERENCE), data.get(name)
        if not process_key or not isinstance(number, str):
            continue
        found = session.scalar(
            select(Case.id)
            .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
            .where(Case.number == number.strip().upper(), ProcessDefinition.key == process_key, readable_cases(actor))
        )
        if found is None:
            errors[name] = "Nomor kasus tidak ditemukan di antara kasus Anda."
    return errors


def _next_number(session: Session, prefix: str, now: datetime) -> str:
    year = now.year
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(CaseCounter).values(prefix=prefix, year=year, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": CaseCounter.last + 1})
    last = session.execute(stmt.returning(CaseCounter.last)).scalar_one()
    return f"{prefix}-{year}-{last:04d}"


def withdraw_case(ctx: EngineContext, *, actor: Actor, case_ref: str, reason: str) -> CaseView:
    """The victim withdraws her consent (R8): the case ends as "withdrawn" from any open step."""
    return _end_by_signal(
        ctx,
        actor=actor,
        case_ref=case_ref,
        reason=reason,
        signal=WITHDRAW_SIGNAL,
        event_type="case_withdrawn",
        kind="pencabutan_persetujuan",
    )


def stop_case(ctx: EngineContext, *, actor: Actor, case_ref: str, reason: str) -> CaseView:
    """The Ketua LP-PAR stops the case for the victim's safety (R9)."""
    return _end_by_signal(
        ctx,
        actor=actor,
        case_ref=case_ref,
        reason=reason,
        signal=SAFETY_STOP_SIGNAL,
        event_type="case_stopped",
        kind="penghentian_keselamatan",
    )


def cancel_case(ctx: EngineContext, *, actor: Actor, case_ref: str, reason: str) -> CaseView:
    """Cancel a case filed in error (a duplicate, a test): every open task ends, with no outcome.

    The Ketua LP-PAR or the operator; the victim's own withdrawal is `withdraw_case`.
    """
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"Alasan wajib diisi (maksimal {MAX_REASON} karakter).")
    if not (actor.is_operator or actor.has_any(Role.KETUA_LPPAR)):
        raise PermissionDenied("Hanya Ketua LP-PAR yang dapat membatalkan kasus.")
    with ctx.unit_of_work(write=False) as uow:
        case_id = find_case(uow.session, case_ref, None if actor.is_operator else actor).id

    def cancel(session: Session) -> CaseStep:
        step = casework.open_case(ctx, session, case_id, actor=actor.username, now=ctx.clock.now())
        step.begin()
        step.run(runtime.cancel)
        step.event("case_cancelled", {"reason": reason})
        step.record(cancelled=True)
        return step

    return _view_of(casework.perform(ctx, cancel))


def close_as_duplicate(ctx: EngineContext, *, actor: Actor, case_ref: str, original: str, reason: str) -> CaseView:
    """Close a case filed twice as "duplikat" of `original` (its number): every open task ends.

    The Ketua LP-PAR (or the operator); the original must be another case of the same process that
    they may read, not itself closed as a duplicate. The outcome "duplikat" stays out of the figures.

    :raises PermissionDenied, NotFound, InvalidInput, FormInvalid, Conflict:
    """
    if not (actor.is_operator or (actor.has_any(Role.KETUA_LPPAR) and actor.user_id is not None)):
        raise PermissionDenied("Hanya Ketua LP-PAR yang dapat menutup kasus sebagai duplikat.")
    reason = reason.strip()
    errors = {}
    if not reason or len(reason) > MAX_REASON or "\x00" in reason:
        errors["reason"] = f"Alasan wajib diisi (maksimal {MAX_REASON} karakter)."
    reader = None if actor.is_operator else actor
    with ctx.unit_of_work(write=False) as uow:
        duplicate = find_case(uow.session, case_ref, reader)
        case_id, number = duplicate.id, ""
        try:
            number = _original_of(uow.session, duplicate, original, reader)
        except FormInvalid as invalid:
            errors |= invalid.errors
    if errors:
        raise FormInvalid(errors)

    def close(session: Session) -> CaseStep:
        step = casework.open_case(ctx, session, case_id, actor=actor.username, now=ctx.clock.now())
        if step.case.status != CaseStatus.OPEN:
            raise Conflict(f"Kasus {step.case.number} sudah selesai.")
        step.begin()
        step.run(runtime.cancel)
        step.event("case_closed_as_duplicate", {"original": number, "reason": reason})
        step.record(cancelled=True, outcome=CaseOutcome.DUPLICATE)
        return step

    return _view_of(casework.perform(ctx, close))


def _original_of(session: Session, duplicate: Case, original: str, reader: Actor | None) -> str:
    """The number of the case `duplicate` repeats, checked; FormInvalid on the field `original` otherwise."""
    ref = original.strip()
    if not ref or len(ref) > 64 or not ref.isprintable():
        raise FormInvalid({"original": "Sebutkan nomor kasus asal, misalnya MED-2026-0001."})
    try:
        found = find_case(session, ref, reader)
    except NotFound:
        raise FormInvalid({"original": "Kasus asal tidak ditemukan di antara kasus yang dapat Anda baca."}) from None
    if found.id == duplicate.id:
        raise FormInvalid({"original": "Kasus tidak dapat menjadi duplikat dirinya sendiri."})
    if found.outcome == CaseOutcome.DUPLICATE:
        raise FormInvalid(
            {"original": f"{found.number} sendiri sudah ditutup sebagai duplikat; sebutkan kasus aslinya."}
        )
    if _process_key(session, found) != _process_key(session, duplicate):
        raise FormInvalid({"original": "Kasus asal harus dari proses yang sama."})
    return found.number


def _process_key(session: Session, case: Case) -> str | None:
    return session.scalar(select(ProcessDefinition.key).where(ProcessDefinition.id == case.definition_id))


def _end_by_signal(
    ctx: EngineContext, *, actor: Actor, case_ref: str, reason: str, signal: str, event_type: str, kind: str
) -> CaseView:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"Alasan wajib diisi (maksimal {MAX_REASON} karakter).")
    with ctx.unit_of_work(write=False) as uow:
        case_id = find_case(uow.session, case_ref, actor).id

    def end(session: Session) -> CaseStep:
        step = casework.open_case(ctx, session, case_id, actor=actor.username, now=ctx.clock.now())
        _check_may_end(actor, step.case, withdrawal=signal == WITHDRAW_SIGNAL)
        if signal not in step.definition.catalog.signals:
            raise Conflict(f"Versi proses ini tidak memodelkan {kind.replace('_', ' ')}.")
        step.begin()
        step.run(lambda workflow: runtime.send_signal(workflow, signal, signal_payload(signal, reason, actor.username)))
        step.event(event_type, {"reason": reason})
        step.record()
        return step

    return _view_of(casework.perform(ctx, end))


def _view_of(step: CaseStep) -> CaseView:
    assert step.view is not None
    return step.view


def _check_may_end(actor: Actor, case: CaseRecord, *, withdrawal: bool) -> None:
    if case.status != CaseStatus.OPEN:
        raise Conflict(f"Kasus {case.number} sudah selesai.")
    if actor.has_any(Role.KETUA_LPPAR) and actor.user_id is not None:
        return
    if withdrawal and actor.user_id is not None and actor.user_id == case.acting_user_id:
        return
    if withdrawal:
        raise PermissionDenied(
            "Hanya pemohon kasus ini, fulltimer yang mengajukannya, atau Ketua LP-PAR "
            "yang dapat mencatat pencabutan persetujuan."
        )
    raise PermissionDenied("Hanya Ketua LP-PAR yang dapat menghentikan kasus demi keselamatan.")
