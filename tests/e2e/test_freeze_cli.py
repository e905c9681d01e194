"""`erpops freeze` / `erpops unfreeze` as an operator meets them during a cutover, against a two-worker API:
every worker refuses the marketplace webhook with 503 and Retry-After, and accepts its retry once after."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.e2e.api_server import running_api
from tests.e2e.cli import run_erpops
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.slow


def stocked_listing(base: str, admin: dict[str, str]) -> None:
    """SKU CUP-1 with 10 in stock, sold on tmall as TM-CUP."""
    sku = {"code": "CUP-1", "product_code": "CUP", "product_name": "保温杯", "category_code": "HOME",
           "category_name": "家居", "list_price": 9900}
    for path, body in (("/skus", sku), ("/warehouses", {"code": "GZ", "name": "广州仓"}),
                       ("/stock/adjustments", {"sku": "CUP-1", "warehouse": "GZ", "delta": 10, "reason": "opening"})):
        assert httpx.post(f"{base}/api/v1{path}", json=body, headers=admin).status_code == 201
    listing = {"channel_sku": "TM-CUP", "sku": "CUP-1"}
    assert httpx.put(f"{base}/api/v1/channels/tmall/listings", json=listing, headers=admin).status_code == 204


def test_a_webhook_order_refused_during_the_freeze_is_accepted_once_after_unfreeze(db_env: dict[str, str]) -> None:
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    admin = {"Authorization": "Bearer " + run_erpops("token", "create", "--user", "ops", "--role", "admin",
                                                      env=db_env).stdout.strip()}
    order = {"external_id": "TM-20261205-1", "lines": [{"channel_sku": "TM-CUP", "qty": 2, "unit_price": 9900}]}
    webhook = "/api/v1/channels/tmall/orders"
    with running_api(db_env, free_port(), workers=2) as base:
        stocked_listing(base, admin)
        frozen = run_erpops("freeze", "--reason", "go-live", "--retry-after", "90", "--json", env=db_env)
        assert frozen.returncode == 0 and json.loads(frozen.stdout)["frozen"] is True
        for _ in range(6):  # whichever worker answers
            refused = httpx.post(f"{base}{webhook}", json=order, headers=admin)
            assert (refused.status_code, refused.headers["retry-after"]) == (503, "90")
            assert refused.json()["error"] == "frozen"
            assert httpx.get(f"{base}/api/v1/stock/CUP-1", headers=admin).json()[0]["reserved"] == 0
        status = json.loads(run_erpops("freeze", "--status", "--json", env=db_env).stdout)
        assert (status["frozen"], status["reason"], status["retry_after_s"]) == (True, "go-live", 90)

        assert run_erpops("unfreeze", env=db_env).stdout.startswith("business writes are open again")
        answers = [httpx.post(f"{base}{webhook}", json=order, headers=admin) for _ in range(3)]
        assert [a.status_code for a in answers] == [201, 200, 200]
        assert len({a.json()["id"] for a in answers}) == 1
        assert httpx.get(f"{base}/api/v1/stock/CUP-1", headers=admin).json()[0]["reserved"] == 2
    assert json.loads(run_erpops("freeze", "--status", "--json", env=db_env).stdout) == {"frozen": False}


def test_freeze_status_with_freeze_options_is_one_clear_line(db_env: dict[str, str]) -> None:
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    result = run_erpops("freeze", "--status", "--retry-after", "5", env=db_env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "erpops: --status only shows the freeze; it takes no --reason or --retry-after"]
    assert run_erpops("freeze", "--status", env=db_env).stdout.strip() == "business writes are open"
