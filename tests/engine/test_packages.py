"""A ZIP package deploys a diagram with its own forms and lane map, and nothing outside it."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import DeploymentInvalid
from engine.services import cases as case_service
from engine.services import packages
from engine.settings import PROJECT_ROOT
from tests.builders import application
from tests.conftest import OPERATOR
from tests.snapshots import snapshot

BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
LANES = PROJECT_ROOT / "processes" / "mediasi_kekerasan.lanes.json"
FORMS = sorted((PROJECT_ROOT / "forms").glob("*.json"))


def package(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def stored(files: dict[str, bytes]) -> bytes:
    """A package without compression, so that its members' bytes can be found and damaged."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bad_crc() -> bytes:
    """A package whose diagram's bytes no longer match their CRC-32 (one byte changed in transit)."""
    content = stored(shipped())
    at = content.index(b"<bpmn:definitions")
    return content[:at] + b"<bpmn:definitionZ" + content[at + len(b"<bpmn:definitions") :]


def broken_deflate() -> bytes:
    """A package whose diagram's compressed stream is garbage in the middle."""
    content = package(shipped())
    start = content.index(b"mediasi_kekerasan.bpmn") + len(b"mediasi_kekerasan.bpmn")
    return content[: start + 40] + b"\xff" * 64 + content[start + 104 :]


def encrypted() -> bytes:
    """A package whose members say they are encrypted (flag bit 0 in their headers)."""
    content = bytearray(stored(shipped()))
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = content.find(signature)
        while at != -1:
            content[at + flags] |= 0x01
            at = content.find(signature, at + 4)
    return bytes(content)


def shipped(*, forms_dir: str = "forms/", lanes: str = "mediasi_kekerasan.lanes.json") -> dict[str, bytes]:
    files = {"mediasi_kekerasan.bpmn": BPMN.read_bytes(), lanes: LANES.read_bytes()}
    files |= {f"{forms_dir}{path.name}": path.read_bytes() for path in FORMS}
    return files


def deploy(ctx: EngineContext, files: dict[str, bytes]) -> packages.Deployment:
    return packages.deploy_package(ctx, actor=OPERATOR, content=package(files), filename="paket.zip")


def refused(ctx: EngineContext, content: bytes) -> str:
    before = snapshot(ctx)
    with pytest.raises(DeploymentInvalid) as caught:
        packages.deploy_package(ctx, actor=OPERATOR, content=content, filename="paket.zip")
    assert snapshot(ctx) == before
    return " | ".join(str(p) for p in caught.value.problems)


def test_a_package_deploys_with_its_own_forms_and_runs(ctx: EngineContext, people: dict[str, Actor]) -> None:
    files = shipped()
    start_form = json.loads(files["forms/permohonan_mediasi.json"])
    start_form["title"] = "Permohonan (dari paket)"
    files["forms/permohonan_mediasi.json"] = json.dumps(start_form).encode()
    done = deploy(ctx, files)
    assert (done.key, done.version, done.created) == ("mediasi_kekerasan", 2, True)  # `people` deployed v1
    with ctx.unit_of_work(write=False) as uow:
        definition = ctx.definitions.get(uow.session, done.definition_id)
    assert definition.forms["permohonan_mediasi.json"]["title"] == "Permohonan (dari paket)"
    case = case_service.start_case(ctx, actor=people["ani"], data=application())
    assert case.tasks[0].element == "Task_periksa_kelengkapan"


def test_forms_at_the_root_and_a_plain_lanes_json_work_too(ctx: EngineContext) -> None:
    assert deploy(ctx, shipped(forms_dir="", lanes="lanes.json")).version == 1


def test_a_form_missing_from_the_package_is_not_taken_from_the_server(ctx: EngineContext) -> None:
    files = shipped()
    del files["forms/periksa_kelengkapan.json"]
    assert "periksa_kelengkapan.json" in refused(ctx, package(files))


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"PK\x03\x04 not really", "bukan berkas ZIP"),
        (package({"a.bpmn": BPMN.read_bytes(), "b.bpmn": BPMN.read_bytes()}), "tepat satu berkas .bpmn"),
        (package({"../x.json": b"{}", "a.bpmn": b""}), "tidak diizinkan"),
        (package({"sub/dir/x.json": b"{}", "a.bpmn": b""}), "tidak diizinkan"),
        (package({"mediasi_kekerasan.bpmn": BPMN.read_bytes(), "lanes.json": b"[1]"}), "peta lajur-peran"),
        (bad_crc(), "berkas mediasi_kekerasan.bpmn di dalam paket rusak"),
        (broken_deflate(), "berkas mediasi_kekerasan.bpmn di dalam paket rusak"),
        (encrypted(), "terenkripsi"),
    ],
)
def test_bad_packages_are_refused_and_change_nothing(ctx: EngineContext, content: bytes, says: str) -> None:
    assert says in refused(ctx, content)


def test_a_zip_bomb_entry_is_refused_before_it_is_read_whole(ctx: EngineContext) -> None:
    huge = package({"a.bpmn": b"<" + b" " * (packages.MAX_ENTRY_BYTES + 10)})
    assert "melebihi" in refused(ctx, huge)


def test_the_api_deploys_a_package(ctx: EngineContext, deployed: object, tmp_path: Path) -> None:
    from engine.services import users as user_service
    from webapp import create_app

    user_service.add_user(
        ctx, actor=OPERATOR, username="olga", full_name="Olga", roles=["process_owner"], password=None
    )
    token = user_service.create_token(ctx, actor=OPERATOR, username="olga")
    client = create_app({"TESTING": True}, ctx=ctx).test_client()
    files = shipped()
    files["forms/periksa_kelengkapan.json"] = files["forms/periksa_kelengkapan.json"].replace(
        b"{", b'{"$comment": "v2",', 1
    )
    response = client.post(
        "/api/v1/processes",
        data=package(files),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"},
    )
    assert response.status_code == 201, response.json
    assert response.json["version"] == 2
    bad = client.post(
        "/api/v1/processes", data=b"xx", headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"}
    )
    assert bad.status_code == 422 and "ZIP" in bad.json["errors"][0]["message"]


def test_a_package_whose_diagram_mediates_sexual_violence_is_refused(ctx: EngineContext) -> None:
    files = shipped()
    files["mediasi_kekerasan.bpmn"] = BPMN.read_bytes().replace(b'"seksual" not in jenis_kekerasan and ', b"", 1)
    assert 'skenario hukum "Kekerasan seksual" dapat mencapai mediasi' in refused(ctx, package(files))
