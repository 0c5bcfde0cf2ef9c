"""Schemathesis over the OpenAPI document, as three people: no request may end in a server error.

A short, bounded, reproducible run (derandomized, a few examples per operation and mode) in the
WSGI app, no network. Conformance of every answer to the document is the API tests' job; this one
asks only that whatever arrives, valid or not, is answered with a 4xx and never a 5xx.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error

from tests.builders import application
from tests.webapp.conftest import Api

pytestmark = pytest.mark.slow

ApiFor = Callable[[str], Api]
ROLES = ("ani", "dewi", "audi")  # an applicant, a staff member (fulltimer), an auditor
# Per operation, generation mode and role: the whole run stays well under a minute. A longer hunt:
# MEDIASI_FUZZ_EXAMPLES=200 .venv/bin/pytest tests/webapp/test_api_fuzz.py
EXAMPLES = int(os.environ.get("MEDIASI_FUZZ_EXAMPLES", "6"))
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


def _operations(app: Flask) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _no_server_error(operation: Any, mode: Any, headers: dict[str, str]) -> None:
    """Draw a few cases of `operation` in `mode` and send each with `headers`; any 5xx fails."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(generation_mode=mode))
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    try:
        run()
    except Unsatisfiable:
        if mode is not schemathesis.GenerationMode.NEGATIVE:
            raise  # only an operation with nothing to get wrong (no parameters, no body) has no negative case


def test_no_operation_answers_with_a_server_error(app: Flask, api: ApiFor) -> None:
    for who in ("ani", "dewi"):  # something to read: a case of the applicant's, one filed at the desk
        body: dict[str, Any] = {"data": application()}
        if who == "dewi":
            body["applicant"] = {"nama": "Ibu Warsini", "telepon": "08123456789"}
        assert api(who).post("/cases", json=body).status_code == 201
    operations = _operations(app)
    assert len(operations) > 20
    for who in ROLES:
        headers = api(who).headers
        for operation in operations:
            for mode in MODES:
                _no_server_error(operation, mode, headers)
