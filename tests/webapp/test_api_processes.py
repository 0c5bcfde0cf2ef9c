"""POST /api/v1/processes under the two-person rule: 202 and a submission, live only by another owner's approval."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from flask import Flask

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.services import users as user_service
from engine.settings import PROJECT_ROOT
from tests.conftest import OPERATOR
from tests.engine.test_packages import bad_crc, package, shipped
from tests.webapp.conftest import Api
from webapp import create_app

BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
CHANGED = BPMN.read_bytes().replace(b'name="Dirujuk"', b'name="Dirujuk ke APH"')
XML = {"Content-Type": "application/xml"}
ZIP = {"Content-Type": "application/zip"}

ApiFor = Callable[[str], Api]


@pytest.fixture
def strict_app(ctx: EngineContext, clock: FixedClock, deployed: object) -> Iterator[Flask]:
    """The app with MEDIASI_DEPLOY_APPROVAL=1."""
    strict = EngineContext.create(replace(ctx.settings, deploy_approval=True), clock=clock)
    yield create_app({"TESTING": True}, ctx=strict)
    strict.close()


@pytest.fixture
def owners_api(strict_app: Flask, ctx: EngineContext, everyone: dict[str, Actor]) -> ApiFor:
    """`owners_api("olga")`: the strict app's API as olga; pia is a second process owner."""
    user_service.add_user(ctx, actor=OPERATOR, username="pia", full_name="Pia", roles=["process_owner"], password=None)
    client = strict_app.test_client()
    return lambda username: Api(client, user_service.create_token(ctx, actor=OPERATOR, username=username))


def _version(api: Api) -> int:
    version: int = api.get("/processes/mediasi_kekerasan").json["version"]
    return version


def test_a_deploy_is_submitted_and_goes_live_on_another_owners_approval(owners_api: ApiFor) -> None:
    olga, pia = owners_api("olga"), owners_api("pia")
    submitted = olga.post("/processes", data=CHANGED, headers=XML)
    assert submitted.status_code == 202, submitted.json
    body = submitted.json
    assert (body["status"], body["key"], body["base_version"], body["revision"]) == (
        "submitted",
        "mediasi_kekerasan",
        1,
        1,
    )
    assert "disetujui pemilik proses lain" in body["message"]
    assert _version(olga) == 1  # not live
    approve = f"/processes/submissions/{body['submission']}/approve"

    own = olga.post(approve)
    assert (own.status_code, own.json["error"]) == (403, "forbidden")
    assert "bukan pengajunya" in own.json["message"]
    assert owners_api("rina").post(approve).status_code == 403
    assert pia.post(approve, json={"revision": 2}).status_code == 409
    assert pia.post(approve, json={"revision": "1"}).json["errors"] == {
        "revision": "Harus berupa bilangan bulat positif."
    }
    assert pia.post(approve, json={"revisi": 1}).status_code == 422
    assert _version(olga) == 1

    done = pia.post(approve, json={"revision": 1})
    assert (done.status_code, done.json) == (201, {"key": "mediasi_kekerasan", "version": 2})
    assert _version(olga) == 2
    assert pia.post(approve).status_code == 409  # approved once
    assert pia.post(f"/processes/submissions/{uuid.uuid4()}/approve").status_code == 404


def test_unchanged_content_needs_no_approval(owners_api: ApiFor) -> None:
    same = owners_api("olga").post("/processes", data=BPMN.read_bytes(), headers=XML)
    assert (same.status_code, same.json) == (200, {"key": "mediasi_kekerasan", "version": 1})


def test_a_zip_package_is_submitted_too(owners_api: ApiFor) -> None:
    files = shipped()
    files["forms/periksa_kelengkapan.json"] = files["forms/periksa_kelengkapan.json"].replace(
        b"{", b'{"$comment": "v2",', 1
    )
    submitted = owners_api("olga").post("/processes", data=package(files), headers=ZIP)
    assert submitted.status_code == 202 and _version(owners_api("olga")) == 1
    done = owners_api("pia").post(f"/processes/submissions/{submitted.json['submission']}/approve")
    assert (done.status_code, done.json["version"]) == (201, 2)


def test_a_zip_with_a_bad_crc_is_an_invalid_package(api: ApiFor) -> None:
    response = api("olga").post("/processes", data=bad_crc(), headers=ZIP)
    assert (response.status_code, response.json["error"]) == (422, "invalid_bpmn")
    [problem] = response.json["errors"]
    assert "mediasi_kekerasan.bpmn di dalam paket rusak" in problem["message"]
    assert api("olga").get("/processes/mediasi_kekerasan").json["version"] == 1


def test_with_the_rule_off_approval_has_nothing_to_approve(api: ApiFor) -> None:
    new = api("olga").post("/processes", data=CHANGED, headers=XML)
    assert (new.status_code, new.json) == (201, {"key": "mediasi_kekerasan", "version": 2})
    assert api("olga").post(f"/processes/submissions/{uuid.uuid4()}/approve").status_code == 404
