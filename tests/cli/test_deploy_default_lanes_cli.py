"""`mediasi deploy` of a new diagram without a lane map: standard lane names get the default map."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from engine.context import EngineContext
from engine.lanes import default_lane_roles
from engine.persistence.models import ProcessDefinition
from engine.settings import PROJECT_ROOT
from tests.cli.test_cli import one_line_error
from tests.engine.test_packages import package, shipped

PROCESSES = PROJECT_ROOT / "processes"


def lane_maps(ctx: EngineContext) -> dict[tuple[str, int], dict[str, list[str]]]:
    with ctx.unit_of_work(write=False) as uow:
        return {(row.key, row.version): dict(row.lane_roles) for row in uow.session.scalars(select(ProcessDefinition))}


def test_deploy_of_a_new_file_uses_the_default_map(cli, ctx: EngineContext, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mediasi_kekerasan.bpmn"
    shutil.copy(PROCESSES / path.name, path)  # no .lanes.json beside it
    status, out, _ = cli("deploy", str(path))
    assert status == 0 and "versi 1 diterapkan" in out, out
    assert lane_maps(ctx) == {("mediasi_kekerasan", 1): default_lane_roles()}


def test_deploy_of_a_new_zip_without_lanes_json_uses_the_default_map(  # type: ignore[no-untyped-def]
    cli, ctx: EngineContext, tmp_path: Path
) -> None:
    path = tmp_path / "paket.zip"
    path.write_bytes(package({n: d for n, d in shipped().items() if not n.endswith("lanes.json")}))
    status, out, _ = cli("deploy", str(path))
    assert status == 0 and "versi 1 diterapkan" in out, out
    assert lane_maps(ctx) == {("mediasi_kekerasan", 1): default_lane_roles()}


def test_deploy_of_a_non_standard_lane_without_a_map_fails_on_one_line(  # type: ignore[no-untyped-def]
    cli, ctx: EngineContext, tmp_path: Path
) -> None:
    path = tmp_path / "pengaduan_layanan.bpmn"
    shutil.copy(PROCESSES / path.name, path)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if 'name="Fulltimer"' in text)
    err = one_line_error(cli("deploy", str(path)))
    assert f"{path}:{line}: tidak ada peran yang mengerjakan lajur 'Fulltimer'" in err
    assert lane_maps(ctx) == {}
    shutil.copy(PROCESSES / "pengaduan_layanan.lanes.json", tmp_path)
    status, out, _ = cli("deploy", str(path))
    assert status == 0 and "versi 1 diterapkan" in out, out
    assert lane_maps(ctx)[("pengaduan_layanan", 1)]["Fulltimer"] == ["fulltimer"]
