"""`erpops api` as QA and integrators meet it: tokens from the CLI, OpenAPI at /docs, orders over HTTP."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.api_server import running_api
from tests.e2e.cli import run_erpops
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.slow


def test_a_token_from_the_cli_works_over_http_and_a_revoked_one_does_not(db_env: dict[str, str]) -> None:
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    created = run_erpops("token", "create", "--user", "小王", "--role", "viewer", env=db_env)
    token = created.stdout.strip()
    assert token.startswith("erp_") and "not shown again" in created.stderr
    with running_api(db_env, free_port()) as base:
        assert httpx.get(f"{base}/docs").status_code == 200
        assert "/api/v1/sales-orders" in httpx.get(f"{base}/openapi.json").json()["paths"]
        me = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["username"] == "小王" and me.json()["role"] == "viewer"
        order = {"channel": "webshop", "external_id": "W-1", "lines": [{"sku": "X", "qty": 1, "unit_price": 1}]}
        denied = httpx.post(f"{base}/api/v1/sales-orders", json=order, headers={"Authorization": f"Bearer {token}"})
        assert denied.status_code == 403
    token_id = token.split("_")[1]
    assert run_erpops("token", "revoke", token_id, env=db_env).returncode == 0
    with running_api(db_env, free_port()) as base:
        gone = httpx.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401


def test_an_unknown_role_is_one_clear_line(db_env: dict[str, str]) -> None:
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    result = run_erpops("token", "create", "--user", "u", "--role", "boss", env=db_env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "erpops: unknown role 'boss' (roles: admin, channel_integration, pm, purchaser, sales, viewer, warehouse)"
    ]


def test_the_api_port_already_taken_is_one_clear_line(db_env: dict[str, str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run_erpops("api", "--port", str(port), env=db_env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"erpops: port 127.0.0.1:{port} is already in use by another program; pass --port or set ERPOPS_API_PORT"
    ]


def test_token_json_output_is_one_document(db_env: dict[str, str]) -> None:
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    doc = json.loads(run_erpops("token", "create", "--user", "bot", "--role", "channel_integration", "--json",
                                env=db_env).stdout)
    assert doc["role"] == "channel_integration" and doc["token"].startswith("erp_")
