"""Tasks: the caller's inbox, one task, claim, release, reassign, upload, complete."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, request

from engine.casework.views import TaskView
from engine.errors import FormInvalid
from engine.services import inbox as inbox_service
from engine.services import queries, reads, reassignment
from engine.services import tasks as task_service
from webapp.api import bp
from webapp.api.cases import case_json
from webapp.api.support import BadRequest, body, caller, ctx, json_response, page_args, page_response, query_text


def task_json(view: TaskView) -> dict[str, Any]:
    """A task as the API shows it."""
    return {
        "id": view.id,
        "case_id": view.case_id,
        "case_number": view.case_number,
        "name": view.element,
        "title": view.title,
        "lane": view.lane,
        "state": view.state,
        "created_at": view.created_at,
        "due_at": view.due_at,
        "sla_state": view.sla_state,
        "claimed_by": view.claimed_by,
    }


def inbox_task_json(view: TaskView) -> dict[str, Any]:
    """A task as the inbox lists it: with what tells its case apart from others."""
    return {
        **task_json(view),
        "victim_initials": view.victim_initials,
        "applicant": view.applicant,
        "claimed_by_name": view.claimed_by_name,
    }


@bp.get("/tasks")
def inbox() -> Response:
    """A page of the ready tasks the caller may work, most urgent first, narrowed by the filters given."""
    actor = caller()
    page, per_page = page_args(inbox_service.PER_PAGE)
    filters = inbox_service.InboxFilter(
        process=query_text("process"),
        lane=query_text("lane"),
        due=query_text("due"),
        claimed=query_text("claimed") or inbox_service.ALL,
        search=query_text("q"),
    )
    result = inbox_service.inbox_page(
        ctx(), actor=actor, filters=filters, page=page, per_page=per_page, count_limit=queries.COUNT_LIMIT
    )
    return page_response(result, inbox_task_json)


@bp.get("/tasks/<uuid:task_id>")
def get_task(task_id: UUID) -> Response:
    """One task with its form and the data its form starts from."""
    detail = task_service.get_task(ctx(), actor=caller(), task_id=task_id)
    reads.record_read(ctx(), actor=caller(), type=reads.TASK_READ, case_id=detail.task.case_id, task_id=task_id)
    return json_response(
        {
            **task_json(detail.task),
            "form": detail.form,
            "data": detail.data,
            "documentation": detail.documentation,
            **({"correction": detail.correction} if detail.correction else {}),
        }
    )


@bp.post("/tasks/<uuid:task_id>/claim")
def claim(task_id: UUID) -> Response:
    """Take a task so that only the caller can complete it."""
    return json_response(task_json(task_service.claim_task(ctx(), actor=caller(), task_id=task_id)))


@bp.post("/tasks/<uuid:task_id>/release")
def release(task_id: UUID) -> Response:
    """Give a claimed task back to its lane: the caller's own claim, or, with a `reason`, anyone's as a supervisor."""
    actor = caller()
    data = body(optional=["reason"]) if request.content_length else {}
    if "reason" not in data:
        return json_response(task_json(task_service.release_task(ctx(), actor=actor, task_id=task_id)))
    reason = _text(data, "reason")
    return json_response(task_json(reassignment.release_claim(ctx(), actor=actor, task_id=task_id, reason=reason)))


@bp.post("/tasks/<uuid:task_id>/reassign")
def reassign(task_id: UUID) -> Response:
    """Hand a task someone claimed to another person of its lane, as a supervisor, with a reason."""
    actor = caller()
    data = body(required=["to", "reason"])
    to, reason = _text(data, "to"), _text(data, "reason")
    view = reassignment.reassign_task(ctx(), actor=actor, task_id=task_id, to=to, reason=reason)
    return json_response(task_json(view))


def _text(data: dict[str, Any], field: str) -> str:
    value = data[field]
    if not isinstance(value, str):
        raise FormInvalid({field: "Harus berupa teks."})
    return value


@bp.post("/tasks/<uuid:task_id>/files")
def upload(task_id: UUID) -> Response:
    """Store one uploaded file for a task; its id goes into a `"format": "file"` field."""
    actor = caller()
    files = list(request.files.values())
    if request.mimetype != "multipart/form-data":
        raise BadRequest("Kirim berkas sebagai multipart/form-data.")
    if len(files) != 1 or not files[0].filename:
        raise FormInvalid({"file": "Kirim tepat satu berkas."})
    upload = files[0]
    document_id = task_service.attach_document(
        ctx(),
        actor=actor,
        task_id=task_id,
        filename=upload.filename or "",
        content=upload.read(),
    )
    return json_response({"id": document_id}, 201)


@bp.post("/tasks/<uuid:task_id>/complete")
def complete(task_id: UUID) -> Response:
    """Complete a task with its form data."""
    data = body(required=["data"])["data"]
    view = task_service.complete_task(ctx(), actor=caller(), task_id=task_id, data=data)
    return json_response({"case": case_json(view)})
