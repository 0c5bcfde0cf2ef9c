"""Inboxes and the one-transaction completion of a user task."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import Session

from engine import casework, runtime
from engine.access import readable_cases
from engine.actors import Actor
from engine.bpmn.catalog import CONFIRM_CORRECTION, TaskInfo
from engine.casework.record import (
    case_variables,
    open_record,
    usernames,
)
from engine.casework.step import CaseStep
from engine.casework.views import CaseView, TaskView, task_view
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import (
    Conflict,
    FormInvalid,
    InvalidInput,
    NotFound,
    ProcessFailed,
    TaskNotReady,
)
from engine.forms import FILE_FORMAT, all_form_errors, capped, file_fields, normalize_times, valid_part
from engine.legal import chronology, rules, screening
from engine.legal.corrections import CorrectionView, correction_views
from engine.letters import kinds as letter_kinds
from engine.letters.dates import local_date
from engine.persistence.case_store import (
    CALENDAR_STAMP,
    CaseRecord,
    TaskRecord,
    TaskStep,
    calendar_stamp,
    load_task_step,
)
from engine.persistence.models import Case, CaseTask, Document
from engine.policy import ensure_may_work, lane_roles_of, may_work
from engine.roles import Role
from engine.services import corrections, incidents, substitutes
from engine.services.cases import json_copy
from engine.services.queries import sla_judge
from engine.services.suspension import ensure_not_suspended
from engine.status import CaseStatus, TaskStatus

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MB = 1024 * 1024
UPLOAD = "unggahan"  # the kind of an uploaded document (issued letters have their own kinds)
# What a file is comes from its first bytes, not from the name or type the browser claims.
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
SAFE_FILENAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")


@dataclass(frozen=True)
class TaskDetail:
    """A task with its form and the case data its form starts from."""

    task: TaskView
    form: dict[str, Any] | None
    documentation: str
    data: dict[str, Any]
    facts: tuple[str, ...] = ()  # the variables this task shows; empty: all of them
    labels: dict[str, str] = field(default_factory=dict)  # variable -> title, from the version's forms
    value_titles: dict[str, dict[str, str]] = field(default_factory=dict)  # variable -> enum value -> title
    correction: CorrectionView | None = None  # what a screening correction's confirmation task decides


def _require_ready(task: TaskRecord, case: CaseRecord, info: TaskInfo, *, working: bool = True) -> None:
    """Raise unless `task` is ready in an open case; unless `working` is False (the task only changes
    hands: released or reassigned), also while its case is suspended."""
    if task.state != TaskStatus.READY or case.status != CaseStatus.OPEN:
        state = {
            TaskStatus.COMPLETED: "sudah diselesaikan",
            TaskStatus.CANCELLED: "sudah dibatalkan",
            TaskStatus.HELD: "menunggu konfirmasi koreksi skrining oleh Kepala Dinas",
        }.get(task.state, "tidak siap")
        raise TaskNotReady(f"Tugas {info.title!r} pada kasus {case.number} {state}.")
    if working:
        ensure_not_suspended(case)  # a suspended case's tasks wait until it resumes


def _load(
    ctx: EngineContext, session: Session, task_id: uuid.UUID, actor: Actor | None = None
) -> tuple[TaskStep, LoadedDefinition, TaskInfo]:
    """A task, its case, the case's saved workflow, its version and the task's catalog entry, to read.

    With `actor`: a task they may neither work nor see (its case is outside their scope) is "not found".
    """
    step = load_task_step(session, task_id)
    _check_visible(session, actor, step.task, step.case)
    definition = ctx.definitions.get(session, step.case.definition_id)
    return step, definition, definition.catalog.tasks[step.task.element]


def _open(
    ctx: EngineContext, session: Session, task_id: uuid.UUID, actor: Actor, now: datetime
) -> tuple[CaseStep, TaskRecord, TaskInfo]:
    """A step of `actor` on the task `task_id`: the step, its task and the task's catalog entry.

    :raises NotFound: no such task, or one `actor` may neither work nor see.
    """
    step = casework.open_task(ctx, session, task_id, actor=actor.username, now=now)
    assert step.task is not None
    _check_visible(session, actor, step.task, step.case)
    return step, step.task, step.definition.catalog.tasks[step.task.element]


def _check_visible(session: Session, actor: Actor | None, task: TaskRecord, case: CaseRecord) -> None:
    if actor is not None and not may_work(actor, task, case) and not _can_read(session, actor, case.id):
        raise NotFound("Tugas tidak ditemukan.")


def _can_read(session: Session, actor: Actor, case_id: uuid.UUID) -> bool:
    return session.scalar(select(Case.id).where(Case.id == case_id, readable_cases(actor))) is not None


def complete_task(ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID, data: Mapping[str, Any]) -> CaseView:
    """Complete a ready user task as `actor` and run the case to its next wait state.

    The step is computed in a read transaction (scripts may take up to their limits); only its
    writes take the write lock: the new workflow state, the inbox rows and the events commit
    together or not at all. A case that moved between the step's read and its write (a letter's
    event appended by the letter worker, another task of the case completed) is read again and the
    step computed anew (casework.perform): the task, if someone else completed it meanwhile, is
    then no longer ready (TaskNotReady), which is what the later person is told. Of two concurrent
    completions, one wins.

    :raises NotFound, NotInLane, PermissionDenied, TaskNotReady, FormInvalid, ConcurrentUpdate, ProcessFailed:
    """
    submitted = json_copy(data)
    failed_at: list[tuple[uuid.UUID, str]] = []

    def compute(session: Session) -> CaseStep:
        step, task, info = _open(ctx, session, task_id, actor, ctx.clock.now())
        _require_ready(task, step.case, info)
        ensure_may_work(actor, task, step.case, lane=info.lane, covering=_covers(session, actor, task, step.now))
        failed_at[:] = [(step.case.id, task.element)]
        if task.element == CONFIRM_CORRECTION:
            corrections.decide(session, step, actor=actor, submitted=submitted)
        else:
            _complete(session, step, task, info, actor, submitted)
        step.resolve([task.element])
        return step

    try:
        view = casework.perform(ctx, compute).view
    except ProcessFailed as failed:  # a script or condition of the diagram failed: the process owner's incident
        if failed_at:
            incidents.record_failure(ctx, *failed_at[0], incidents.TASK, failed.message)
        raise
    assert view is not None
    return view


def _complete(
    session: Session, step: CaseStep, task: TaskRecord, info: TaskInfo, actor: Actor, submitted: dict[str, Any]
) -> None:
    """A diagram task's completion: the legal rules, a correction held for four eyes, or the step itself."""
    case = step.case
    corrections.ensure_not_pending(case, "tugas lain kasus ini dapat diselesaikan")
    schema = step.definition.form(info.form)
    if schema is not None and isinstance(submitted, dict):
        submitted.update(normalize_times(schema, submitted))  # "15.00" is stored as "15:00"
    record = open_record(session, case)
    errors = _submission_errors(session, step, task, schema, record, submitted)
    if errors:
        raise FormInvalid(errors)
    workflow = step.begin()
    changes = screening.changes(record, submitted)
    if changes:
        ready = [(t.id, t.task_spec.name) for t in runtime.ready_user_tasks(workflow)]
        corrections.hold(step, task, actor=actor, submitted=submitted, changes=changes, ready=ready)
        return
    case.screening = screening.fold(record, submitted, actor=actor.username, ketua=actor.has_any(Role.KETUA_LPPAR))
    step.complete(task.id, task.element, submitted, actor=actor.username, actor_id=actor.user_id)


def _submission_errors(
    session: Session,
    step: CaseStep,
    task: TaskRecord,
    schema: Mapping[str, Any] | None,
    record: Mapping[str, Any],
    submitted: Any,
) -> dict[str, str]:
    """Every problem of a submission, by field, in one answer: its form, its files, the legal rules,
    the rules of the letters its task issues and its dates in the case. The checks after the form's
    read only the fields the form accepted, so each field is named once, for its first problem."""
    errors = all_form_errors(schema, submitted) if schema is not None else {}
    if not isinstance(submitted, dict):
        return errors
    valid = valid_part(submitted, errors)
    found = [
        _document_errors(session, step.case, file_fields(schema, valid)) if schema is not None else {},
        _with_missing_fields(rules.check_submission(record, valid), schema),
        letter_kinds.submission_errors(
            step.definition.catalog.letters.get(task.element, ()), valid, step.now, step.office.calendar
        ),
        chronology.date_errors(valid, _case_days(session, step, valid)),
    ]
    for more in found:
        for field_path, message in more.items():
            errors.setdefault(field_path, message)
    return capped(errors)


def submission_errors(
    ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID, data: Mapping[str, Any]
) -> dict[str, str]:
    """The problems completing the task with `data` would be refused for, by field, without completing it.

    For a page that already refuses the submission for its own reasons (a file not stored), so that
    one answer names every problem. Empty when the form has none the engine finds before the step runs.

    :raises NotFound, NotInLane, PermissionDenied, TaskNotReady:
    """
    submitted = json_copy(data)
    with ctx.unit_of_work(write=False) as uow:
        step, task, info = _open(ctx, uow.session, task_id, actor, ctx.clock.now())
        _require_ready(task, step.case, info)
        ensure_may_work(actor, task, step.case, lane=info.lane, covering=_covers(uow.session, actor, task, step.now))
        if task.element == CONFIRM_CORRECTION:
            return {}
        schema = step.definition.form(info.form)
        if schema is not None and isinstance(submitted, dict):
            submitted.update(normalize_times(schema, submitted))
        return _submission_errors(uow.session, step, task, schema, open_record(uow.session, step.case), submitted)


def _case_days(session: Session, step: CaseStep, data: Mapping[str, Any]) -> chronology.CaseDays:
    """The days a submission's dates are judged against: the case's filing, today, its invitation."""
    invited = None
    if chronology.needs_invitation_day(data):
        elements = [e for e, kinds in step.definition.catalog.letters.items() if chronology.INVITATION in kinds]
        query = select(func.max(CaseTask.completed_at)).where(
            CaseTask.case_id == step.case.id, CaseTask.element.in_(elements), CaseTask.state == TaskStatus.COMPLETED
        )
        at = session.scalar(query) if elements else None
        invited = local_date(at) if at is not None else None
    return chronology.CaseDays(filed=local_date(step.case.created_at), today=local_date(step.now), invited=invited)


def _with_missing_fields(errors: dict[str, str], schema: Mapping[str, Any] | None) -> dict[str, str]:
    """A legal rule naming fields this version's form lacks (an older version): say so for the whole form."""
    properties = (schema or {}).get("properties", {})
    absent = sorted({key.split(".")[0] for key in errors} - set(properties) - {"_form"})
    if not absent:
        return errors
    return {
        **errors,
        "_form": (
            f"Aturan hukum mewajibkan isian yang tidak ada pada formulir versi proses kasus ini ({', '.join(absent)}). "
            "Pemilik proses perlu memindahkan kasus ini ke versi proses terbaru."
        ),
    }


def _document_errors(session: Session, case: CaseRecord, fields: Mapping[str, str]) -> dict[str, str]:
    """The file fields whose document is not one of this case's, each beside its field."""
    wanted: dict[str, uuid.UUID] = {}
    for path, value in fields.items():
        try:
            wanted[path] = uuid.UUID(value)
        except ValueError:
            continue  # the form's format check names it
    if not wanted:
        return {}
    query = select(Document.id).where(Document.id.in_(set(wanted.values())), Document.case_id == case.id)
    found = set(session.scalars(query))
    return {
        path: "Berkas ini tidak ada pada kasus ini; unggah berkasnya lagi."
        for path, document_id in wanted.items()
        if document_id not in found
    }


def _upload_type(filename: str, content: bytes) -> str:
    """The media type of an acceptable upload, or InvalidInput."""
    if not SAFE_FILENAME.match(filename):
        raise InvalidInput("Nama berkas tidak sah.")
    if not content or len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"Ukuran berkas harus antara 1 bita dan {MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
    media_type = next((kind for magic, kind in SIGNATURES if content.startswith(magic)), "")
    if not media_type:
        raise InvalidInput("Jenis berkas harus PDF, JPEG atau PNG.")
    return media_type


def claim_task(ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID) -> TaskView:
    """Take a ready task ("Ambil"), so that only this actor can complete it."""
    return _set_claim(ctx, actor, task_id, claim=True)


def release_task(ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID) -> TaskView:
    """Give a claimed task back to its lane ("Lepas")."""
    return _set_claim(ctx, actor, task_id, claim=False)


def _set_claim(ctx: EngineContext, actor: Actor, task_id: uuid.UUID, *, claim: bool) -> TaskView:
    with ctx.unit_of_work() as uow:
        step, task, info = _open(ctx, uow.session, task_id, actor, ctx.clock.now())
        case = step.case
        _require_ready(task, case, info, working=claim)  # a claim is given back even while the case waits
        if not may_work(actor, task, case):
            ensure_may_work(actor, task, case, lane=info.lane)
        if claim and task.claimed_by_id not in (None, actor.user_id):
            raise Conflict("Tugas ini sudah diambil oleh pengguna lain.")
        covering = not claim and _covers(uow.session, actor, task, step.now)
        if not claim and task.claimed_by_id != actor.user_id and not covering:
            raise Conflict("Tugas ini tidak sedang Anda ambil.")
        # A substitute releasing the claim of the person away says whose claim it was.
        away = usernames(uow.session, {task.claimed_by_id}).get(task.claimed_by_id or -1) if covering else None
        payload = {"from": away, "substitute": True} if covering else None
        task.claimed_by_id = actor.user_id if claim else None
        # The event goes on the case chain, so the case row (and its version) moves too.
        case.updated_at = step.now
        step.writes.claim = (task.id, task.claimed_by_id)
        step.event(
            "task_claimed" if claim else "task_released",
            payload,
            task_id=task.id,
            element=task.element,
        )
        casework.commit(uow.session, step)
        return task_view(step.definition.catalog, task, case.number, actor.username if claim else None)


def _covers(session: Session, actor: Actor, task: TaskRecord, now: datetime) -> bool:
    """Whether `actor` works `task`, claimed by someone else, as that person's substitute while away."""
    claimant = task.claimed_by_id
    if claimant is None or actor.user_id is None or claimant == actor.user_id:
        return False
    return substitutes.covers(session, actor.user_id, claimant, now)


def list_tasks(ctx: EngineContext, *, actor: Actor | None = None) -> list[TaskView]:
    """Ready tasks, most urgent first: the inbox of `actor`, or all of them for the operator."""
    with ctx.unit_of_work(write=False) as uow:
        query = (
            select(CaseTask, Case.number, Case.definition_id, Case.suspended_at, *CALENDAR_STAMP)
            .join(Case, Case.id == CaseTask.case_id)
            .where(CaseTask.state == TaskStatus.READY)
            .order_by(CaseTask.due_at.is_(None), CaseTask.due_at, CaseTask.created_at)
        )
        if actor is not None:
            query = query.where(_workable_by(actor))
        return task_views(ctx, uow.session, uow.session.execute(query).all())


def task_views(ctx: EngineContext, session: Session, rows: Sequence[Row[Any]]) -> list[TaskView]:
    """Views of ready-task rows (CaseTask, number, definition_id, suspended_at and the calendar stamp), each
    judged against its due moment (a suspended case's as it stood when suspended), with one lookup of the
    claimants' names."""
    names = usernames(session, {row.CaseTask.claimed_by_id for row in rows})
    judge = sla_judge(ctx, session, calendar_stamp(rows[0]) if rows else None)
    return [
        task_view(
            ctx.definitions.get(session, row.definition_id).catalog,
            row.CaseTask,
            row.number,
            names.get(row.CaseTask.claimed_by_id or -1),
            judge.state(row.CaseTask.due_at, row.suspended_at),
        )
        for row in rows
    ]


def _workable_by(actor: Actor) -> Any:
    if actor.user_id is None:
        return CaseTask.id.is_(None)
    by_role = [CaseTask.candidate_roles.like(f"% {role} %") for role in lane_roles_of(actor)]
    mine = CaseTask.for_applicant.is_(True) & (Case.acting_user_id == actor.user_id)
    return or_(mine, *by_role)


def get_task(ctx: EngineContext, *, actor: Actor | None, task_id: uuid.UUID, with_data: bool = True) -> TaskDetail:
    """A task with its form and (unless `with_data` is False) the data its form starts from.

    Reading the data restores the case's workflow; callers that only check or label a task skip it.
    """
    with ctx.unit_of_work(write=False) as uow:
        step, definition, info = _load(ctx, uow.session, task_id, actor)
        task, case = step.task, step.case
        if actor is not None and not may_work(actor, task, case):
            ensure_may_work(actor, task, case, lane=info.lane)
        data = case_variables(uow.session, definition, case) if with_data and task.state == TaskStatus.READY else {}
        data = {k: v for k, v in data.items() if k not in rules.PERSONAL_FIELDS}
        names = usernames(uow.session, {task.claimed_by_id})
        due = (
            sla_judge(ctx, uow.session, step.calendar_stamp).state(task.due_at, case.suspended_at)
            if task.state == TaskStatus.READY
            else None
        )
        return TaskDetail(
            task=task_view(definition.catalog, task, case.number, names.get(task.claimed_by_id or -1), due),
            form=definition.form(info.form),
            documentation=info.documentation,
            data=data,
            facts=info.facts,
            labels=definition.labels,
            value_titles=definition.value_titles,
            correction=_correction_of(uow.session, case, task, definition)
            if task.element == CONFIRM_CORRECTION
            else None,
        )


def _correction_of(
    session: Session, case: CaseRecord, task: TaskRecord, definition: LoadedDefinition
) -> CorrectionView | None:
    views = correction_views(open_record(session, case), definition.value_titles)
    return next((c for c in views if c.confirm_task_id == str(task.id)), None)


def attach_document(
    ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID, filename: str, content: bytes
) -> uuid.UUID:
    """Store an uploaded PDF, JPEG or PNG for a ready task; its id goes into a `"format": "file"` field.

    The type is read from the content, never taken from what the client claims. Only a task whose
    form has a file field takes uploads, at most `max_uploads_per_task` of them, and a case's
    uploads together stay within `max_upload_mb_per_case`. The limits are counted and the file
    stored in one write transaction that holds the case's row, so concurrent uploads count in turn.

    :raises NotFound, NotInLane, TaskNotReady, InvalidInput:
    """
    now = ctx.clock.now()
    media_type = _upload_type(filename, content)
    with ctx.unit_of_work(write=False) as uow:  # refuse before the file is stored...
        _check_upload(ctx, uow.session, task_id, actor, len(content), now)
    sha256 = ctx.documents.put(content)  # ...and store it before the row that names it
    with ctx.unit_of_work() as uow:
        _lock_case_of(uow.session, task_id)
        step, task = _check_upload(ctx, uow.session, task_id, actor, len(content), now)  # again, under the lock
        document = Document(
            id=uuid.uuid4(),
            case_id=step.case.id,
            task_id=task.id,
            kind=UPLOAD,
            number=None,
            filename=filename,
            media_type=media_type,
            size=len(content),
            sha256=sha256,
            content=None,
            created_by=actor.username,
            created_at=now,
        )
        uow.session.add(document)
        step.case.updated_at = now
        step.event(
            "document_uploaded",
            task_id=task.id,
            element=task.element,
            payload={
                "document_id": str(document.id),
                "filename": filename,
                "media_type": media_type,
                "size": len(content),
                "sha256": document.sha256,
            },
        )
        casework.commit(uow.session, step)
        return document.id


def _check_upload(
    ctx: EngineContext, session: Session, task_id: uuid.UUID, actor: Actor, size: int, now: datetime
) -> tuple[CaseStep, TaskRecord]:
    """The upload's step and its task, if `actor` may upload a file of `size` bytes to it now.

    :raises NotFound, NotInLane, TaskNotReady, InvalidInput:
    """
    step, task, info = _open(ctx, session, task_id, actor, now)
    _require_ready(task, step.case, info)
    ensure_may_work(actor, task, step.case, lane=info.lane, covering=_covers(session, actor, task, now))
    if not _has_file_field(step.definition.form(info.form)):
        raise InvalidInput(f"Tugas {info.title!r} tidak menerima unggahan: formulirnya tidak memiliki isian berkas.")
    _check_upload_limits(ctx, session, step.case.id, task.id, size)
    return step, task


def _lock_case_of(session: Session, task_id: uuid.UUID) -> None:
    """Hold the row of the task's case until commit, so that two uploads to one case count in turn.

    PostgreSQL locks the row (the second upload waits, then reads the first one's document); SQLite's
    write transaction already holds the database's write lock.
    """
    case_id = select(CaseTask.case_id).where(CaseTask.id == task_id).scalar_subquery()
    session.execute(select(Case.id).where(Case.id == case_id).with_for_update())


def _has_file_field(schema: Mapping[str, Any] | None) -> bool:
    """Whether a form (or a field, group or list in it) is a `"format": "file"` field, as `file_ids` reads them."""
    if schema is None:
        return False
    if schema.get("format") == FILE_FORMAT:
        return True
    children = [*schema.get("properties", {}).values(), schema.get("items")]
    return any(_has_file_field(child) for child in children if isinstance(child, Mapping))


def _check_upload_limits(
    ctx: EngineContext, session: Session, case_id: uuid.UUID, task_id: uuid.UUID, size: int
) -> None:
    """Refuse an upload past the task's count or the case's megabytes (InvalidInput)."""
    per_task, per_case_mb = ctx.settings.max_uploads_per_task, ctx.settings.max_upload_mb_per_case
    of_task = func.count().filter(Document.task_id == task_id)
    query = select(of_task, func.coalesce(func.sum(Document.size), 0)).where(
        Document.case_id == case_id, Document.kind == UPLOAD
    )
    count, used = session.execute(query).one()
    if count >= per_task:
        raise InvalidInput(f"Tugas ini sudah memiliki {count} berkas; paling banyak {per_task} berkas per tugas.")
    if used + size > per_case_mb * MB:
        left = f"{max(per_case_mb * MB - used, 0) / MB:.1f}".replace(".", ",")
        raise InvalidInput(f"Unggahan satu kasus paling banyak {per_case_mb} MB; sisa untuk kasus ini {left} MB.")
