"""Every write endpoint: 401 without a token, 403 for a role without its permission, admitted with it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from erp_models.security.permissions import PERMISSIONS, ROLE_PERMISSIONS
from erpops.api.app import create_app

Tokens = Callable[[str], dict[str, str]]

WRITE_METHODS = {"post", "put", "patch", "delete"}
PATH_VALUES = {"{order_id}": "1", "{po_id}": "1", "{channel}": "tmall", "{feedback_id}": "1", "{training_id}": "1"}


def write_operations() -> list[tuple[str, str]]:
    """(METHOD, concrete path) of every write operation in the public OpenAPI document."""
    doc = create_app("postgresql+psycopg://unused@/unused?host=/nonexistent").openapi()
    found = []
    for path, item in doc["paths"].items():
        for method in set(item) & WRITE_METHODS:
            for name, value in PATH_VALUES.items():
                path = path.replace(name, value)
            found.append((method.upper(), path))
    return sorted(found)


WRITES = write_operations()


@pytest.fixture(autouse=True)
def writes_open_afterwards(api: TestClient, token_for: Tokens) -> Iterator[None]:
    """The admin's pass through POST /admin/freeze really freezes: open writes again for the next test."""
    yield
    assert api.post("/api/v1/admin/unfreeze", headers=token_for("admin")).status_code == 200


def permission_demanded(api: TestClient, headers: dict[str, str], method: str, path: str) -> str:
    """The permission a 403 names; the viewer role holds no write permission, so it always gets one."""
    response = api.request(method, path, json={}, headers=headers)
    assert response.status_code == 403, response.text
    match = re.fullmatch(r"role '(\w+)' lacks permission '([\w.]+)'", response.json()["detail"])
    assert match is not None, response.text
    return match.group(2)


def test_the_api_has_write_endpoints_for_every_module(api: TestClient, token_for: Tokens) -> None:
    demanded = {permission_demanded(api, token_for("viewer"), method, path) for method, path in WRITES}
    modules = {"sales", "inventory", "procurement", "channel", "catalogue", "system"}
    assert {p.split(".")[0] for p in demanded} >= modules
    assert demanded <= set(PERMISSIONS)


def test_adding_a_channel_or_payment_method_takes_the_sales_vocabulary_permission(
    api: TestClient, token_for: Tokens
) -> None:
    assert {("POST", "/api/v1/channels"), ("POST", "/api/v1/payment-methods")} <= set(WRITES)
    for path in ("/api/v1/channels", "/api/v1/payment-methods"):
        assert permission_demanded(api, token_for("viewer"), "POST", path) == "sales.vocabulary"
    assert [role.value for role, granted in ROLE_PERMISSIONS.items() if "sales.vocabulary" in granted] == ["admin"]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_without_a_token_the_answer_is_401(api: TestClient, method: str, path: str) -> None:
    response = api.request(method, path, json={})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_every_role_without_the_permission_gets_403_and_one_with_it_gets_past(
    api: TestClient, token_for: Tokens, method: str, path: str
) -> None:
    permission = permission_demanded(api, token_for("viewer"), method, path)
    for role, granted in ROLE_PERMISSIONS.items():
        response = api.request(method, path, json={}, headers=token_for(role.value))
        if permission in granted:
            assert response.status_code not in (401, 403, 500), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"] == "permission_denied"


def test_only_the_admin_freezes_and_unfreezes_writes_and_every_reader_sees_the_freeze(
    api: TestClient, token_for: Tokens
) -> None:
    for path in ("/api/v1/admin/freeze", "/api/v1/admin/unfreeze"):
        assert ("POST", path) in WRITES
        assert permission_demanded(api, token_for("viewer"), "POST", path) == "system.freeze"
    assert [role.value for role, granted in ROLE_PERMISSIONS.items() if "system.freeze" in granted] == ["admin"]
    assert api.get("/api/v1/admin/freeze", headers=token_for("viewer")).json()["frozen"] is False


def test_a_forged_token_is_401(api: TestClient) -> None:
    forged = {"Authorization": "Bearer erp_00000000_thisisnotarealtokenatall"}
    assert api.get("/api/v1/me", headers=forged).status_code == 401
