"""Flows under `prefect_test_harness` (a temporary Prefect server for this session), with their tasks' units of
work on the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy import Engine

from infra.db import forget_engines
from infra.settings import get_settings


@pytest.fixture(scope="session")
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def erp_database(migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("ERPOPS_DATABASE_URL", migrated_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    forget_engines()
    yield migrated_engine
    get_settings.cache_clear()
    forget_engines()
