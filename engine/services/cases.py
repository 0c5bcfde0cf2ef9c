"""Starting, ending and reading cases."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import casework, runtime
from engine.access import readable_cases
from engine.actors import Actor
from engine.casework.step import CaseStep
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.definitions import latest_definition_id
from engine.errors import Conflict, FormInvalid, InvalidInput, PermissionDenied
from engine.events import GENESIS, canonical_json
from engine.forms import validate_form
from engine.legal import rules, screening
from engine.persistence.case_store import CaseRecord
from engine.persistence.models import Case, CaseCounter, ProcessDefinition
from engine.replay import SAFETY_STOP_SIGNAL, WITHDRAW_SIGNAL, signal_payload
from engine.roles import Role
from engine.services.queries import find_case
from engine.status import CaseStatus

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
) -> CaseView:
    """File a request: by an applicant for themselves, or by a fulltimer for a walk-in applicant.

    :raises PermissionDenied, FormInvalid, NotFound, ProcessFailed:
    """
    submitted = json_copy(data)
    _check_starter(actor, applicant)
    now = ctx.clock.now()
    # Computed in a read transaction (the start event's scripts may take up to their limits);
    # the write lock is taken for the number and the writes only.
    with ctx.unit_of_work(write=False) as uow:
        definition = ctx.definitions.get(uow.session, latest_definition_id(uow.session, process_key))
        schema = definition.form(definition.catalog.start_form)
        if schema is not None:
            validate_form(schema, submitted)
            if applicant is None:
                _check_case_references(uow.session, schema, submitted, actor)
        errors = rules.check_submission(None, submitted, first=True)
        if errors:
            raise FormInvalid(errors)
        with runtime.at(now, lambda: ctx.calendar(uow.session)):
            workflow = runtime.start_workflow(definition.specs, submitted)
    with ctx.unit_of_work() as uow:
        case = CaseRecord(
            id=uuid.uuid4(),
            number=_next_number(uow.session, definition.catalog.case_prefix, now),
            definition_id=definition.id,
            status=CaseStatus.OPEN,
            outcome=None,
            acting_user_id=actor.user_id or 0,
            version=0,
            event_seq=0,
            event_hash=GENESIS,
            created_at=now,
            updated_at=now,
            screening=screening.fold(None, submitted, actor=actor.username),
        )
        step = casework.start(ctx, uow.session, case, definition, actor=actor.username, now=now)
        payload: dict[str, Any] = {"data": submitted}
        if applicant:
            payload["applicant"] = asdict(applicant)
        step.event("case_started", payload)
        step.workflow = workflow  # run to its first wait state already: all it waits on is new (step.before)
        step.record()
        casework.judge(step)
        casework.commit(uow.session, step, new_case=_new_case_columns(case, actor, applicant))
    casework.keep(ctx, step)
    assert step.view is not None
    return step.view


def _new_case_columns(case: CaseRecord, actor: Actor, applicant: WalkInApplicant | None) -> dict[str, Any]:
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


def _check_case_references(session: Session, schema: Mapping[str, Any], data: Mapping[str, Any], actor: Actor) -> None:
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
    if errors:
        raise FormInvalid(errors)


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
