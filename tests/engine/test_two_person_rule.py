"""The two-person rule on every path: with it on, only a different process owner's approval makes a version live."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import Conflict, NotFound, PermissionDenied
from engine.services import deploy as deploy_service
from engine.services import packages
from engine.services import process_drafts as drafts
from engine.services import processes as process_service
from engine.services import users as user_service
from engine.settings import PROJECT_ROOT
from tests.conftest import OPERATOR
from tests.engine.test_packages import package, shipped
from tests.engine.test_process_drafts import _system_events
from tests.snapshots import snapshot

KEY = "mediasi_kekerasan"
BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
CHANGED = BPMN.read_bytes().replace(b'name="Dirujuk"', b'name="Dirujuk ke APH"')


@pytest.fixture
def strict(ctx: EngineContext, clock: FixedClock) -> Iterator[EngineContext]:
    """The test database with the two-person rule on (MEDIASI_DEPLOY_APPROVAL=1)."""
    with_rule = EngineContext.create(replace(ctx.settings, deploy_approval=True), clock=clock)
    yield with_rule
    with_rule.close()


@pytest.fixture
def owners(ctx: EngineContext) -> dict[str, Actor]:
    """Two process owners, Olga and Pia, and a Ketua, Rina; no process deployed yet."""
    for username, role in (("olga", "process_owner"), ("pia", "process_owner"), ("rina", "ketua_lppar")):
        user_service.add_user(ctx, actor=OPERATOR, username=username, full_name=username, roles=[role], password=None)
    return {name: user_service.actor_for(ctx, name) for name in ("olga", "pia", "rina")}


def _versions(ctx: EngineContext, key: str = KEY) -> int:
    try:
        return process_service.get_process(ctx, key).version
    except NotFound:
        return 0


def _submit(ctx: EngineContext, actor: Actor, xml: bytes = CHANGED) -> deploy_service.Submission:
    lanes = deploy_service.lanes_beside(BPMN)
    done = deploy_service.deploy_or_submit(ctx, actor=actor, xml=xml, filename=str(BPMN), lane_roles=lanes)
    assert isinstance(done, deploy_service.Submission)
    return done


def test_the_engine_refuses_a_new_version_without_approval(
    strict: EngineContext, owners: dict[str, Actor], deployed: object
) -> None:
    before = snapshot(strict)
    for actor in (OPERATOR, owners["olga"]):
        with pytest.raises(deploy_service.ApprovalRequired, match="persetujuan pemilik proses lain"):
            deploy_service.deploy(strict, actor=actor, xml=CHANGED, filename=str(BPMN))
        with pytest.raises(deploy_service.ApprovalRequired):  # `initial` only for a process with no version
            deploy_service.deploy(strict, actor=actor, xml=CHANGED, filename=str(BPMN), initial=True)
    assert snapshot(strict) == before
    unchanged = deploy_service.deploy(strict, actor=owners["olga"], xml=BPMN.read_bytes(), filename=str(BPMN))
    assert (unchanged.version, unchanged.created) == (1, False)  # nothing new goes live


def test_a_submission_goes_live_only_by_another_owners_approval(
    strict: EngineContext, owners: dict[str, Actor], deployed: object
) -> None:
    olga, pia = owners["olga"], owners["pia"]
    submission = _submit(strict, olga)
    assert (submission.key, submission.base_version, submission.revision) == (KEY, 1, 1)
    assert _versions(strict) == 1  # not live
    with pytest.raises(PermissionDenied, match="pemilik proses lain, bukan pengajunya"):
        deploy_service.deploy_submission(strict, approver=olga, submission_id=submission.id)
    for outsider in (owners["rina"], OPERATOR):
        with pytest.raises(PermissionDenied, match="Hanya pemilik proses"):
            deploy_service.deploy_submission(strict, approver=outsider, submission_id=submission.id)
    with pytest.raises(Conflict, match="revisi 1"):
        deploy_service.deploy_submission(strict, approver=pia, submission_id=submission.id, revision=3)
    assert _versions(strict) == 1

    done = deploy_service.deploy_submission(strict, approver=pia, submission_id=submission.id, revision=1)
    assert (done.key, done.version, done.created) == (KEY, 2, True)
    live = process_service.get_process(strict, KEY)
    assert (live.version, live.deployed_by) == (2, "olga")  # in the submitter's name
    actor, payload = _system_events(strict, "process_deployed")[-1]
    assert (actor, payload["approved_by"], payload["version"]) == ("olga", "pia", 2)
    row = drafts.get_draft(strict, actor=pia, draft_id=submission.id)
    assert (row.status, row.submitted_by, row.approved_by, row.deployed_version) == ("deployed", "olga", "pia", 2)
    with pytest.raises(Conflict, match="tidak sedang menunggu"):
        deploy_service.deploy_submission(strict, approver=pia, submission_id=submission.id)


def test_only_a_named_process_owner_submits_and_unchanged_content_needs_nothing(
    strict: EngineContext, owners: dict[str, Actor], deployed: object
) -> None:
    for actor in (OPERATOR, owners["rina"]):
        with pytest.raises(PermissionDenied):
            deploy_service.submit(strict, actor=actor, xml=CHANGED, filename=str(BPMN))
    same = deploy_service.submit(strict, actor=owners["olga"], xml=BPMN.read_bytes(), filename=str(BPMN))
    assert isinstance(same, deploy_service.Deployment) and (same.version, same.created) == (1, False)
    assert drafts.list_drafts(strict, actor=owners["olga"]) == []
    with pytest.raises(NotFound):
        deploy_service.deploy_submission(strict, approver=owners["pia"], submission_id=uuid.uuid4())


def test_a_brand_new_process_is_submitted_from_version_0(strict: EngineContext, owners: dict[str, Actor]) -> None:
    submission = _submit(strict, owners["olga"], BPMN.read_bytes())
    assert submission.base_version == 0 and _versions(strict) == 0
    listed = drafts.list_drafts(strict, actor=owners["pia"])
    assert [(d.id, d.status, d.base_version) for d in listed] == [(submission.id, "submitted", 0)]
    done = deploy_service.deploy_submission(strict, approver=owners["pia"], submission_id=submission.id)
    assert (done.version, done.created) == (1, True)


def test_init_deploys_only_a_process_that_has_no_version(strict: EngineContext) -> None:
    first = deploy_service.deploy_file(strict, BPMN, actor=OPERATOR, initial=True)
    assert (first.version, first.created) == (1, True)
    again = deploy_service.deploy_file(strict, BPMN, actor=OPERATOR, initial=True)
    assert (again.version, again.created) == (1, False)
    with pytest.raises(deploy_service.ApprovalRequired):
        deploy_service.deploy(strict, actor=OPERATOR, xml=CHANGED, filename=str(BPMN), initial=True)
    assert _versions(strict) == 1


def test_a_zip_package_is_submitted_and_approved(
    strict: EngineContext, owners: dict[str, Actor], deployed: object
) -> None:
    files = shipped()
    files["forms/periksa_kelengkapan.json"] = files["forms/periksa_kelengkapan.json"].replace(
        b"{", b'{"$comment": "dari paket",', 1
    )
    submission = packages.deploy_package(strict, actor=owners["olga"], content=package(files), filename="paket.zip")
    assert isinstance(submission, deploy_service.Submission) and _versions(strict) == 1
    with pytest.raises(PermissionDenied, match="pemilik proses"):  # the operator has no name to submit under
        packages.deploy_package(strict, actor=OPERATOR, content=package(files), filename="paket.zip")
    done = deploy_service.deploy_submission(strict, approver=owners["pia"], submission_id=submission.id)
    assert done.version == 2
    with strict.unit_of_work(write=False) as uow:
        forms = strict.definitions.get(uow.session, done.definition_id).forms
    assert forms["periksa_kelengkapan.json"]["$comment"] == "dari paket"  # the package's form, not the server's


def test_the_modeler_goes_through_the_same_rule(
    strict: EngineContext, owners: dict[str, Actor], deployed: object
) -> None:
    olga, pia = owners["olga"], owners["pia"]
    draft_id = drafts.create_draft(strict, actor=olga, key=KEY, version=1)
    drafts.save_draft(strict, actor=olga, draft_id=draft_id, revision=1, xml=CHANGED)
    assert drafts.deploy_draft(strict, actor=olga, draft_id=draft_id, revision=2).status == "submitted"
    with pytest.raises(PermissionDenied, match="bukan pengajunya"):
        deploy_service.deploy_submission(strict, approver=olga, submission_id=draft_id)
    # An API submission opened in the modeler and changed there is no longer submitted.
    submission = _submit(strict, pia, CHANGED.replace(b'name="Dirujuk ke APH"', b'name="Dirujuk ke polisi"'))
    drafts.save_draft(strict, actor=olga, draft_id=submission.id, revision=1, xml=CHANGED)
    with pytest.raises(Conflict, match="tidak sedang menunggu"):
        deploy_service.deploy_submission(strict, approver=olga, submission_id=submission.id)
    assert drafts.approve_draft(strict, actor=pia, draft_id=draft_id, revision=2).version == 2


def test_with_the_rule_off_every_path_deploys_directly(
    ctx: EngineContext, owners: dict[str, Actor], deployed: object
) -> None:
    done = deploy_service.deploy_or_submit(ctx, actor=owners["olga"], xml=CHANGED, filename=str(BPMN))
    assert isinstance(done, deploy_service.Deployment) and (done.version, done.created) == (2, True)
    assert process_service.get_process(ctx, KEY).deployed_by == "olga"
    assert "approved_by" not in _system_events(ctx, "process_deployed")[-1][1]
