"""Forms: only local `$ref` at deploy, never a fetch at run time, and bounded errors for any submission."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from engine.context import EngineContext
from engine.errors import DeploymentInvalid, FormInvalid, ProcessFailed
from engine.forms import FormSchemaError, check_form_schema, validate_form
from engine.services import deploy as deploy_service
from engine.settings import PROJECT_ROOT
from tests.conftest import OPERATOR
from tests.snapshots import snapshot

BPMN = PROJECT_ROOT / "processes" / "mediasi_kekerasan.bpmn"
LANES = json.loads((PROJECT_ROOT / "processes" / "mediasi_kekerasan.lanes.json").read_text())
INTEGER = {"type": "integer"}  # what a fetched schema would say: {"a": 1} would then be valid


def form(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A strict object form with `properties`."""
    return {"type": "object", "properties": properties, "additionalProperties": False, **extra}


def raw(schema: dict[str, Any]) -> bytes:
    return json.dumps(schema).encode()


def errors_of(schema: dict[str, Any], data: Any) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        validate_form(schema, data)
    return caught.value.errors


# -- $ref at deploy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "ref"),
    [
        (form({"a": {"$ref": "http://127.0.0.1:5999/ref.json"}}), "http://127.0.0.1:5999/ref.json"),
        (form({"a": {"$ref": "file:///etc/hostname"}}), "file:///etc/hostname"),
        (form({"a": {"anyOf": [{"type": "null"}, {"$ref": "lain.json#/a"}]}}), "lain.json#/a"),
        (form({"a": {"type": "array", "items": {"$dynamicRef": "https://x.example/s"}}}), "https://x.example/s"),
        (form({}, **{"$defs": {"d": {"$ref": "#anchor"}}}), "#anchor"),
    ],
    ids=["http", "file", "relative-in-anyOf", "dynamicRef-in-items", "anchor"],
)
def test_a_ref_outside_the_form_is_refused_wherever_it_is(schema: dict[str, Any], ref: str) -> None:
    with pytest.raises(FormSchemaError) as caught:
        check_form_schema(raw(schema))
    assert str(caught.value) == f"$ref {ref!r} tidak diizinkan: hanya rujukan lokal (#/...)"


def test_local_refs_are_accepted_and_validate() -> None:
    schema = form(
        {"nama": {"$ref": "#/$defs/nama"}, "lagi": {"type": "array", "items": {"$ref": "#/$defs/nama"}}},
        **{"$defs": {"nama": {"type": "string", "minLength": 1}}},
    )
    assert check_form_schema(raw(schema)) == schema
    validate_form(schema, {"nama": "Siti", "lagi": ["Ani"]})
    assert errors_of(schema, {"nama": "", "lagi": [3]}) == {"lagi.0": "Harus berupa teks.", "nama": "Wajib diisi."}


def test_deploying_a_form_with_a_remote_ref_is_refused_at_its_line(ctx: EngineContext) -> None:
    forms = {p.name: p.read_bytes() for p in (PROJECT_ROOT / "forms").glob("*.json")}
    forms["arahan_sekretaris.json"] = raw(form({"arahan": {"$ref": "http://127.0.0.1:5999/ref.json"}}))
    text = BPMN.read_text()
    line = text[: text.index('value="arahan_sekretaris.json"')].count("\n") + 1
    before = snapshot(ctx)
    with pytest.raises(DeploymentInvalid) as caught:
        deploy_service.deploy(
            ctx, actor=OPERATOR, xml=BPMN.read_bytes(), filename="uji.bpmn", lane_roles=LANES, forms=forms.get
        )
    assert snapshot(ctx) == before
    assert [str(p) for p in caught.value.problems] == [
        f"uji.bpmn:{line}: formulir 'arahan_sekretaris.json' tidak valid: "
        "$ref 'http://127.0.0.1:5999/ref.json' tidak diizinkan: hanya rujukan lokal (#/...)"
    ]


# -- no fetch at run time ----------------------------------------------------------------------------


@pytest.fixture
def ref_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that would serve a schema, and the paths it was asked for."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = json.dumps(INTEGER).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/schema+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ref.json", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_validator_never_fetches_a_remote_ref(ref_server: tuple[str, list[str]]) -> None:
    url, requests = ref_server
    schema = form({"a": {"$ref": url}})  # as if stored before deploy refused such forms
    with pytest.raises(ProcessFailed) as caught:
        validate_form(schema, {"a": 1})
    assert url in caught.value.message and "hubungi pemilik proses" in caught.value.message
    assert requests == []


def test_the_validator_never_reads_a_file_ref(tmp_path: Path) -> None:
    target = tmp_path / "ref.json"
    target.write_text(json.dumps(INTEGER))
    schema = form({"a": {"$ref": target.as_uri()}})
    with pytest.raises(ProcessFailed) as caught:
        validate_form(schema, {"a": 1})
    assert target.as_uri() in caught.value.message


# -- caps on submissions -----------------------------------------------------------------------------


def test_more_than_200_top_level_keys_is_one_error() -> None:
    schema = form({"nama": {"type": "string"}})
    data = {f"k{i}": i for i in range(600_000)}
    assert errors_of(schema, data) == {"_form": "Data formulir memuat 600000 isian; paling banyak 200."}


def test_200_unknown_keys_are_reported_as_50_and_a_count() -> None:
    schema = form({"nama": {"type": "string"}})
    errors = errors_of(schema, {f"k{i:03}": i for i in range(200)})
    assert len(errors) == 51
    assert list(errors.items())[:2] == [("k000", "Isian tidak dikenal."), ("k001", "Isian tidak dikenal.")]
    assert list(errors.items())[-1] == ("_form", "dan 150 galat lainnya")


def test_many_field_errors_are_capped_at_50_and_a_count() -> None:
    schema = form({f"f{i:03}": {"type": "string"} for i in range(120)})
    errors = errors_of(schema, {f"f{i:03}": i for i in range(120)})
    assert len(errors) == 51
    assert list(errors)[:50] == [f"f{i:03}" for i in range(50)]
    assert set(list(errors.values())[:50]) == {"Harus berupa teks."}
    assert list(errors.items())[-1] == ("_form", "dan 70 galat lainnya")


def test_a_whole_form_error_keeps_its_message_beside_the_count() -> None:
    schema = form({f"f{i:02}": {"type": "string"} for i in range(60)}, maxProperties=1)
    errors = errors_of(schema, {f"f{i:02}": i for i in range(60)})
    assert len(errors) == 51
    assert list(errors.items())[-1] == ("_form", "Isian tidak valid. (dan 10 galat lainnya)")


def test_up_to_50_errors_are_all_reported() -> None:
    schema = form({f"f{i:02}": {"type": "string"} for i in range(50)})
    errors = errors_of(schema, {f"f{i:02}": i for i in range(50)})
    assert errors == {f"f{i:02}": "Harus berupa teks." for i in range(50)}
