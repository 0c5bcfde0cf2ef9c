"""Malformed and oversized requests: each is a 4xx with the documented error shape, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from engine.context import EngineContext
from engine.persistence.models import User
from engine.services import users as user_service
from tests.builders import application
from tests.webapp.conftest import PASSWORD, Api, signed_in
from webapp import limits

ApiFor = Callable[[str], Api]
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def readers(ctx: EngineContext, everyone: object) -> None:
    """Everyone signs in with the page tests' password."""
    hashed = user_service.hash_password(PASSWORD)
    with ctx.unit_of_work() as uow:
        for user in uow.session.query(User).all():
            user.password_hash = hashed


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is `status` with the API's error shape `{error, message[, errors]}`."""
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "application/json"
    payload: dict[str, Any] = response.json
    assert payload["error"] == code and isinstance(payload["message"], str) and payload["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return payload


class TestWalkInApplicantFields:
    def test_wrong_types_and_empty_values_are_field_errors(self, api: ApiFor) -> None:
        body = {"applicant": {"alamat": False, "nama": "", "telepon": ""}, "process": "", "data": application()}
        payload = assert_error(api("dewi").post("/cases", json=body), 422, "invalid_data")
        assert set(payload["errors"]) >= {"applicant.alamat", "applicant.nama", "applicant.telepon", "process"}

    @pytest.mark.parametrize(
        ("applicant", "field"),
        [
            ({"nama": 1, "telepon": "08123456789"}, "applicant.nama"),
            ({"nama": "Ibu Warsini", "telepon": None}, "applicant.telepon"),
            ({"nama": "Ibu Warsini", "telepon": "08123456789", "alamat": ["a"]}, "applicant.alamat"),
            ({"nama": "Ibu Warsini", "telepon": "08123456789", "nik": "1"}, "applicant.nik"),
            ({"telepon": "08123456789"}, "applicant.nama"),
            ("Ibu Warsini", "applicant"),
        ],
    )
    def test_each_bad_field_is_named(self, api: ApiFor, applicant: Any, field: str) -> None:
        body = {"applicant": applicant, "data": application()}
        payload = assert_error(api("dewi").post("/cases", json=body), 422, "invalid_data")
        assert field in payload["errors"]

    @pytest.mark.parametrize("process", ["", 7, "tidak_ada", "x" * 500])
    def test_a_bad_process_key_is_a_4xx(self, api: ApiFor, process: Any) -> None:
        response = api("ani").post("/cases", json={"process": process, "data": application()})
        assert response.status_code in (404, 422), response.json
        assert response.json["error"] in ("not_found", "invalid_data")

    def test_data_must_be_an_object(self, api: ApiFor) -> None:
        payload = assert_error(api("ani").post("/cases", json={"data": [1, 2]}), 422, "invalid_data")
        assert "data" in payload["errors"]

    def test_null_alamat_is_still_accepted(self, api: ApiFor) -> None:
        applicant = {"nama": "Ibu Warsini", "telepon": "08123456789", "alamat": None}
        response = api("dewi").post("/cases", json={"applicant": applicant, "data": application()})
        assert response.status_code == 201, response.json


class TestJsonLimits:
    def test_json_nested_200000_deep_is_refused(self, api: ApiFor) -> None:
        deep = '{"data": ' + "[" * 200_000 + "]" * 200_000 + "}"
        payload = assert_error(api("ani").post("/cases", data=deep, headers=JSON), 400, "bad_request")
        assert "terlalu dalam" in payload["message"]

    def test_json_just_over_the_depth_cap_is_refused(self, api: ApiFor) -> None:
        depth = limits.MAX_JSON_DEPTH + 1
        deep = '{"data": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
        payload = assert_error(api("ani").post("/cases", data=deep, headers=JSON), 400, "bad_request")
        assert "terlalu dalam" in payload["message"]

    def test_too_many_keys_are_refused_before_validation(self, api: ApiFor) -> None:
        data = {f"k{i}": i for i in range(limits.MAX_JSON_ITEMS + 1)}
        payload = assert_error(api("ani").post("/cases", json={"data": data}), 400, "bad_request")
        assert "terlalu banyak" in payload["message"]

    def test_a_body_over_the_json_cap_is_413(self, api: ApiFor) -> None:
        big = '{"data": {"kronologi": "' + "a" * limits.MAX_JSON_BYTES + '"}}'
        assert_error(api("ani").post("/cases", data=big, headers=JSON), 413, "request_entity_too_large")

    @pytest.mark.parametrize(
        "raw", [b"{", b'{"data": NaN}', b"\xff\xfe", b'{"data": 1e999999}', b'"\\ud800"', b"[]" * 3]
    )
    def test_malformed_json_is_400(self, api: ApiFor, raw: bytes) -> None:
        response = api("ani").post("/cases", data=raw, headers=JSON)
        assert response.status_code in (400, 422), response.data
        assert response.json["error"] in ("bad_request", "invalid_data")

    def test_not_json_is_400(self, api: ApiFor) -> None:
        assert_error(api("ani").post("/cases", data="data=1"), 400, "bad_request")


class TestSearchLimits:
    def test_q_of_50000_characters_is_400(self, api: ApiFor) -> None:
        payload = assert_error(api("rina").get("/cases", query_string={"q": "a" * 50_000}), 400, "bad_request")
        assert "q" in payload["message"]

    def test_q_at_the_cap_still_searches(self, api: ApiFor) -> None:
        response = api("rina").get("/cases", query_string={"q": "a" * limits.MAX_QUERY_TEXT})
        assert response.status_code == 200 and response.json["total"] == 0

    @pytest.mark.parametrize("name", ["actor", "task"])
    def test_audit_search_texts_are_capped(self, api: ApiFor, name: str) -> None:
        response = api("audi").get("/audit/search", query_string={name: "a" * 50_000})
        assert_error(response, 400, "bad_request")

    def test_the_cases_page_refuses_a_huge_q(self, web: Flask, readers: object) -> None:
        response = signed_in(web, "rina").get("/kasus", query_string={"q": "a" * 50_000})
        assert response.status_code == 422
        assert "terlalu panjang" in response.get_data(as_text=True)

    @pytest.mark.parametrize("value", ["abc", "-1", "0", "99999999999999999999999"])
    def test_bad_paging_is_422(self, api: ApiFor, value: str) -> None:
        response = api("rina").get("/cases", query_string={"page": value})
        assert_error(response, 422, response.json["error"])


class TestOtherInput:
    @pytest.mark.parametrize("path", ["/cases?q=a%00b", "/processes/a%00b", "/audit/search?task=%00"])
    def test_nul_in_the_address_is_400(self, api: ApiFor, path: str) -> None:
        assert_error(api("audi").get(path), 400, "bad_request")

    def test_get_json_elsewhere_reads_within_the_caps(self, app: Flask) -> None:
        deep = "[" * 200_000 + "]" * 200_000
        with app.test_request_context("/", method="POST", data=deep, content_type="application/json"):
            assert request.get_json(silent=True) is None
        with app.test_request_context("/", method="POST", data='{"a": [1]}', content_type="application/json"):
            assert request.get_json() == {"a": [1]}

    @pytest.mark.parametrize("text", ["\\u0000", "\\ud800"])
    def test_nul_and_lone_surrogates_in_json_are_400(self, api: ApiFor, text: str) -> None:
        raw = '{"data": {"kronologi": "a' + text + '"}}'
        payload = assert_error(api("ani").post("/cases", data=raw, headers=JSON), 400, "bad_request")
        assert "tidak diizinkan" in payload["message"]


class TestLastResort:
    def test_an_unexpected_error_is_a_json_500_without_a_traceback(self, app: Flask, client: FlaskClient) -> None:
        @app.get("/api/v1/_meledak")
        def explode() -> str:
            raise RuntimeError("rahasia internal")

        payload = assert_error(client.get("/api/v1/_meledak"), 500, "internal_error")
        assert "rahasia" not in payload["message"]

    def test_an_unexpected_error_on_a_page_is_an_indonesian_page(self, app: Flask, client: FlaskClient) -> None:
        @app.get("/_meledak")
        def explode() -> str:
            raise RuntimeError("rahasia internal")

        response = client.get("/_meledak")
        text = response.get_data(as_text=True)
        assert response.status_code == 500 and response.mimetype == "text/html"
        assert "Terjadi kesalahan" in text and "rahasia" not in text and "Traceback" not in text
