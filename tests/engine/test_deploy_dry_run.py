"""Deploy instantiates every process once: a diagram the engine parses but cannot start is refused."""

from __future__ import annotations

import pytest

from engine.context import EngineContext
from engine.errors import DeploymentInvalid
from engine.services import deploy as deploy_service
from engine.settings import PROJECT_ROOT
from tests.conftest import OPERATOR
from tests.snapshots import snapshot

PROCESSES = PROJECT_ROOT / "processes"
CANNOT_START = "proses tidak dapat dijalankan oleh mesin: No output task connected; "
ENGINE_ID = "id 'Start' dipakai oleh mesin, ganti id elemen ini"


def renamed(process: str, element_id: str, new_id: str) -> tuple[bytes, int]:
    """A shipped diagram with one element's id (and every reference to it) renamed, and its line."""
    text = (PROCESSES / f"{process}.bpmn").read_text()
    where = text.index(f'id="{element_id}"')
    return text.replace(element_id, new_id).encode(), text[:where].count("\n") + 1


def refused(ctx: EngineContext, process: str, xml: bytes) -> list[str]:
    """Deploy `xml` as `process`, expect a refusal that changed nothing, and return its problems."""
    lanes = deploy_service.read_lane_roles(PROCESSES / f"{process}.lanes.json")
    before = snapshot(ctx)
    with pytest.raises(DeploymentInvalid) as caught:
        deploy_service.deploy(ctx, actor=OPERATOR, xml=xml, filename="uji.bpmn", lane_roles=lanes)
    assert snapshot(ctx) == before
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("process", "start_event"),
    [
        ("mediasi_kekerasan", "StartEvent_permohonan"),
        ("mediasi_kekerasan", "StartEvent_layanan"),  # the start of an embedded subprocess
        ("pengaduan_layanan", "StartEvent_pengaduan"),
    ],
)
def test_a_start_event_with_the_engines_own_id_is_refused_at_its_line(
    ctx: EngineContext, process: str, start_event: str
) -> None:
    xml, line = renamed(process, start_event, "Start")
    assert refused(ctx, process, xml) == [f"uji.bpmn:{line}: {CANNOT_START}{ENGINE_ID}"]
