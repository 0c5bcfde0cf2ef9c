"""Version diff and case migration (process owner)."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from engine.errors import FormInvalid
from engine.services import migration
from webapp.api import bp
from webapp.api.support import body, caller, ctx, json_response

MAX_VERSION = 1_000_000
MAX_CASES = 1000


@bp.get("/processes/<key>/diff")
def process_diff(key: str) -> Response:
    """Elements added, removed, changed and moved between versions `from` and `to`, with colour marks."""
    actor = caller()
    versions = {name: _version(_number(request.args.get(name)), name) for name in ("from", "to")}
    diff = migration.version_diff(ctx(), key=key, from_version=versions["from"], to_version=versions["to"], actor=actor)
    return json_response({"key": key, **versions, **diff.as_json()})


@bp.post("/processes/<key>/migrations")
def migrate(key: str) -> Response:
    """Dry-run or migrate open cases from version `from` to `to`; one result per case."""
    actor = caller()
    data = body(required=("from", "to", "dry_run"), optional=("cases",))
    from_version, to_version = _version(data["from"], "from"), _version(data["to"], "to")
    dry_run, cases = _flag(data["dry_run"]), _cases(data.get("cases"))
    versions = {"key": key, "from_version": from_version, "to_version": to_version, "case_refs": cases}
    if dry_run:
        plans = migration.plan_migration(ctx(), actor=actor, **versions)
        results = [_result(p.case_id, p.number, p.can_migrate, False, p.reason) for p in plans]
    else:
        done = migration.migrate_cases(ctx(), actor=actor, **versions)
        results = [_result(m.case_id, m.number, m.migrated, m.migrated, m.reason) for m in done]
    return json_response({"key": key, "from": from_version, "to": to_version, "dry_run": dry_run, "cases": results})


def _result(case_id: Any, number: str, can_migrate: bool, migrated: bool, reason: str | None) -> dict[str, Any]:
    return {"case_id": case_id, "number": number, "can_migrate": can_migrate, "migrated": migrated, "reason": reason}


def _number(text: str | None) -> Any:
    """A query parameter as an integer when it is one (anything else stays as it is, to be refused)."""
    return int(text) if text is not None and text.isascii() and text.isdigit() and len(text) < 10 else text


def _version(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_VERSION:
        raise FormInvalid({field: "Harus nomor versi: bilangan bulat positif."})
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FormInvalid({"dry_run": "Harus true atau false."})
    return value


def _cases(value: Any) -> list[str] | None:
    if value is None:
        return None
    valid = isinstance(value, list) and len(value) <= MAX_CASES
    if not valid or not all(isinstance(v, str) and 0 < len(v.strip()) <= 100 for v in value):
        raise FormInvalid({"cases": f"Harus daftar id atau nomor kasus (paling banyak {MAX_CASES})."})
    return list(value)
