"""API fixtures: the FastAPI app on the migrated test database, and tokens for every role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from erp_models.security.services import issue_token
from erpops.api.app import create_app
from tests.integration.builders import ref


@pytest.fixture(scope="session")
def api_app(migrated_engine: Engine) -> FastAPI:
    return create_app(migrated_engine.url.render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def api(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def token_for(migrated_engine: Engine) -> Callable[[str], dict[str, str]]:
    """Authorization headers of a fresh user holding `role` (committed: the app sees it)."""
    issued: dict[str, dict[str, str]] = {}

    def headers(role: str) -> dict[str, str]:
        if role not in issued:
            with Session(migrated_engine) as session:
                token = issue_token(session, username=ref(role), role=role, actor="tests").token
                session.commit()
            issued[role] = {"Authorization": f"Bearer {token}"}
        return issued[role]

    return headers


@pytest.fixture
def admin(token_for: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return token_for("admin")
