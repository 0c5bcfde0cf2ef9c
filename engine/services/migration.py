"""Version diff and case migration: moving open cases from one version of a process to a later one.

A case moves only where it is safe. Besides what SpiffWorkflow's alignment demands
(engine.version_migration: nothing the case waits on or has passed may be removed), the inbox
must be carried over whole. Of each user task the case waits on:

- its form must stay the same (name and content): someone may be filling it in right now, and
  a saved draft or an open page must still fit when it is submitted;
- it must stay on the same side of the applicant/staff divide: which people may see the case
  (need-to-know) depends on it;
- its roles may change (the inbox row takes the new version's roles), unless someone has claimed
  it: the claimant may not work the new lane, so they release it first.

Every task the case ever had must also still be a user task of the new version, because the
case's history is shown with the new version's titles and lanes.

Each case is prepared on a snapshot, outside the write lock, and then written in its own
transaction, checked against its version counter: a step that got there first wins, and the
migration of that case is refused (and can be run again). A refused case is not touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import casework, runtime
from engine.actors import Actor
from engine.bpmn.diff import VersionDiff, diff_versions
from engine.bpmn.validate import CompiledDefinition
from engine.casework.record import (
    Before,
    Office,
    open_record,
    snapshot,
)
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import InvalidInput, MediasiError, NotFound, PermissionDenied
from engine.legal import conformance, screening
from engine.legal.corrections import pending_of
from engine.persistence.case_store import CaseRecord, load_case_step
from engine.persistence.models import Case, CaseTask, ProcessDefinition
from engine.policy import pad_roles
from engine.roles import Role
from engine.services.queries import find_case
from engine.status import CaseStatus, TaskStatus
from engine.version_migration import MigrationRefused, migrate_workflow

MIGRATED_EVENT = "case_migrated"


@dataclass(frozen=True)
class CasePlan:
    """Whether one case can move to the new version, and if not, why (a dry run)."""

    case_id: uuid.UUID | None
    number: str
    can_migrate: bool
    reason: str | None = None


@dataclass(frozen=True)
class CaseMigration:
    """What happened to one case: migrated, or refused (and untouched) with the reason."""

    case_id: uuid.UUID | None
    number: str
    migrated: bool
    reason: str | None = None


@dataclass(frozen=True)
class _Versions:
    old: LoadedDefinition
    new: LoadedDefinition
    compiled: CompiledDefinition  # the target, as conformance reads it
    unlawful: str = ""  # why the target version itself breaks the law ("" when it does not)


@dataclass
class _Prepared:
    """A case's workflow moved onto the new version in memory, with the inbox changes it needs."""

    case: CaseRecord
    workflow: BpmnWorkflow
    before: Before
    retargeted: list[tuple[uuid.UUID, str, bool]] = field(default_factory=list)


def version_diff(
    ctx: EngineContext, *, key: str, from_version: int, to_version: int, actor: Actor | None = None
) -> VersionDiff:
    """Elements added, removed, changed and moved between two versions of process `key`.

    With `actor`: only a process owner. Form contents and lane roles count as changes of the user
    tasks that use them.

    :raises NotFound, PermissionDenied:
    """
    if actor is not None:
        _check_owner(actor, "melihat perbedaan versi")
    with ctx.unit_of_work(write=False) as uow:
        old, new = (_definition(uow.session, ctx, key, v) for v in (from_version, to_version))
        old_xml, new_xml = (
            uow.session.scalars(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == d.id)).one()
            for d in (old, new)
        )
    return diff_versions(old_xml, new_xml, notes=_catalog_notes(old, new))


def plan_migration(
    ctx: EngineContext,
    *,
    actor: Actor,
    key: str,
    from_version: int,
    to_version: int,
    case_refs: Sequence[str] | None = None,
) -> list[CasePlan]:
    """Dry run: for each open case on `from_version` (or each of `case_refs`), can it move, and why not.

    :raises NotFound, PermissionDenied, InvalidInput:
    """
    _check_owner(actor, "memigrasikan kasus")
    with ctx.unit_of_work(write=False) as uow:
        versions = _versions(uow.session, ctx, key, from_version, to_version)
        plans = []
        for case_id, number in _targets(uow.session, versions, case_refs):
            if case_id is None:
                plans.append(CasePlan(None, number, False, "Kasus tidak ditemukan."))
                continue
            try:
                _prepare(uow.session, ctx, versions, case_id)
            except MediasiError as exc:
                plans.append(CasePlan(case_id, number, False, _sentence(exc.message)))
            else:
                plans.append(CasePlan(case_id, number, True))
    return plans


def migrate_cases(
    ctx: EngineContext,
    *,
    actor: Actor,
    key: str,
    from_version: int,
    to_version: int,
    case_refs: list[str] | None = None,
) -> list[CaseMigration]:
    """Move each open case on `from_version` (or each of `case_refs`) to `to_version`, each on its own.

    A migrated case gets its new definition, its moved workflow, its inbox carried over (ready tasks
    keep their ids) and one `case_migrated` event. A refused case, or one that lost a race, is
    reported with its reason and left as it was; the others go on.

    :raises NotFound, PermissionDenied, InvalidInput:
    """
    _check_owner(actor, "memigrasikan kasus")
    with ctx.unit_of_work(write=False) as uow:
        versions = _versions(uow.session, ctx, key, from_version, to_version)
        targets = _targets(uow.session, versions, case_refs)
    results = []
    for case_id, number in targets:
        if case_id is None:
            results.append(CaseMigration(None, number, False, "Kasus tidak ditemukan."))
            continue
        try:
            _migrate_one(ctx, actor, versions, case_id)
        except MediasiError as exc:  # refused, lost a race, or the database was busy: this case only
            results.append(CaseMigration(case_id, number, False, _sentence(exc.message)))
        else:
            results.append(CaseMigration(case_id, number, True))
    return results


def _migrate_one(ctx: EngineContext, actor: Actor, versions: _Versions, case_id: uuid.UUID) -> None:
    def migrate(session: Session) -> casework.CaseStep:
        now = ctx.clock.now()
        prepared = _prepare(session, ctx, versions, case_id, now)
        case, old, new = prepared.case, versions.old, versions.new
        step = casework.CaseStep(ctx, case, new, Office(ctx, session), actor.username, now)
        step.workflow, step.before = prepared.workflow, prepared.before  # moved onto `new` in memory
        step.writes.retargeted = prepared.retargeted
        case.definition_id = new.id
        payload = {"from": {"id": old.id, "version": old.version}, "to": {"id": new.id, "version": new.version}}
        step.event(MIGRATED_EVENT, payload)
        step.record()
        return step

    # Once only: a case that moved since the operator's plan is reported, not migrated from where it now stands.
    casework.perform(ctx, migrate, attempts=1)


def _prepare(
    session: Session, ctx: EngineContext, versions: _Versions, case_id: uuid.UUID, now: datetime | None = None
) -> _Prepared:
    """Move the case's saved workflow onto the new version in memory and check its inbox can follow.

    :raises MigrationRefused:
    """
    old, new = versions.old, versions.new
    case, state, _ = load_case_step(session, case_id)
    if case.status != CaseStatus.OPEN or state is None:
        raise MigrationRefused(f"kasus {case.number} sudah selesai")
    if case.definition_id != old.id:
        current = ctx.definitions.get(session, case.definition_id)
        raise MigrationRefused(f"kasus berjalan pada {current.key} versi {current.version}, bukan versi {old.version}")
    if versions.unlawful:
        raise MigrationRefused(versions.unlawful)
    if pending_of(case.screening):
        raise MigrationRefused("kasus menunggu konfirmasi koreksi skrining oleh Kepala Dinas")
    record = open_record(session, case)
    workflow = runtime.load_state(old.specs, state)
    before = snapshot(workflow)
    ready = {t.id: t.task_spec.name for t in runtime.ready_user_tasks(workflow)}
    rows = session.execute(
        select(CaseTask.id, CaseTask.element, CaseTask.state, CaseTask.claimed_by_id).where(CaseTask.case_id == case.id)
    ).all()
    with runtime.at(now or ctx.clock.now(), lambda: ctx.calendar(session)):
        migrate_workflow(workflow, new.specs, version=new.version)
    _check_history(new, {row.element for row in rows})
    _check_lawful(versions, workflow, record)
    after = {t.id: t.task_spec.name for t in runtime.ready_user_tasks(workflow)}
    claimed = {row.id for row in rows if row.state == TaskStatus.READY and row.claimed_by_id is not None}
    carried = [_carry(old, new, i, element, after.get(i), i in claimed) for i, element in ready.items()]
    return _Prepared(case, workflow, before, [r for r in carried if r is not None])


def _check_lawful(versions: _Versions, workflow: Any, record: dict[str, Any]) -> None:
    """A case the law forbids to mediate may not move onto a version on which, from where it stands, it could be."""
    settled = screening.settled_blocks(record)
    if not settled:
        return
    found = conformance.reachable_from(versions.compiled, workflow, screening.answers(record))
    if found is not None:
        raise MigrationRefused(
            f"pada versi {versions.new.version} kasus ini dapat mencapai mediasi, padahal aturan hukum "
            f"melarangnya ({settled[0].rule}: {settled[0].message.rstrip('.')})"
        )


def _carry(
    old: LoadedDefinition, new: LoadedDefinition, task_id: uuid.UUID, element: str, mapped: str | None, claimed: bool
) -> tuple[uuid.UUID, str, bool] | None:
    """The inbox row's new roles for a task the case waits on, if they change; refuse what cannot follow."""
    before, after = old.catalog.tasks[element], new.catalog.tasks.get(mapped or "")
    title = repr(before.title)
    if mapped is None or after is None:
        raise MigrationRefused(
            f"tugas {title} yang sedang menunggu tidak lagi menjadi tugas pengguna di versi {new.version}"
        )
    if mapped != element:
        raise MigrationRefused(f"tugas {title} dipetakan ke elemen lain ({element} → {mapped}) di versi {new.version}")
    if before.form != after.form or old.form(before.form) != new.form(after.form):
        raise MigrationRefused(
            f"formulir tugas {title} berubah di versi {new.version}; selesaikan tugas itu pada versi "
            f"{old.version} lebih dulu"
        )
    if before.for_applicant != after.for_applicant:
        raise MigrationRefused(f"tugas {title} berpindah antara lajur pemohon dan lajur petugas di versi {new.version}")
    if set(before.roles) == set(after.roles):
        return None
    if claimed:
        raise MigrationRefused(
            f"tugas {title} sedang diambil seseorang, dan perannya berubah di versi {new.version}; "
            "lepaskan tugas itu lebih dulu"
        )
    return task_id, pad_roles(after.roles), after.for_applicant


def _check_history(new: LoadedDefinition, elements: Iterable[str]) -> None:
    missing = sorted(e for e in elements if e not in new.catalog.tasks)
    if missing:
        raise MigrationRefused(
            f"tugas {', '.join(missing)} dalam riwayat kasus bukan tugas pengguna di versi {new.version}"
        )


def _catalog_notes(old: LoadedDefinition, new: LoadedDefinition) -> dict[str, list[str]]:
    """Changes to user tasks that the diagram does not show: their form's content, their roles."""
    notes: dict[str, list[str]] = {}
    for element, before in old.catalog.tasks.items():
        after = new.catalog.tasks.get(element)
        if after is None:
            continue
        if before.form == after.form and old.form(before.form) != new.form(after.form):
            notes.setdefault(element, []).append(f"isi formulir {after.form} berubah")
        if (set(before.roles), before.for_applicant) != (set(after.roles), after.for_applicant):
            notes.setdefault(element, []).append(f"peran: {_roles(before)} → {_roles(after)}")
    return notes


def _roles(info: Any) -> str:
    return ", ".join(sorted(info.roles) + (["pemohon kasus"] if info.for_applicant else [])) or "(tidak ada)"


def _check_owner(actor: Actor, what: str) -> None:
    if not (actor.is_operator or actor.has_any(Role.PROCESS_OWNER)):
        raise PermissionDenied(f"Hanya pemilik proses yang dapat {what}.")


def _versions(session: Session, ctx: EngineContext, key: str, from_version: int, to_version: int) -> _Versions:
    if from_version >= to_version:
        raise InvalidInput(f"Versi asal ({from_version}) harus lebih lama daripada versi tujuan ({to_version}).")
    old, new = _definition(session, ctx, key, from_version), _definition(session, ctx, key, to_version)
    row = session.get_one(ProcessDefinition, new.id)
    compiled = CompiledDefinition(
        key=new.key,
        name=row.name,
        xml=row.bpmn_xml.encode(),
        sha256=row.sha256,
        forms=new.forms,
        lane_roles=new.lane_roles,
        catalog=new.catalog,
        specs=new.specs,
    )
    found = conformance.problems(compiled, compiled.xml, f"{key} versi {new.version}")
    unlawful = "; ".join(p.message for p in found[:2])
    return _Versions(old, new, compiled, f"versi tujuan melanggar aturan hukum: {unlawful}" if unlawful else "")


def _definition(session: Session, ctx: EngineContext, key: str, version: int) -> LoadedDefinition:
    found = session.scalar(
        select(ProcessDefinition.id).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    )
    if found is None:
        raise NotFound(f"Proses {key!r} versi {version} tidak ditemukan.")
    return ctx.definitions.get(session, found)


def _targets(
    session: Session, versions: _Versions, case_refs: Sequence[str] | None
) -> list[tuple[uuid.UUID | None, str]]:
    """The cases to look at: every open case on the old version, or the named ones (None: not found)."""
    if case_refs is None:
        rows = session.execute(
            select(Case.id, Case.number)
            .where(Case.definition_id == versions.old.id, Case.status == CaseStatus.OPEN)
            .order_by(Case.created_at, Case.number)
        )
        return [(case_id, number) for case_id, number in rows]
    targets: list[tuple[uuid.UUID | None, str]] = []
    for ref in case_refs:
        try:
            case = find_case(session, ref)
        except NotFound:
            targets.append((None, ref))
        else:
            if (case.id, case.number) not in targets:
                targets.append((case.id, case.number))
    return targets


def _sentence(reason: str) -> str:
    """A reason as a sentence: capitalised, with a full stop."""
    reason = reason.strip()
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith(".") else ".")
