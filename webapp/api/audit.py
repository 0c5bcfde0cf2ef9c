"""Audit endpoints: who read a case, replay, chain status, evidence, case search, the shared chains."""

from __future__ import annotations

from uuid import UUID

from flask import Response, request

from engine.errors import FormInvalid
from engine.services import audit as audit_service
from engine.services import audit_search, evidence, reads, replays
from webapp.api import bp
from webapp.api.support import caller, ctx, json_response, page_args, page_response, query_text
from webapp.web import evidence_download


@bp.get("/cases/<uuid:case_id>/access")
def case_access(case_id: UUID) -> Response:
    """Who read the case and when, newest first (auditor, dpo)."""
    page, per_page = page_args()
    result = reads.case_access(ctx(), actor=caller(), case_ref=case_id, page=page, per_page=per_page)
    return page_response(
        result,
        lambda a: {
            "seq": a.seq,
            "type": a.type,
            "actor": a.actor,
            "at": a.at,
            "task_id": a.task_id,
            "detail": a.detail,
        },
    )


@bp.get("/cases/<uuid:case_id>/replay")
def case_replay(case_id: UUID) -> Response:
    """Re-run the case from its events and compare every step with the record (auditor)."""
    to_step = _to_step()
    report = replays.replay_case(ctx(), case_ref=case_id, actor=caller(), to_step=to_step)
    reads.record_read(ctx(), actor=caller(), type=reads.CASE_READ, case_id=case_id, detail={"view": "replay"})
    return json_response(report.as_json())


def _to_step() -> int | None:
    raw = request.args.get("to_step")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise FormInvalid({"to_step": "Harus bilangan bulat positif."})
    return int(raw)


@bp.get("/cases/<uuid:case_id>/chain")
def case_chain(case_id: UUID) -> Response:
    """Recompute the case's hash chain now."""
    return json_response(audit_service.chain_status(ctx(), actor=caller(), case_ref=str(case_id)).as_json())


@bp.get("/cases/<uuid:case_id>/evidence")
def case_evidence(case_id: UUID) -> Response:
    """The case's evidence package (ZIP); the export is logged (auditor)."""
    return evidence_download(evidence.export_evidence(ctx(), actor=caller(), case_ref=case_id))


@bp.get("/audit/search")
def search() -> Response:
    """Cases whose history has an event by `actor`, on `task`, between `since` and `until` (auditor)."""
    page, per_page = page_args()
    result = audit_search.search_cases(
        ctx(),
        actor=caller(),
        who=query_text("actor"),
        task=query_text("task"),
        since=audit_search.parse_day(request.args.get("since", ""), "since"),
        until=audit_search.parse_day(request.args.get("until", ""), "until"),
        page=page,
        per_page=per_page,
    )
    return page_response(result, lambda h: h)


@bp.get("/audit/chains/<chain>")
def chain(chain: str) -> Response:
    """A page of the access or system chain, newest first (dpo, auditor)."""
    page, per_page = page_args()
    result = audit_search.chain_events(ctx(), actor=caller(), chain=chain, page=page, per_page=per_page)
    return page_response(result, lambda e: e)
