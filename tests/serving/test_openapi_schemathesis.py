"""Schemathesis against the app's OpenAPI document, on the small built warehouse: for every
operation, generated requests that fit the document (positive) and that break it (negative) get
no 5xx, and every response matches its documented status codes, content type and schema.

Reads use a key of ``acme`` (so they reach the data); tracking uses a key of a workspace of its
own, so the generated snapshots never land among the rows other tests read. The key is not an
admin key: admin operations answer 403 and launch nothing. Examples are bounded
(``MAX_EXAMPLES`` per operation and mode) to keep the run short.

Operations are driven with ``operation.as_strategy()`` and Hypothesis directly: schemathesis'
pytest loader for fixtures (``schemathesis.pytest.from_fixture``) sets a private attribute that
pytest 9 no longer has. The operations are listed at collection from the app's document (the
app is only built there, nothing connects), one test per operation and mode.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dagster_project.config import AnalyticsSettings
from dagster_project.serving.app import create_app
from dagster_project.serving.auth import create_api_key
from dagster_project.warehouse.database import connect
from tests.serving.reads_warehouse import ReadsWarehouse

MAX_EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ_WORKSPACE = "fuzz"
SETTINGS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def _operations() -> list[tuple[str, str]]:
    document = create_app(
        AnalyticsSettings(DATABASE_URL=SecretStr("postgresql://collect@unused/x"))
    ).openapi()
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item]


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def app(reads_warehouse: ReadsWarehouse) -> FastAPI:
    return create_app(reads_warehouse.settings.model_copy(update={"REDIS_URL": None}))


@pytest.fixture(scope="module")
def schema(app: FastAPI):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def headers(reads_warehouse: ReadsWarehouse) -> dict[str, dict[str, str]]:
    with connect(reads_warehouse.url) as conn:
        return {
            workspace: {"X-API-Key": create_api_key(conn, workspace, label="schemathesis").token}
            for workspace in ("acme", FUZZ_WORKSPACE)
        }


def test_the_document_lists_every_router():
    paths = {path for _, path in OPERATIONS}
    assert {"/analytics/dashboard/overview", "/analytics/engagement/track", "/analytics/health"} <= paths
    assert len(OPERATIONS) >= 10


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_the_document(schema, headers, method, path, mode):
    operation = schema[path][method]
    key = headers[FUZZ_WORKSPACE if path.startswith("/analytics/engagement") else "acme"]

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def exercise(case) -> None:
        case.call_and_validate(headers=key, checks=CHECKS)

    try:
        exercise()
    except Unsatisfiable:
        # Nothing in the operation can be made invalid (no parameters, no body).
        assert (
            mode is GenerationMode.NEGATIVE and not operation.body and not list(operation.iter_parameters())
        )
