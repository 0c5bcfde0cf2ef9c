"""Process owners' work on diagrams: read every deployed version, edit a draft copy, validate, deploy.

A draft is a copy of one version's diagram, lane map and forms (each form kept as the JSON text its
author wrote). "Terapkan" deploys it through the deploy service, or, under the two-person rule
(`Settings.deploy_approval`), submits it; a different process owner's approval then deploys it
(`deploy.deploy_submission`, which checks the approval again where the version is stored), with
both names in the deploy event. Submissions made over the API, the CLI or a ZIP package are rows
of the same table, so they are listed, opened and approved here too. Every save raises the draft's
revision: a save or an approval based on an older revision is refused, so nobody overwrites or
approves content they have not seen.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.bpmn.validate import compile_definition, executable_process_id
from engine.bpmn.xml import MAX_BPMN_BYTES, NS, parse_bpmn
from engine.context import EngineContext
from engine.errors import Conflict, DeploymentInvalid, InvalidInput, NotFound, PermissionDenied, Problem
from engine.forms import FormSchemaError, check_form_name, check_form_schema
from engine.legal import conformance
from engine.persistence.models import Case, ProcessDefinition, ProcessDraft
from engine.roles import Role
from engine.services import deploy as deploy_service
from engine.services.deploy import DEPLOYED, DRAFT, SUBMITTED, forms_from_texts
from engine.status import CaseStatus

MAX_FORM_BYTES = 256 * 1024
MAX_FORMS = 200
MAX_LANES = 100
_NAME_LENGTH = 200
_DI_ELEMENTS = {f"{{{NS['bpmndi']}}}BPMNShape", f"{{{NS['bpmndi']}}}BPMNEdge"}


@dataclass(frozen=True)
class VersionView:
    """One deployed version as its process owner sees it."""

    key: str
    version: int
    name: str
    deployed_by: str
    deployed_at: datetime
    open_cases: int


@dataclass(frozen=True)
class ProcessVersions:
    """A process and all its versions, newest first."""

    key: str
    name: str
    versions: list[VersionView]


@dataclass(frozen=True)
class VersionDetail:
    """A version with what was deployed: the diagram, its forms and its lane map."""

    version: VersionView
    xml: str
    forms: dict[str, Any]
    lane_roles: dict[str, list[str]]


@dataclass(frozen=True)
class DraftView:
    """A draft with its content and who did what to it."""

    id: uuid.UUID
    key: str
    base_version: int
    xml: str
    lane_roles: dict[str, list[str]]
    forms: dict[str, str]
    status: str
    revision: int
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    deployed_version: int | None


@dataclass(frozen=True)
class DraftDeployment:
    """What "Terapkan" or an approval did: deployed a version (or found it identical), or submitted."""

    status: str
    version: int | None = None
    created: bool = False


# -- deployed versions ----------------------------------------------------------------------------


def list_versions(ctx: EngineContext, *, actor: Actor) -> list[ProcessVersions]:
    """Every process with every version: who deployed it, when, and how many open cases run on it."""
    _require_owner(actor)
    with ctx.unit_of_work(write=False) as uow:
        open_cases = dict(
            uow.session.execute(
                select(Case.definition_id, func.count())
                .where(Case.status == CaseStatus.OPEN)
                .group_by(Case.definition_id)
            ).all()
        )
        rows = uow.session.execute(
            select(
                ProcessDefinition.id,
                ProcessDefinition.key,
                ProcessDefinition.version,
                ProcessDefinition.name,
                ProcessDefinition.deployed_by,
                ProcessDefinition.deployed_at,
            ).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
        ).all()
    processes: dict[str, ProcessVersions] = {}
    for row in rows:
        view = VersionView(row.key, row.version, row.name, row.deployed_by, row.deployed_at, open_cases.get(row.id, 0))
        processes.setdefault(row.key, ProcessVersions(row.key, row.name, [])).versions.append(view)
    return list(processes.values())


def get_version(ctx: EngineContext, *, actor: Actor, key: str, version: int) -> VersionDetail:
    """One version with its diagram, forms and lane map.

    :raises PermissionDenied, NotFound:
    """
    _require_owner(actor)
    with ctx.unit_of_work(write=False) as uow:
        row = _version_row(uow.session, key, version)
        count = uow.session.scalar(
            select(func.count()).select_from(Case).where(Case.definition_id == row.id, Case.status == CaseStatus.OPEN)
        )
        view = VersionView(row.key, row.version, row.name, row.deployed_by, row.deployed_at, int(count or 0))
        return VersionDetail(view, row.bpmn_xml, dict(row.forms), {k: list(v) for k, v in row.lane_roles.items()})


# -- drafts ---------------------------------------------------------------------------------------


def create_draft(ctx: EngineContext, *, actor: Actor, key: str, version: int) -> uuid.UUID:
    """Start a draft as a copy of version `version` of process `key`.

    :raises PermissionDenied, NotFound:
    """
    _require_owner(actor)
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        source = _version_row(uow.session, key, version)
        draft = ProcessDraft(
            id=uuid.uuid4(),
            key=source.key,
            base_version=source.version,
            bpmn_xml=source.bpmn_xml,
            lane_roles={k: list(v) for k, v in source.lane_roles.items()},
            forms={name: json.dumps(schema, ensure_ascii=False, indent=2) for name, schema in source.forms.items()},
            status=DRAFT,
            revision=1,
            created_by=actor.username,
            created_at=now,
            updated_by=actor.username,
            updated_at=now,
        )
        uow.session.add(draft)
        return draft.id


def get_draft(ctx: EngineContext, *, actor: Actor, draft_id: uuid.UUID) -> DraftView:
    """A draft.

    :raises PermissionDenied, NotFound:
    """
    _require_owner(actor)
    with ctx.unit_of_work(write=False) as uow:
        return _view(_draft_row(uow.session, draft_id))


def list_drafts(ctx: EngineContext, *, actor: Actor) -> list[DraftView]:
    """Drafts not yet deployed, most recently changed first."""
    _require_owner(actor)
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(
            select(ProcessDraft).where(ProcessDraft.status != DEPLOYED).order_by(ProcessDraft.updated_at.desc())
        )
        return [_view(row) for row in rows]


def save_draft(
    ctx: EngineContext,
    *,
    actor: Actor,
    draft_id: uuid.UUID,
    revision: int,
    xml: bytes | None = None,
    lane_roles: Mapping[str, Sequence[str]] | None = None,
) -> int:
    """Replace the draft's diagram and/or lane map; returns the new revision.

    Saving a submitted draft takes it back to "draft": an approval is for content as submitted.

    :raises PermissionDenied, NotFound, InvalidInput, Conflict:
    """
    _require_owner(actor)
    text = _check_xml(xml) if xml is not None else None
    lanes = _check_lane_roles(lane_roles) if lane_roles is not None else None
    with ctx.unit_of_work() as uow:
        draft = _editable(uow.session, draft_id, revision)
        if text is not None:
            draft.bpmn_xml = text
        if lanes is not None:
            draft.lane_roles = lanes
        return _touch(ctx, draft, actor)


def save_form(ctx: EngineContext, *, actor: Actor, draft_id: uuid.UUID, name: str, text: str) -> int:
    """Add or replace the draft's form `name` with the JSON Schema in `text`; returns the new revision.

    :raises PermissionDenied, NotFound, InvalidInput:
    """
    _require_owner(actor)
    check_form(name, text)
    with ctx.unit_of_work() as uow:
        draft = _draft_row(uow.session, draft_id)
        _refuse_deployed(draft)
        if name not in draft.forms and len(draft.forms) >= MAX_FORMS:
            raise InvalidInput(f"Draf sudah memuat {MAX_FORMS} formulir.")
        draft.forms = {**draft.forms, name: text}
        return _touch(ctx, draft, actor)


def check_form(name: str, text: str) -> dict[str, Any]:
    """Check a form's name and JSON Schema as a deploy does; returns the schema.

    :raises InvalidInput: with the validator's message.
    """
    try:
        check_form_name(name)
    except ValueError as exc:
        raise InvalidInput(f"Nama formulir tidak sah {name!r}: {exc}.") from None
    raw = text.encode()
    if len(raw) > MAX_FORM_BYTES:
        raise InvalidInput(f"Formulir melebihi {MAX_FORM_BYTES // 1024} KB.")
    try:
        return check_form_schema(raw)
    except FormSchemaError as exc:
        raise InvalidInput(f"Formulir {name!r} tidak valid: {exc}") from None


def validate_draft(ctx: EngineContext, *, actor: Actor, draft_id: uuid.UUID) -> list[Problem]:
    """Run the deploy validator on the draft without deploying: every problem, each with its element.

    :raises PermissionDenied, NotFound:
    """
    draft = get_draft(ctx, actor=actor, draft_id=draft_id)
    try:
        _check_key(draft)
        xml = draft.xml.encode()
        compiled = compile_definition(xml, _filename(draft), forms_from_texts(draft.forms), draft.lane_roles)
        conformance.ensure_lawful(compiled, xml, _filename(draft))
    except DeploymentInvalid as invalid:
        return locate_problems(draft.xml.encode(), invalid.problems)
    return []


def deploy_draft(ctx: EngineContext, *, actor: Actor, draft_id: uuid.UUID, revision: int) -> DraftDeployment:
    """Deploy the draft as the next version ("Terapkan"), or submit it when deploys need approval.

    :raises PermissionDenied, NotFound, Conflict, DeploymentInvalid (problems with their elements):
    """
    draft = get_draft(ctx, actor=actor, draft_id=draft_id)
    _refuse_stale(draft.revision, revision, draft.status)
    if draft.status != DRAFT:
        raise Conflict("Draf ini sudah diajukan untuk persetujuan.")
    if not ctx.settings.deploy_approval:
        return _deploy(ctx, draft, actor=actor)
    problems = validate_draft(ctx, actor=actor, draft_id=draft_id)
    if problems:
        raise DeploymentInvalid(problems)
    with ctx.unit_of_work() as uow:
        row = _editable(uow.session, draft_id, revision)
        row.status, row.submitted_by, row.submitted_at = SUBMITTED, actor.username, ctx.clock.now()
    return DraftDeployment(SUBMITTED)


def approve_draft(ctx: EngineContext, *, actor: Actor, draft_id: uuid.UUID, revision: int) -> DraftDeployment:
    """A second process owner approves a submitted draft, which deploys it in its submitter's name.

    :raises PermissionDenied (not a process owner, or the submitter), NotFound, Conflict, DeploymentInvalid:
    """
    draft = get_draft(ctx, actor=actor, draft_id=draft_id)
    _refuse_stale(draft.revision, revision, draft.status)
    try:
        done = deploy_service.deploy_submission(ctx, approver=actor, submission_id=draft_id, revision=revision)
    except DeploymentInvalid as invalid:
        raise DeploymentInvalid(locate_problems(draft.xml.encode(), invalid.problems)) from None
    return DraftDeployment(DEPLOYED, done.version, done.created)


def return_draft(ctx: EngineContext, *, actor: Actor, draft_id: uuid.UUID) -> None:
    """Take a submitted draft back to "draft" (its submitter withdraws it, or a reviewer sends it back)."""
    _require_owner(actor)
    with ctx.unit_of_work() as uow:
        draft = _draft_row(uow.session, draft_id)
        if draft.status != SUBMITTED:
            raise Conflict("Draf ini tidak sedang menunggu persetujuan.")
        _touch(ctx, draft, actor)


def delete_draft(ctx: EngineContext, *, actor: Actor, draft_id: uuid.UUID) -> None:
    """Throw a draft away (a deployed draft stays, as the record of who submitted and approved it)."""
    _require_owner(actor)
    with ctx.unit_of_work() as uow:
        draft = _draft_row(uow.session, draft_id)
        _refuse_deployed(draft)
        uow.session.delete(draft)


def locate_problems(xml: bytes, problems: Sequence[Problem]) -> list[Problem]:
    """Name, for each problem, the element a person sees on the diagram.

    A problem with only a line (the XSD's findings) gets the element on that line; one inside a
    part that has no shape of its own (a timer's event definition) gets the shape it belongs to.
    """
    try:
        root = parse_bpmn(xml, "draf.bpmn").getroot()
    except DeploymentInvalid:
        return list(problems)
    by_line: dict[int, etree._Element] = {}
    by_id: dict[str, etree._Element] = {}
    for node in root.iter():
        if isinstance(node.tag, str):
            by_line.setdefault(node.sourceline or 0, node)
            if node.get("id"):
                by_id.setdefault(str(node.get("id")), node)
    drawn = {str(n.get("bpmnElement")) for n in root.iter(*_DI_ELEMENTS)} | {
        str(p.get("id")) for p in root.xpath("bpmn:process", namespaces=NS)
    }
    # In a collaboration the process is drawn as its pool.
    pools = {str(p.get("processRef")): str(p.get("id")) for p in root.xpath("//bpmn:participant", namespaces=NS)}
    located = []
    for problem in problems:
        node = by_id.get(problem.element) if problem.element else by_line.get(problem.line or -1)
        element = (_drawn_owner(node, drawn) if node is not None else None) or problem.element
        located.append(Problem(problem.file, problem.line, problem.message, pools.get(element or "", element)))
    return located


# -- helpers --------------------------------------------------------------------------------------


def _deploy(ctx: EngineContext, draft: DraftView, *, actor: Actor) -> DraftDeployment:
    """Deploy the draft directly (the two-person rule is off: the deploy service refuses otherwise)."""
    _check_key(draft)
    try:
        done = deploy_service.deploy(
            ctx,
            actor=actor,
            xml=draft.xml.encode(),
            filename=_filename(draft),
            lane_roles=draft.lane_roles,
            forms=forms_from_texts(draft.forms),
        )
    except DeploymentInvalid as invalid:
        raise DeploymentInvalid(locate_problems(draft.xml.encode(), invalid.problems)) from None
    with ctx.unit_of_work() as uow:
        row = _draft_row(uow.session, draft.id)
        row.status, row.deployed_version = DEPLOYED, done.version
        row.submitted_by, row.submitted_at = actor.username, ctx.clock.now()
    return DraftDeployment(DEPLOYED, done.version, done.created)


def _check_key(draft: DraftView) -> None:
    filename = _filename(draft)
    tree = parse_bpmn(draft.xml.encode(), filename)
    key = executable_process_id(tree, filename)
    if key != draft.key:
        process = tree.getroot().xpath("bpmn:process[@id=$id]", namespaces=NS, id=key)[0]
        raise DeploymentInvalid(
            [Problem(filename, process.sourceline, f"id proses harus tetap {draft.key!r}, bukan {key!r}", key)]
        )


def _drawn_owner(node: etree._Element, drawn: set[str]) -> str | None:
    """The id of the drawn element (a shape or edge, or the process) that `node` is part of."""
    for candidate in (node, *node.iterancestors()):
        if candidate.tag in _DI_ELEMENTS and candidate.get("bpmnElement"):
            return str(candidate.get("bpmnElement"))
        if candidate.get("id") in drawn:
            return str(candidate.get("id"))
    return None


def _check_xml(xml: bytes) -> str:
    if len(xml) > MAX_BPMN_BYTES:
        raise InvalidInput(f"Diagram melebihi {MAX_BPMN_BYTES // 1024 // 1024} MB.")
    parse_bpmn(xml, "draf.bpmn")  # well-formed, no DOCTYPE: a draft always loads in the modeler
    return xml.decode("utf-8")


def _check_lane_roles(lane_roles: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    valid = (
        isinstance(lane_roles, Mapping)
        and len(lane_roles) <= MAX_LANES
        and all(
            isinstance(name, str)
            and len(name) <= _NAME_LENGTH
            and isinstance(roles, list | tuple)
            and all(isinstance(r, str) and len(r) <= 64 for r in roles)
            for name, roles in lane_roles.items()
        )
    )
    if not valid:
        raise InvalidInput('Peta lajur-peran harus berbentuk {"Nama lajur": ["peran", ...]}.')
    return {name: list(dict.fromkeys(roles)) for name, roles in lane_roles.items()}


def _require_owner(actor: Actor) -> None:
    if not (actor.is_operator or actor.has_any(Role.PROCESS_OWNER)):
        raise PermissionDenied("Hanya pemilik proses yang dapat mengelola proses.")


def _version_row(session: Session, key: str, version: int) -> ProcessDefinition:
    row: ProcessDefinition | None = session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    )
    if row is None:
        raise NotFound(f"Proses {key!r} versi {version} tidak ditemukan.")
    return row


def _draft_row(session: Session, draft_id: uuid.UUID) -> ProcessDraft:
    draft: ProcessDraft | None = session.get(ProcessDraft, draft_id)
    if draft is None:
        raise NotFound("Draf tidak ditemukan.")
    return draft


def _editable(session: Session, draft_id: uuid.UUID, revision: int) -> ProcessDraft:
    draft = _draft_row(session, draft_id)
    _refuse_deployed(draft)
    _refuse_stale(draft.revision, revision, draft.status)
    return draft


def _refuse_deployed(draft: ProcessDraft) -> None:
    if draft.status == DEPLOYED:
        raise Conflict(f"Draf ini sudah diterapkan sebagai versi {draft.deployed_version}; buat draf baru.")


def _refuse_stale(current: int, seen: int, status: str) -> None:
    if status == DEPLOYED:
        raise Conflict("Draf ini sudah diterapkan; buat draf baru.")
    if current != seen:
        raise Conflict(f"Draf sudah diubah (revisi {current}, Anda melihat revisi {seen}). Muat ulang halaman.")


def _touch(ctx: EngineContext, draft: ProcessDraft, actor: Actor) -> int:
    draft.revision += 1
    draft.status, draft.submitted_by, draft.submitted_at = DRAFT, None, None
    draft.updated_by, draft.updated_at = actor.username, ctx.clock.now()
    return draft.revision


def _filename(draft: DraftView) -> str:
    return f"{draft.key}.bpmn"


def _view(row: ProcessDraft) -> DraftView:
    return DraftView(
        id=row.id,
        key=row.key,
        base_version=row.base_version,
        xml=row.bpmn_xml,
        lane_roles={k: list(v) for k, v in row.lane_roles.items()},
        forms=dict(row.forms),
        status=row.status,
        revision=row.revision,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        approved_by=row.approved_by,
        deployed_version=row.deployed_version,
    )
