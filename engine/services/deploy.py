"""Deploying BPMN versions: validate completely, then store once per distinct content.

Every version is stored by `_store`, which enforces the two-person rule (`Settings.deploy_approval`):
while it is on, a version goes live only as a second process owner's approval of a submission (a
ProcessDraft row in status "submitted"; base version 0 for a process that has none yet), deployed in
its submitter's name. The one exception is `initial`: `mediasi init` deploying a process that has
no version yet.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.bpmn.validate import CompiledDefinition, FormSource, compile_definition, executable_process_id
from engine.bpmn.xml import NS, parse_bpmn
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import Conflict, DeploymentInvalid, NotFound, PermissionDenied, Problem
from engine.events import SYSTEM_CHAIN, append_chain_event
from engine.forms import check_form_name
from engine.lanes import DEFAULT_LANE_ROLES
from engine.legal import conformance
from engine.persistence.models import ProcessDefinition, ProcessDraft
from engine.roles import Role

LANES_SUFFIX = ".lanes.json"
_NO_ROLES = "tidak ada peran yang mengerjakan lajur"  # the validator's message for a lane without roles
DRAFT, SUBMITTED, DEPLOYED = "draft", "submitted", "deployed"


class ApprovalRequired(PermissionDenied):
    """The two-person rule is on and no second process owner approved this version."""


@dataclass(frozen=True)
class Deployment:
    """The version a deploy produced (or found identical)."""

    key: str
    version: int
    definition_id: int
    created: bool


@dataclass(frozen=True)
class Submission:
    """A version waiting for a second process owner's approval (two-person rule)."""

    id: uuid.UUID
    key: str
    base_version: int
    revision: int


@dataclass(frozen=True)
class _Approval:
    submission_id: uuid.UUID
    revision: int
    approver: str


def forms_from_directory(directory: Path) -> FormSource:
    """Read forms by plain file name from one folder, never outside it."""

    def read(name: str) -> bytes | None:
        path = directory / check_form_name(name)
        return path.read_bytes() if path.is_file() else None

    return read


def forms_from_texts(forms: Mapping[str, str]) -> FormSource:
    """Read forms from a mapping of file name to JSON text (a draft's or a submission's forms)."""

    def read(name: str) -> bytes | None:
        text = forms.get(check_form_name(name))
        return text.encode() if text is not None else None

    return read


def deploy(
    ctx: EngineContext,
    *,
    actor: Actor,
    xml: bytes,
    filename: str,
    lane_roles: Mapping[str, Sequence[str]] | None = None,
    forms: FormSource | None = None,
    initial: bool = False,
) -> Deployment:
    """Validate `xml` with its forms and lane mapping and store it as the next version.

    Without `lane_roles`, the mapping of the latest version of the same process is reused; for a
    process with no version yet, the default map for the standard lane names (see `_lane_map`).
    Content identical to the latest version (diagram, forms, mapping) is not deployed again.
    Under the two-person rule a new version is refused (use `submit`), unless `initial` and the
    process has no version yet.

    :raises PermissionDenied, ApprovalRequired, DeploymentInvalid, ConcurrentUpdate:
    """
    _require_deployer(actor)
    compiled = _compile(ctx, xml=xml, filename=filename, lane_roles=lane_roles, forms=forms)
    return _store(ctx, compiled, filename=filename, deployed_by=actor.username, initial=initial)


def submit(
    ctx: EngineContext,
    *,
    actor: Actor,
    xml: bytes,
    filename: str,
    lane_roles: Mapping[str, Sequence[str]] | None = None,
    forms: FormSource | None = None,
) -> Submission | Deployment:
    """Validate as a deploy does and keep the content for a second process owner's approval.

    Content identical to the latest version needs no approval: that version is answered.

    :raises PermissionDenied (not a named process owner), DeploymentInvalid:
    """
    if not actor.has_any(Role.PROCESS_OWNER):
        raise PermissionDenied("Versi baru hanya dapat diajukan oleh pemilik proses (di CLI: --user NAMA).")
    compiled = _compile(ctx, xml=xml, filename=filename, lane_roles=lane_roles, forms=forms)
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        latest = _latest(uow.session, compiled.key)
        if latest is not None and latest.content_hash == compiled.content_hash:
            return Deployment(compiled.key, latest.version, latest.id, created=False)
        row = _submission(compiled, base_version=latest.version if latest else 0, by=actor.username, at=now)
        uow.session.add(row)
        return Submission(row.id, row.key, row.base_version, row.revision)


def deploy_or_submit(
    ctx: EngineContext,
    *,
    actor: Actor,
    xml: bytes,
    filename: str,
    lane_roles: Mapping[str, Sequence[str]] | None = None,
    forms: FormSource | None = None,
) -> Deployment | Submission:
    """Deploy, or submit for approval when the two-person rule is on (the API, CLI and ZIP paths)."""
    if ctx.settings.deploy_approval:
        return submit(ctx, actor=actor, xml=xml, filename=filename, lane_roles=lane_roles, forms=forms)
    return deploy(ctx, actor=actor, xml=xml, filename=filename, lane_roles=lane_roles, forms=forms)


def deploy_submission(
    ctx: EngineContext, *, approver: Actor, submission_id: uuid.UUID, revision: int | None = None
) -> Deployment:
    """A second process owner approves a submission: it is stored as the next version in its submitter's name.

    With `revision`, only that revision of the submission is approved (what the approver saw).

    :raises PermissionDenied (not a process owner, or the submitter), NotFound, Conflict, DeploymentInvalid:
    """
    if not approver.has_any(Role.PROCESS_OWNER):
        raise PermissionDenied("Hanya pemilik proses yang dapat menyetujui versi baru.")
    with ctx.unit_of_work(write=False) as uow:
        row = _submission_row(uow.session, submission_id)
        _check_approvable(row, approver.username, revision)
        approval = _Approval(row.id, row.revision, approver.username)
        filename, submitter, xml = f"{row.key}.bpmn", str(row.submitted_by), row.bpmn_xml.encode("utf-8")
        lanes, forms = dict(row.lane_roles), forms_from_texts(dict(row.forms))
    compiled = _compile(ctx, xml=xml, filename=filename, lane_roles=lanes, forms=forms)
    return _store(ctx, compiled, filename=filename, deployed_by=submitter, approval=approval)


def lanes_beside(path: Path) -> dict[str, list[str]] | None:
    """The lane map in `<name>.lanes.json` beside a .bpmn file, when there is one."""
    lanes_path = path.with_name(path.stem + LANES_SUFFIX)
    return read_lane_roles(lanes_path) if lanes_path.is_file() else None


def deploy_file(ctx: EngineContext, path: Path, *, actor: Actor, initial: bool = False) -> Deployment:
    """Deploy a .bpmn file, with the lane mapping in `<name>.lanes.json` beside it when present.

    Without one, the lane map is chosen as for any deploy (`_lane_map`): the previous version's,
    else the default map for the standard lane names.
    """
    return deploy(
        ctx, actor=actor, xml=path.read_bytes(), filename=str(path), lane_roles=lanes_beside(path), initial=initial
    )


def deploy_directory(ctx: EngineContext, *, actor: Actor) -> list[Deployment]:
    """Deploy every processes/*.bpmn whose content changed."""
    return [deploy_file(ctx, path, actor=actor) for path in sorted(ctx.settings.processes_dir.glob("*.bpmn"))]


def read_lane_roles(path: Path) -> dict[str, list[str]]:
    """The lane map in a `.lanes.json` file."""
    return parse_lane_roles(path.read_bytes(), str(path))


def parse_lane_roles(raw: bytes, where: str) -> dict[str, list[str]]:
    """A lane map `{"Lane name": ["role", ...]}` from JSON, or DeploymentInvalid naming `where`."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeploymentInvalid([Problem(where, getattr(exc, "lineno", None), f"JSON tidak valid: {exc}")]) from None
    valid = isinstance(data, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(r, str) for r in v) for k, v in data.items()
    )
    if not valid:
        raise DeploymentInvalid([Problem(where, 1, 'peta lajur-peran harus berbentuk {"Nama lajur": ["peran", ...]}')])
    return data


# -- helpers --------------------------------------------------------------------------------------


def _require_deployer(actor: Actor) -> None:
    if not (actor.is_operator or actor.has_any(Role.PROCESS_OWNER)):
        raise PermissionDenied("Hanya pemilik proses yang dapat menerapkan diagram.")


def _compile(
    ctx: EngineContext,
    *,
    xml: bytes,
    filename: str,
    lane_roles: Mapping[str, Sequence[str]] | None,
    forms: FormSource | None,
) -> CompiledDefinition:
    """Everything a deploy checks, outside any write transaction, with the lane map `_lane_map` chooses.

    The version stores only the lanes the diagram has, with the roles actually used for them.
    """
    tree = parse_bpmn(xml, filename)
    key = executable_process_id(tree, filename)
    with ctx.unit_of_work(write=False) as uow:
        latest = _latest(uow.session, key)
        mapping = _lane_map(lane_roles, latest.lane_roles if latest else None)
    try:
        compiled = compile_definition(xml, filename, forms or forms_from_directory(ctx.settings.forms_dir), mapping)
    except DeploymentInvalid as invalid:
        if mapping is not DEFAULT_LANE_ROLES:
            raise
        raise DeploymentInvalid(_explain_default_map(tree, invalid.problems)) from None
    conformance.ensure_lawful(compiled, xml, filename)  # every path deploys here: CLI, API, ZIP, modeler
    return compiled


def _lane_map(
    given: Mapping[str, Sequence[str]] | None, previous: Mapping[str, Sequence[str]] | None
) -> Mapping[str, Sequence[str]]:
    """The lane map a deploy uses; every deploy path chooses it here.

    Precedence, with no merging between the three:

    1. the map given with the diagram (`NAME.lanes.json` beside the file, `--lanes`, `lanes.json`
       in a ZIP, a draft's or a submission's map), used as it is: a lane it omits has no roles,
       even a lane with a standard name;
    2. without one, the map of the process's latest version, as it is (an empty map, from a diagram
       without lanes, counts as none);
    3. without either (a process deployed for the first time), the default map
       (`engine.lanes.DEFAULT_LANE_ROLES`): lanes with the standard names Pemohon, Ketua LP-PAR,
       Tim Teknis and Kepala Dinas get their default roles; any other lane has none and is refused
       at its line, as a lane missing from a given map is.
    """
    if given is not None:
        return given
    if previous:
        return previous
    return DEFAULT_LANE_ROLES


def _explain_default_map(tree: etree._ElementTree, problems: Sequence[Problem]) -> list[Problem]:
    """The problems, where a non-standard lane has no roles saying that only standard names have defaults."""
    lanes = [
        lane
        for lane in tree.getroot().xpath("//bpmn:lane", namespaces=NS)
        if lane.get("name") not in DEFAULT_LANE_ROLES
    ]
    ids = {str(lane.get("id")) for lane in lanes if lane.get("id")}
    lines = {lane.sourceline for lane in lanes}
    hint = (
        "; tanpa peta lajur-peran hanya lajur bernama baku ("
        + ", ".join(DEFAULT_LANE_ROLES)
        + ") yang mendapat peran bawaan: sertakan berkas NAMA.lanes.json di samping diagram "
        "(atau lanes.json di dalam paket ZIP)"
    )
    return [
        replace(p, message=p.message + hint)
        if p.message.startswith(_NO_ROLES) and (p.element in ids or p.line in lines)
        else p
        for p in problems
    ]


def _store(
    ctx: EngineContext,
    compiled: CompiledDefinition,
    *,
    filename: str,
    deployed_by: str,
    initial: bool = False,
    approval: _Approval | None = None,
) -> Deployment:
    """The one place a version goes live, in one transaction with the approval it needs."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        submission = _approved_submission(uow.session, approval) if approval else None
        latest = _latest(uow.session, compiled.key)
        if latest is not None and latest.content_hash == compiled.content_hash:
            result = Deployment(compiled.key, latest.version, latest.id, created=False)
        else:
            _refuse_unapproved(ctx, compiled.key, latest, approved=submission is not None, initial=initial)
            row = _definition(compiled, version=latest.version + 1 if latest else 1, by=deployed_by, at=now)
            uow.session.add(row)
            uow.flush()
            _record_deploy(uow.session, row, filename, approved_by=approval.approver if approval else None)
            result = Deployment(row.key, row.version, row.id, created=True)
        if submission is not None and approval is not None:
            submission.status, submission.deployed_version = DEPLOYED, result.version
            submission.approved_by = approval.approver
    if result.created:
        ctx.definitions.put(LoadedDefinition.deployed(result.definition_id, result.version, compiled))
    return result


def _refuse_unapproved(
    ctx: EngineContext, key: str, latest: ProcessDefinition | None, *, approved: bool, initial: bool
) -> None:
    """The two-person rule: no new version without a second process owner's approval."""
    if not ctx.settings.deploy_approval or approved or (initial and latest is None):
        return
    raise ApprovalRequired(
        f"Versi baru proses {key!r} memerlukan persetujuan pemilik proses lain (MEDIASI_DEPLOY_APPROVAL=1): "
        "ajukan dulu, lalu pemilik proses lain menyetujuinya."
    )


def _approved_submission(session: Session, approval: _Approval) -> ProcessDraft:
    """The submission being approved, locked and checked again inside the write transaction."""
    row: ProcessDraft | None = session.get(ProcessDraft, approval.submission_id, with_for_update=True)
    if row is None:
        raise NotFound("Pengajuan tidak ditemukan.")
    _check_approvable(row, approval.approver, approval.revision)
    return row


def _check_approvable(row: ProcessDraft, approver: str, revision: int | None) -> None:
    if row.status != SUBMITTED or row.submitted_by is None:
        raise Conflict("Pengajuan ini tidak sedang menunggu persetujuan.")
    if revision is not None and row.revision != revision:
        raise Conflict(
            f"Pengajuan sudah diubah (revisi {row.revision}, Anda melihat revisi {revision}); periksa lagi isinya."
        )
    if row.submitted_by == approver:
        raise PermissionDenied("Versi baru harus disetujui pemilik proses lain, bukan pengajunya.")


def _submission_row(session: Session, submission_id: uuid.UUID) -> ProcessDraft:
    row: ProcessDraft | None = session.get(ProcessDraft, submission_id)
    if row is None:
        raise NotFound("Pengajuan tidak ditemukan.")
    return row


def _submission(compiled: CompiledDefinition, *, base_version: int, by: str, at: datetime) -> ProcessDraft:
    """A submission: a draft row in status "submitted", holding exactly what was validated."""
    return ProcessDraft(
        id=uuid.uuid4(),
        key=compiled.key,
        base_version=base_version,
        bpmn_xml=compiled.xml.decode("utf-8"),
        lane_roles=compiled.lane_roles,
        forms={name: json.dumps(schema, ensure_ascii=False, indent=2) for name, schema in compiled.forms.items()},
        status=SUBMITTED,
        revision=1,
        created_by=by,
        created_at=at,
        updated_by=by,
        updated_at=at,
        submitted_by=by,
        submitted_at=at,
    )


def _definition(compiled: CompiledDefinition, *, version: int, by: str, at: datetime) -> ProcessDefinition:
    return ProcessDefinition(
        key=compiled.key,
        version=version,
        name=compiled.name,
        bpmn_xml=compiled.xml.decode("utf-8"),
        sha256=compiled.sha256,
        content_hash=compiled.content_hash,
        forms=compiled.forms,
        lane_roles=compiled.lane_roles,
        catalog=compiled.catalog.to_json(),
        deployed_by=by,
        deployed_at=at,
    )


def _record_deploy(session: Session, row: ProcessDefinition, filename: str, *, approved_by: str | None) -> None:
    """The `process_deployed` event: who deployed, and who approved under the two-person rule."""
    append_chain_event(
        session,
        SYSTEM_CHAIN,
        type="process_deployed",
        actor=row.deployed_by,
        at=row.deployed_at,
        payload={
            "key": row.key,
            "version": row.version,
            "sha256": row.sha256,
            "content_hash": row.content_hash,
            "filename": Path(filename).name,
            **({"approved_by": approved_by} if approved_by else {}),
        },
    )


def _latest(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
