"""Process versions: list, read, deploy."""

from __future__ import annotations

from flask import Response, request

from engine.services import deploy as deploy_service
from engine.services import packages as package_service
from engine.services import processes as process_service
from webapp.api import bp
from webapp.api.support import BadRequest, caller, ctx, json_response, page_args, page_response

XML_TYPES = {"application/xml", "text/xml", "application/bpmn+xml"}
ZIP_TYPES = {"application/zip", "application/x-zip-compressed"}


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
    forms and lane map; 201 when a new version is made."""
    actor = caller()
    if request.mimetype in ZIP_TYPES:
        content = request.get_data()
        done = package_service.deploy_package(ctx(), actor=actor, content=content, filename="paket.zip")
    elif request.mimetype in XML_TYPES:
        done = deploy_service.deploy(ctx(), actor=actor, xml=request.get_data(), filename="permintaan.bpmn")
    else:
        raise BadRequest("Kirim BPMN (Content-Type: application/xml) atau paket ZIP (application/zip).")
    return json_response({"key": done.key, "version": done.version}, 201 if done.created else 200)
