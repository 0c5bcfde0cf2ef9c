"""Process pages through Flask's test client: versions, XML, forms, drafts, validation, deploy, approval."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.persistence.models import User
from engine.services import cases as case_service
from engine.services import users as user_service
from tests.builders import application
from tests.conftest import OPERATOR
from tests.engine.test_process_drafts import BROKEN, KEY, SHIPPED, broken
from tests.webapp.conftest import PASSWORD, signed_in
from webapp import create_app


@pytest.fixture
def owners(ctx: EngineContext, people: dict[str, Actor]) -> dict[str, Actor]:
    """The test people, a second process owner (pia) and an auditor, all with one password."""
    for username, role in (("pia", "process_owner"), ("audi", "auditor")):
        user_service.add_user(ctx, actor=OPERATOR, username=username, full_name=username, roles=[role], password=None)
    with ctx.unit_of_work() as uow:
        uow.session.execute(update(User).values(password_hash=user_service.hash_password(PASSWORD)))
    return {**people, "pia": user_service.actor_for(ctx, "pia")}


def new_draft(client: FlaskClient, version: int = 1) -> str:
    """ "Ubah di modeler" on a version; returns the draft's page path."""
    response = client.post(f"/proses/{KEY}/{version}/draf")
    assert response.status_code == 302
    location = str(response.headers["Location"])
    assert re.fullmatch(r"/proses/draf/[0-9a-f-]{36}", location), location
    return location


def save(client: FlaskClient, draft: str, xml: str, lanes: dict[str, Any] | None = None) -> Any:
    content = client.get(f"{draft}/isi").json
    body = {"xml": xml, "lane_roles": lanes or content["lane_roles"], "revision": content["revision"]}
    return client.post(f"{draft}/simpan", json=body)


class TestVersions:
    def test_only_process_owners_see_process_pages(self, web: Flask, owners: object) -> None:
        paths = ["/proses", f"/proses/{KEY}/1", f"/proses/{KEY}/1/xml", f"/proses/{KEY}/1/formulir"]
        for username in ("rina", "ani", "audi", "kadin"):
            client = signed_in(web, username)
            assert [client.get(p).status_code for p in paths] == [403] * len(paths), username
            assert client.post(f"/proses/{KEY}/1/draf").status_code == 403
            assert 'href="/proses"' not in client.get("/").get_data(as_text=True)
        anonymous = web.test_client()
        assert anonymous.get("/proses").status_code == 302
        olga = signed_in(web, "olga")
        assert [olga.get(p).status_code for p in paths] == [200] * len(paths)
        assert 'href="/proses"' in olga.get("/proses").get_data(as_text=True)  # the menu link
        assert olga.get("/").headers["Location"] == "/proses"  # a process owner starts there

    def test_the_list_shows_every_version_with_who_when_and_open_cases(
        self, web: Flask, ctx: EngineContext, owners: dict[str, Actor]
    ) -> None:
        case_service.start_case(ctx, actor=owners["ani"], data=application())
        case_service.start_case(ctx, actor=owners["ani"], data=application())
        olga = signed_in(web, "olga")
        draft = new_draft(olga)
        save(olga, draft, SHIPPED.replace('name="Catat rujukan"', 'name="Catat rujukan dan pendampingan"'))
        revision = olga.get(f"{draft}/isi").json["revision"]
        assert olga.post(f"{draft}/terapkan", json={"revision": revision}).json["version"] == 2
        page = olga.get("/proses").get_data(as_text=True)
        section = page[page.index(f'<section aria-labelledby="proses-{KEY}">') :]
        rows = re.findall(
            r'<tr data-version="(\d+)">.*?Diterapkan oleh">([^<]+)<.*?class="kasus-berjalan">(\d+)<',
            section[: section.index("</section>")],
            re.S,
        )
        assert rows == [("2", "Olga Pemilik Proses", "0"), ("1", "Sistem (CLI: test)", "2")]
        assert "Sel, 17 Mar 2026 09.00" in page

    def test_the_xml_download_is_the_stored_version(self, web: Flask, owners: object) -> None:
        response = signed_in(web, "olga").get(f"/proses/{KEY}/1/xml")
        assert response.status_code == 200 and response.mimetype == "application/xml"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{KEY}-v1.bpmn"'
        assert response.get_data(as_text=True) == SHIPPED

    def test_the_version_page_has_its_diagram_forms_and_draft_button(self, web: Flask, owners: object) -> None:
        olga = signed_in(web, "olga")
        page = olga.get(f"/proses/{KEY}/1").get_data(as_text=True)
        assert f'data-src="/proses/{KEY}/1/xml"' in page and "Ubah di modeler" in page
        assert "bpmn-navigated-viewer.production.min.js" in page and "<script>" not in page
        forms = olga.get(f"/proses/{KEY}/1/formulir").get_data(as_text=True)
        assert "permohonan_mediasi.json" in forms and "Tim Teknis" in forms
        raw = olga.get(f"/proses/{KEY}/1/formulir/periksa_kelengkapan.json")
        assert raw.mimetype == "application/json" and raw.json["title"] == "Pemeriksaan Kelengkapan Berkas"
        assert olga.get(f"/proses/{KEY}/1/formulir/tidak_ada.json").status_code == 404
        assert olga.get(f"/proses/{KEY}/7").status_code == 404

    def test_the_diff_between_two_versions(self, web: Flask, owners: object) -> None:
        olga = signed_in(web, "olga")
        assert "Lihat perbedaan" not in olga.get(f"/proses/{KEY}/1").get_data(as_text=True)  # one version only
        draft = new_draft(olga)
        save(olga, draft, SHIPPED.replace('name="Catat rujukan"', 'name="Catat rujukan dan pendampingan"'))
        olga.post(f"{draft}/terapkan", json={"revision": 2})
        version = olga.get(f"/proses/{KEY}/2").get_data(as_text=True)
        assert "Lihat perbedaan" in version and 'action="/proses/mediasi_kekerasan/diff"' in version
        page = olga.get(f"/proses/{KEY}/diff?dari=1&ke=2").get_data(as_text=True)
        assert "Diubah (1)" in page and "Ditambahkan (0)" in page and "Dihapus (0)" in page
        assert re.search(r'<li data-element="Task_catat_rujukan"><strong>Catat rujukan dan pendampingan</strong>', page)
        marks = re.findall(r'data-marks="([^"]*)"', page)
        assert [json.loads(html.unescape(m)) for m in marks] == [
            {"Task_catat_rujukan": "beda-ubah"},
            {"Task_catat_rujukan": "beda-ubah"},
        ]
        assert olga.get(f"/proses/{KEY}/diff?dari=1&ke=x").status_code == 422
        assert olga.get(f"/proses/{KEY}/diff?dari=1&ke=9").status_code == 404
        assert signed_in(web, "rina").get(f"/proses/{KEY}/diff?dari=1&ke=2").status_code == 403


class TestDrafts:
    def test_the_modeler_page_loads_a_copy_of_the_version(self, web: Flask, owners: object) -> None:
        olga = signed_in(web, "olga")
        draft = new_draft(olga)
        page = olga.get(draft).get_data(as_text=True)
        assert "bpmn-modeler.production.min.js" in page and 'id="pemodel"' in page
        for button in ("Simpan draf", "Validasi", "Terapkan"):
            assert button in page
        content = olga.get(f"{draft}/isi").json
        assert content["xml"] == SHIPPED and content["revision"] == 1 and content["status"] == "draft"
        assert content["lane_roles"]["Tim Teknis"] == ["tim_teknis", "sekretaris"]
        assert "koordinasi_pihak_terkait.json" in content["forms"]
        assert draft.rsplit("/", 1)[1] in olga.get("/proses").get_data(as_text=True)

    @pytest.mark.parametrize("name", list(BROKEN))
    def test_validation_lists_each_problem_with_its_element(self, name: str, web: Flask, owners: object) -> None:
        olga = signed_in(web, "olga")
        draft = new_draft(olga)
        assert save(olga, draft, broken(name)).json == {"revision": 2}
        result = olga.post(f"{draft}/validasi").json
        assert result["ok"] is False
        assert BROKEN[name][2] in {p["element"] for p in result["problems"]}
        assert all(isinstance(p["line"], int) and p["message"] for p in result["problems"])
        refused = olga.post(f"{draft}/terapkan", json={"revision": 2})
        assert refused.status_code == 422 and BROKEN[name][2] in {p["element"] for p in refused.json["problems"]}

    def test_a_valid_draft_validates_clean_and_deploys(self, web: Flask, owners: object) -> None:
        olga = signed_in(web, "olga")
        draft = new_draft(olga)
        assert olga.post(f"{draft}/validasi").json == {"ok": True, "problems": []}
        stale = olga.post(f"{draft}/simpan", json={"xml": SHIPPED, "revision": 0})
        assert stale.status_code == 409 and "Muat ulang" in stale.json["message"]
        bad = olga.post(f"{draft}/simpan", json={"xml": "<bukan", "revision": 1})
        assert bad.status_code == 422 and "XML tidak valid" in bad.json["message"]
        changed = SHIPPED.replace('name="Catat rujukan"', 'name="Catat rujukan dan pendampingan"')
        assert save(olga, draft, changed).json == {"revision": 2}
        done = olga.post(f"{draft}/terapkan", json={"revision": 2})
        assert done.json == {"status": "deployed", "version": 2, "created": True, "url": f"/proses/{KEY}/2"}
        assert olga.get(f"/proses/{KEY}/2/xml").get_data(as_text=True) == changed
        assert "Versi 2 diterapkan" in olga.get(f"/proses/{KEY}/2").get_data(as_text=True)
        assert olga.post(f"{draft}/simpan", json={"xml": changed, "revision": 3}).status_code == 409

    def test_json_posts_need_the_csrf_token(self, app: Flask, owners: object) -> None:
        client = app.test_client()
        login = client.get("/masuk").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
        client.post("/masuk", data={"username": "olga", "password": PASSWORD, "csrf_token": token})
        created = client.post(f"/proses/{KEY}/1/draf", data={"csrf_token": token})
        draft = created.headers["Location"]
        assert client.post(f"{draft}/validasi").status_code == 400
        assert client.post(f"{draft}/validasi", headers={"X-CSRFToken": token}).json["ok"] is True

    def test_deleting_a_draft(self, web: Flask, owners: object) -> None:
        olga = signed_in(web, "olga")
        draft = new_draft(olga)
        assert olga.post(f"{draft}/hapus").status_code == 302
        assert olga.get(draft).status_code == 404


class TestFormEditor:
    def test_edit_a_form_with_checks_and_a_preview(self, web: Flask, owners: object) -> None:
        olga = signed_in(web, "olga")
        draft = new_draft(olga)
        editor = f"{draft}/formulir/koordinasi_pihak_terkait.json"
        page = olga.get(editor).get_data(as_text=True)
        assert 'id="skema"' in page and "Koordinasi dengan Pihak Terkait" in page
        assert 'id="pratinjau-pihak_terkait_bersedia' in page  # the preview, rendered as task pages are

        schema = json.loads(_form_text(olga, draft, "koordinasi_pihak_terkait.json"))
        schema["properties"]["catatan_baru"] = {"type": "string", "title": "Catatan baru", "maxLength": 100}
        preview = olga.post(f"{editor}/pratinjau", json={"skema": json.dumps(schema)}).json
        assert preview["ok"] is True and "Catatan baru" in preview["html"] and 'name="catatan_baru"' in preview["html"]
        open_object = {"type": "object", "properties": {"a": {"type": "string"}}}
        refused = olga.post(f"{editor}/pratinjau", json={"skema": json.dumps(open_object)}).json
        assert refused["ok"] is False and "additionalProperties" in refused["message"]

        invalid = olga.post(editor, data={"skema": json.dumps(open_object)})
        assert invalid.status_code == 422 and "Formulir belum disimpan" in invalid.get_data(as_text=True)
        assert olga.post(editor, data={"skema": json.dumps(schema, indent=2)}).status_code == 302
        assert json.loads(_form_text(olga, draft, "koordinasi_pihak_terkait.json")) == schema

        done = olga.post(f"{draft}/terapkan", json={"revision": olga.get(f"{draft}/isi").json["revision"]}).json
        assert done["version"] == 2
        deployed = olga.get(f"/proses/{KEY}/2/formulir/koordinasi_pihak_terkait.json").json
        assert "catatan_baru" in deployed["properties"]
        kept = olga.get(f"/proses/{KEY}/1/formulir/koordinasi_pihak_terkait.json").json
        assert "catatan_baru" not in kept["properties"]  # version 1 keeps its own form

    def test_a_new_form(self, web: Flask, owners: object) -> None:
        olga = signed_in(web, "olga")
        draft = new_draft(olga)
        opened = olga.get(f"{draft}/formulir-baru?nama=tinjau_ulang")
        assert opened.headers["Location"] == f"{draft}/formulir/tinjau_ulang.json"
        assert "Formulir baru" in olga.get(opened.headers["Location"]).get_data(as_text=True)
        refused = olga.get(f"{draft}/formulir-baru?nama=../x")
        assert refused.status_code == 302 and refused.headers["Location"] == draft
        assert "Nama formulir tidak sah" in olga.get(draft).get_data(as_text=True)


@pytest.fixture
def strict_web(ctx: EngineContext, clock: FixedClock, deployed: object) -> Iterator[Flask]:
    """The app with the two-person rule on (MEDIASI_DEPLOY_APPROVAL=1)."""
    strict = EngineContext.create(replace(ctx.settings, deploy_approval=True), clock=clock)
    yield create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}, ctx=strict)
    strict.close()


def test_two_person_rule(strict_web: Flask, owners: object) -> None:
    olga, pia = signed_in(strict_web, "olga"), signed_in(strict_web, "pia")
    draft = new_draft(olga)
    changed = SHIPPED.replace('name="Catat rujukan"', 'name="Catat rujukan dan pendampingan"')
    save(olga, draft, changed)
    submitted = olga.post(f"{draft}/terapkan", json={"revision": 2}).json
    assert submitted == {"status": "submitted", "url": draft}
    own_page = olga.get(draft).get_data(as_text=True)
    assert "Menunggu persetujuan" in own_page and "Setujui dan terapkan" not in own_page
    assert olga.post(f"{draft}/setujui", data={"revision": "2"}).status_code == 403
    assert olga.get(f"/proses/{KEY}/2").status_code == 404  # not live

    review = pia.get(draft).get_data(as_text=True)
    assert "Setujui dan terapkan" in review and "Diajukan oleh <strong>Olga Pemilik Proses</strong>" in review
    approved = pia.post(f"{draft}/setujui", data={"revision": "2"})
    assert approved.status_code == 302 and approved.headers["Location"] == f"/proses/{KEY}/2"
    version = pia.get(f"/proses/{KEY}/2").get_data(as_text=True)
    assert "Diterapkan oleh</dt><dd>Olga Pemilik Proses</dd>" in version


def test_an_api_submission_of_a_new_process_is_approved_on_its_page(
    strict_web: Flask, owners: dict[str, Actor], ctx: EngineContext
) -> None:
    from tests.engine.test_packages import package, shipped

    files = shipped(lanes="lanes.json")
    files["mediasi_kekerasan.bpmn"] = (
        SHIPPED.replace('id="mediasi_kekerasan"', 'id="mediasi_uji"')
        .replace('processRef="mediasi_kekerasan"', 'processRef="mediasi_uji"')
        .encode()
    )
    token = user_service.create_token(ctx, actor=OPERATOR, username="olga")
    submitted = strict_web.test_client().post(
        "/api/v1/processes",
        data=package(files),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"},
    )
    assert submitted.status_code == 202 and submitted.json["base_version"] == 0, submitted.json
    draft = f"/proses/draf/{submitted.json['submission']}"
    olga, pia = signed_in(strict_web, "olga"), signed_in(strict_web, "pia")
    listed = pia.get("/proses").get_data(as_text=True)
    assert "mediasi_uji (proses baru)" in listed and "Menunggu persetujuan (Olga Pemilik Proses)" in listed
    review = pia.get(draft).get_data(as_text=True)
    assert "Setujui dan terapkan" in review and "/proses/mediasi_uji/0" not in review
    assert "Setujui dan terapkan" not in olga.get(draft).get_data(as_text=True)
    assert olga.post(f"{draft}/setujui", data={"revision": "1"}).status_code == 403
    approved = pia.post(f"{draft}/setujui", data={"revision": "1"})
    assert approved.status_code == 302 and approved.headers["Location"] == "/proses/mediasi_uji/1"
    assert "Diterapkan oleh</dt><dd>Olga Pemilik Proses</dd>" in pia.get("/proses/mediasi_uji/1").get_data(as_text=True)


def _form_text(client: FlaskClient, draft: str, name: str) -> str:
    page = client.get(f"{draft}/formulir/{name}").get_data(as_text=True)
    match = re.search(r'<textarea id="skema"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, page
    return html.unescape(match.group(1))


class TestMigrationPage:
    def test_dry_run_then_move_the_safe_case_and_keep_the_refused_one(
        self, web: Flask, owners: dict[str, Actor], ctx: EngineContext
    ) -> None:
        from engine.services import queries as case_queries
        from tests.engine.test_migration import deploy, two_cases, without_medis

        early, tim = two_cases(ctx, owners)
        deploy(ctx, without_medis())
        olga = signed_in(web, "olga")
        diff_page = olga.get(f"/proses/{KEY}/diff?dari=1&ke=2").get_data(as_text=True)
        assert f"/proses/{KEY}/pindah?dari=1&amp;ke=2" in diff_page

        page = olga.get(f"/proses/{KEY}/pindah?dari=1&ke=2").get_data(as_text=True)
        assert f'value="{early.number}"' in page  # can move: offered, checked
        assert f'value="{tim.number}"' not in page and "Pendapat medis" in page  # refused, with its reason
        moved = olga.post(f"/proses/{KEY}/pindah?dari=1&ke=2", data={"kasus": [early.number, tim.number]})
        text = moved.get_data(as_text=True)
        assert moved.status_code == 200 and "1 dari 2 kasus dipindahkan ke versi 2." in text
        assert case_queries.get_case(ctx, early.number).process_version == 2
        assert case_queries.get_case(ctx, tim.number).process_version == 1
        assert "Pilih kasus" in olga.post(f"/proses/{KEY}/pindah?dari=1&ke=2", data={}).get_data(as_text=True)
        assert signed_in(web, "rina").get(f"/proses/{KEY}/pindah?dari=1&ke=2").status_code == 403
        assert olga.get(f"/proses/{KEY}/pindah?dari=x").status_code == 422
