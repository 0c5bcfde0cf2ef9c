"""Tugas Saya: the inbox, and the page where a task's form is filled in."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.datastructures import FileStorage

from engine.bpmn.catalog import CONFIRM_CORRECTION
from engine.errors import FormInvalid, InvalidInput, NotFound
from engine.services import drafts as draft_service
from engine.services import inbox as inbox_service
from engine.services import queries as case_queries
from engine.services import reads
from engine.services import tasks as task_service
from engine.status import CaseStatus
from engine.titles import outcome_title
from webapp import form_tokens
from webapp.facts import case_facts
from webapp.formrender import EXISTING, error_summary, group_action, parse_fields, render_fields
from webapp.web import actor, ctx

bp = Blueprint("tasks", __name__, url_prefix="/tugas")
INBOX_FILTERS = ("q", "process", "lane", "due", "claimed")  # the inbox's query arguments besides the page


@bp.get("")
@login_required
def inbox() -> ResponseReturnValue:
    """The ready tasks this person may work, most urgent first, narrowed by the filters, a page at a time."""
    try:
        page = min(max(1, int(request.args.get("page", 1))), case_queries.MAX_PAGE)
    except ValueError:
        page = 1
    form = {name: request.args.get(name, "").strip() for name in INBOX_FILTERS}
    filters = inbox_service.InboxFilter(
        process=form["process"],
        lane=form["lane"],
        due=form["due"],
        claimed=form["claimed"] or inbox_service.ALL,
        search=form["q"],
    )
    try:
        result = inbox_service.inbox_page(
            ctx(),
            actor=actor(),
            filters=filters,
            page=page,
            per_page=inbox_service.PER_PAGE,
            count_limit=case_queries.COUNT_LIMIT,
        )
    except FormInvalid as invalid:  # a filter value that is none of its choices: said beside its field
        result, errors = None, invalid.errors
    else:
        errors = {}
    return render_template(
        "tasks/inbox.html",
        result=result,
        tasks=result.items if result else [],
        now=ctx().clock.now(),
        form=form,
        filtered=filters.active,
        query={name: value for name, value in form.items() if value},  # kept in the paging links
        errors=errors,
        choices=inbox_service.inbox_choices(ctx(), actor=actor()),
        due_titles=inbox_service.DUE_TITLES,
        claim_titles=inbox_service.CLAIM_TITLES,
    ), (422 if errors else 200)


@bp.post("/<uuid:task_id>/ambil")
@login_required
def claim(task_id: UUID) -> ResponseReturnValue:
    """Ambil: only this person may now complete the task."""
    task_service.claim_task(ctx(), actor=actor(), task_id=task_id)
    flash("Tugas diambil.", "info")
    return redirect(request.form.get("kembali") or url_for("tasks.inbox"))


@bp.post("/<uuid:task_id>/lepas")
@login_required
def release(task_id: UUID) -> ResponseReturnValue:
    """Lepas: the task goes back to its lane."""
    task_service.release_task(ctx(), actor=actor(), task_id=task_id)
    flash("Tugas dilepas.", "info")
    return redirect(request.form.get("kembali") or url_for("tasks.inbox"))


@bp.route("/<uuid:task_id>", methods=["GET", "POST"])
@login_required
def work(task_id: UUID) -> ResponseReturnValue:
    """Show a task's form; on submit: add or remove a group, save a draft, or complete."""
    if request.method == "GET":
        return _render(task_id, None, {})
    # Completing restores the workflow once, in the engine; the page needs only the form here.
    detail = task_service.get_task(ctx(), actor=actor(), task_id=task_id, with_data=False)
    if (spent := form_tokens.spent_task_form(detail)) is not None:  # a form sent again once its task is done
        return spent
    schema = detail.form or {"type": "object", "properties": {}}
    refused: dict[str, str] = {}
    data, errors = parse_fields(schema, request.form, request.files, _uploader(task_id, refused))
    if refused:  # a file not stored: say so beside its field, and (on "Selesaikan") every other problem too
        return _refuse(task_id, data, {**errors, **refused})
    extra = _extra_groups(data)
    if extra is not None:
        return _render(task_id, data, {}, extra_groups=extra)
    if request.form.get("aksi") == "draf":
        draft_service.save_draft(ctx(), actor=actor(), task_id=task_id, data=data)
        flash("Draf disimpan.", "info")
        return redirect(url_for("tasks.work", task_id=task_id))
    if errors:
        return _refuse(task_id, data, errors)
    try:
        view = task_service.complete_task(ctx(), actor=actor(), task_id=task_id, data=data)
    except FormInvalid as invalid:
        return _render(task_id, data, invalid.errors, status=422)
    draft_service.discard_draft(ctx(), actor=actor(), task_id=task_id)
    if detail.task.element != CONFIRM_CORRECTION and any(t.element == CONFIRM_CORRECTION for t in view.tasks):
        flash(
            "Koreksi skrining Anda dicatat. Tugas ini baru selesai setelah Kepala Dinas mengonfirmasi koreksinya; "
            "bila ditolak, tugas kembali kepada Anda.",
            "info",
        )
    else:
        flash(f"Tugas \u201c{detail.task.title}\u201d selesai.", "info")
    if view.status != CaseStatus.OPEN:
        flash(f"Kasus {view.number} selesai dengan hasil: {outcome_title(view.outcome)}.", "info")
    return redirect(url_for("tasks.inbox"))


def _refuse(task_id: UUID, data: dict[str, Any], errors: dict[str, str]) -> ResponseReturnValue:
    """The form again with the page's own errors and, when completing, every one the engine would add."""
    if group_action(request.form) is None and request.form.get("aksi") != "draf":
        found = task_service.submission_errors(ctx(), actor=actor(), task_id=task_id, data=data)
        errors = {**found, **errors}
    return _render(task_id, data, errors, status=422)


def _uploader(task_id: UUID, refused: dict[str, str]) -> Any:
    """Store each uploaded file; a refused one puts its reason in `refused` under its field's path."""

    def store(path: str, upload: FileStorage) -> str:
        try:
            document_id = task_service.attach_document(
                ctx(),
                actor=actor(),
                task_id=task_id,
                filename=upload.filename or "berkas",
                content=upload.read(),
            )
        except InvalidInput as invalid:  # wrong type, too large, over the task's or the case's limit
            refused[path] = invalid.message
            return request.form.get(path + EXISTING, "")  # keep the file uploaded before, if any
        return str(document_id)

    return store


def _extra_groups(data: dict[str, Any]) -> dict[str, int] | None:
    """After "Tambah" or "Hapus": how many empty groups to add (None when neither was pressed)."""
    action = group_action(request.form)
    if action is None:
        return None
    kind, field, _ = action
    return {field: 1} if kind == "add" else {}


def _render(
    task_id: UUID,
    values: dict[str, Any] | None,
    errors: dict[str, str],
    *,
    status: int = 200,
    extra_groups: dict[str, int] | None = None,
) -> ResponseReturnValue:
    """The task page; `values` None means: the person's draft, else the case data."""
    detail = task_service.get_task(ctx(), actor=actor(), task_id=task_id)
    reads.record_read(ctx(), actor=actor(), type=reads.TASK_READ, case_id=detail.task.case_id, task_id=task_id)
    if values is None:
        values = draft_service.get_draft(ctx(), actor=actor(), task_id=task_id) or detail.data
    schema = detail.form or {"type": "object", "properties": {}}
    try:
        case = case_queries.get_case(ctx(), detail.task.case_id, actor())
    except NotFound:  # a walk-in's or another lane's case: the task, but no link to the case page
        case = None
    return render_template(
        "tasks/task.html",
        detail=detail,
        case=case,
        facts=case_facts(detail),
        fields=render_fields(
            schema, values, errors, extra_groups=extra_groups, max_file_bytes=task_service.MAX_UPLOAD_BYTES
        ),
        form_error=errors.get("_form"),
        error_count=len(errors),
        summary=error_summary(schema, errors),
    ), status
