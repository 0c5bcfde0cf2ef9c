"""Deploying BPMN versions: validate completely, then store once per distinct content."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.bpmn.validate import FormSource, compile_definition, executable_process_id
from engine.bpmn.xml import parse_bpmn
from engine.context import EngineContext
from engine.definitions import LoadedDefinition
from engine.errors import DeploymentInvalid, PermissionDenied, Problem
from engine.events import SYSTEM_CHAIN, append_chain_event
from engine.forms import check_form_name
from engine.legal import conformance
from engine.persistence.models import ProcessDefinition
from engine.roles import Role

LANES_SUFFIX = ".lanes.json"


@dataclass(frozen=True)
class Deployment:
    """The version a deploy produced (or found identical)."""

    key: str
    version: int
    definition_id: int
    created: bool


def forms_from_directory(directory: Path) -> FormSource:
    """Read forms by plain file name from one folder, never outside it."""

    def read(name: str) -> bytes | None:
        path = directory / check_form_name(name)
        return path.read_bytes() if path.is_file() else None

    return read


def deploy(
    ctx: EngineContext,
    *,
    actor: Actor,
    xml: bytes,
    filename: str,
    lane_roles: Mapping[str, Sequence[str]] | None = None,
    forms: FormSource | None = None,
    approved_by: str | None = None,
) -> Deployment:
    """Validate `xml` with its forms and lane mapping and store it as the next version.

    Without `lane_roles`, the mapping of the latest version of the same process is reused.
    Content identical to the latest version (diagram, forms, mapping) is not deployed again.
    `approved_by` names the second process owner who approved it (two-person rule), recorded in
    the deploy event beside `actor`.

    :raises PermissionDenied, DeploymentInvalid, ConcurrentUpdate:
    """
    if not (actor.is_operator or actor.has_any(Role.PROCESS_OWNER)):
        raise PermissionDenied("Hanya pemilik proses yang dapat menerapkan diagram.")
    key = executable_process_id(parse_bpmn(xml, filename), filename)
    with ctx.unit_of_work(write=False) as uow:
        latest = _latest(uow.session, key)
        mapping = lane_roles if lane_roles is not None else (latest.lane_roles if latest else None)
    if mapping is None:
        raise DeploymentInvalid(
            [
                Problem(
                    filename,
                    None,
                    f"peta lajur-peran belum ada untuk proses {key!r}; "
                    f"sertakan berkas {Path(filename).stem}{LANES_SUFFIX}",
                )
            ]
        )
    compiled = compile_definition(xml, filename, forms or forms_from_directory(ctx.settings.forms_dir), mapping)
    conformance.ensure_lawful(compiled, xml, filename)  # every path deploys here: CLI, API, ZIP, modeler
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        latest = _latest(uow.session, key)
        if latest is not None and latest.content_hash == compiled.content_hash:
            return Deployment(key, latest.version, latest.id, created=False)
        row = ProcessDefinition(
            key=key,
            version=(latest.version + 1 if latest else 1),
            name=compiled.name,
            bpmn_xml=xml.decode("utf-8"),
            sha256=compiled.sha256,
            content_hash=compiled.content_hash,
            forms=compiled.forms,
            lane_roles=compiled.lane_roles,
            catalog=compiled.catalog.to_json(),
            deployed_by=actor.username,
            deployed_at=now,
        )
        uow.session.add(row)
        uow.flush()
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type="process_deployed",
            actor=actor.username,
            at=now,
            payload={
                "key": key,
                "version": row.version,
                "sha256": compiled.sha256,
                "content_hash": compiled.content_hash,
                "filename": Path(filename).name,
                **({"approved_by": approved_by} if approved_by else {}),
            },
        )
        result = Deployment(key, row.version, row.id, created=True)
    ctx.definitions.put(LoadedDefinition.deployed(result.definition_id, result.version, compiled))
    return result


def deploy_file(ctx: EngineContext, path: Path, *, actor: Actor) -> Deployment:
    """Deploy a .bpmn file, with the lane mapping in `<name>.lanes.json` beside it when present."""
    lanes_path = path.with_name(path.stem + LANES_SUFFIX)
    lane_roles = read_lane_roles(lanes_path) if lanes_path.is_file() else None
    return deploy(ctx, actor=actor, xml=path.read_bytes(), filename=str(path), lane_roles=lane_roles)


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


def _latest(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
