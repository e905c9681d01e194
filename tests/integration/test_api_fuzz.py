"""Property-based fuzzing of every operation in the OpenAPI document with all of schemathesis's checks: no 5xx,
every status and body as documented, schema-valid requests accepted (2xx, or 404/409 for what the data decides),
schema-invalid ones refused. Hypothesis is derandomized, so every run tries the same inputs."""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.schemas import APIOperation
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from erp_models.system.freeze import release

EXAMPLES_PER_OPERATION = 40


def test_every_operation_keeps_its_contract_under_generated_requests(
    api_app: FastAPI, token_for: Callable[[str], dict[str, str]], migrated_engine: Engine
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    headers = token_for("admin")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    # A fuzzed POST /admin/freeze really freezes (every later write would be a 503 `frozen`): fuzz the
    # freeze endpoints last, and open writes again afterwards.
    operations.sort(key=lambda operation: operation.path.startswith("/api/v1/admin/"))
    try:
        fuzz(operations, headers)
    finally:
        with Session(migrated_engine) as session:
            release(session, by="tests")
            session.commit()


def fuzz(operations: list[APIOperation], headers: dict[str, str]) -> None:
    """Every operation, in order, with generated inputs; every check must pass."""
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), database=None)
        def keeps_the_contract(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
            case.validate_response(response)  # every check schemathesis has

        keeps_the_contract()
