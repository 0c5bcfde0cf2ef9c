"""Process versions: list, read, deploy; under the two-person rule, submit and approve."""

from __future__ import annotations

from uuid import UUID

from flask import Response, request

from engine.errors import FormInvalid
from engine.services import deploy as deploy_service
from engine.services import packages as package_service
from engine.services import processes as process_service
from webapp.api import bp
from webapp.api.support import BadRequest, body, caller, ctx, json_response, page_args, page_response

XML_TYPES = {"application/xml", "text/xml", "application/bpmn+xml"}
ZIP_TYPES = {"application/zip", "application/x-zip-compressed"}
SUBMITTED_MESSAGE = "Diajukan; versi baru berlaku setelah disetujui pemilik proses lain."


def _summary(view: process_service.ProcessView) -> dict[str, object]:
    return {"key": view.key, "version": view.version, "name": view.name, "deployed_at": view.deployed_at}


@bp.get("/processes")
def list_processes() -> Response:
    """The latest version of every process."""
    caller()
    page, per_page = page_args()
    result = process_service.list_processes(ctx(), page=page, per_page=per_page)
    return page_response(result, _summary)


@bp.get("/processes/<key>")
def get_process(key: str) -> Response:
    """The latest version of a process with its start form."""
    caller()
    view = process_service.get_process(ctx(), key)
    return json_response({**_summary(view), "start_form": view.start_form})


@bp.post("/processes")
def deploy_process() -> Response:
    """Deploy BPMN XML (forms from the server's forms/ folder) or a ZIP package of the diagram, its
    forms and lane map; 201 when a new version is made, 202 when it waits for approval."""
    actor = caller()
    if request.mimetype in ZIP_TYPES:
        content = request.get_data()
        done = package_service.deploy_package(ctx(), actor=actor, content=content, filename="paket.zip")
    elif request.mimetype in XML_TYPES:
        done = deploy_service.deploy_or_submit(ctx(), actor=actor, xml=request.get_data(), filename="permintaan.bpmn")
    else:
        raise BadRequest("Kirim BPMN (Content-Type: application/xml) atau paket ZIP (application/zip).")
    if isinstance(done, deploy_service.Submission):
        return _submitted(done)
    return _deployed(done)


@bp.post("/processes/submissions/<uuid:submission_id>/approve")
def approve_submission(submission_id: UUID) -> Response:
    """A second process owner approves a submission, optionally only at the `revision` they read: it goes live."""
    approver = caller()
    done = deploy_service.deploy_submission(ctx(), approver=approver, submission_id=submission_id, revision=_revision())
    return _deployed(done)


def _deployed(done: deploy_service.Deployment) -> Response:
    return json_response({"key": done.key, "version": done.version}, 201 if done.created else 200)


def _submitted(submission: deploy_service.Submission) -> Response:
    return json_response(
        {
            "status": "submitted",
            "submission": submission.id,
            "key": submission.key,
            "base_version": submission.base_version,
            "revision": submission.revision,
            "message": SUBMITTED_MESSAGE,
        },
        202,
    )


def _revision() -> int | None:
    """The optional `revision` of an approval's JSON body (no body: the submission as it stands)."""
    if not request.content_length:
        return None
    revision = body(optional=["revision"]).get("revision")
    if revision is not None and (not isinstance(revision, int) or isinstance(revision, bool) or revision < 1):
        raise FormInvalid({"revision": "Harus berupa bilangan bulat positif."})
    return revision
