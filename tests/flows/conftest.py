"""Flows under `prefect_test_harness` (a temporary Prefect server for this session), with their tasks' units of
work on the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import Engine


@pytest.fixture(scope="session")
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def erp_database(tasks_on_test_database: Engine) -> Engine:
    return tasks_on_test_database
