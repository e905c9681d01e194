"""200 concurrent orders for 20 units, over HTTP against a real uvicorn: exactly 20 win, nothing breaks."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.api_server import running_api
from tests.e2e.cli import run_erpops
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.slow
ORDERS, UNITS, THREADS = 200, 20, 50


def test_two_hundred_orders_race_for_twenty_units(db_env: dict[str, str]) -> None:
    assert run_erpops("db", "upgrade", env=db_env).returncode == 0
    token = json.loads(run_erpops("token", "create", "--user", "racer", "--role", "admin", "--json",
                                  env=db_env).stdout)["token"]
    auth = {"Authorization": f"Bearer {token}"}
    with running_api(db_env, free_port(), workers=2) as base, httpx.Client(base_url=base, headers=auth) as client:
        client.post("/api/v1/warehouses", json={"code": "WH-SH", "name": "上海仓"}).raise_for_status()
        client.post("/api/v1/skus", json={"code": "HOT-1", "product_code": "HOT", "product_name": "限量球鞋",
                                          "category_code": "SHOES", "category_name": "鞋",
                                          "list_price": 129900}).raise_for_status()
        client.post("/api/v1/stock/adjustments", json={"sku": "HOT-1", "warehouse": "WH-SH", "delta": UNITS,
                                                       "reason": "opening"}).raise_for_status()

        def place(n: int) -> tuple[int, str]:
            body = {"channel": "douyin", "external_id": f"DY-{n}-{uuid.uuid4().hex[:6]}", "customer_ref": f"fan{n}",
                    "lines": [{"sku": "HOT-1", "qty": 1, "unit_price": 129900}]}
            with httpx.Client(base_url=base, headers=auth, timeout=60) as own:
                response = own.post("/api/v1/sales-orders", json=body)
            return response.status_code, response.json().get("error", "")

        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = Counter(pool.map(place, range(ORDERS)))
        stock = client.get("/api/v1/stock/HOT-1").json()

    assert outcomes == Counter({(201, ""): UNITS, (409, "insufficient_stock"): ORDERS - UNITS})
    assert stock == [{"sku": "HOT-1", "warehouse": "WH-SH", "on_hand": UNITS, "reserved": UNITS, "available": 0}]
    checked = run_erpops("db", "check", "--json", env=db_env)
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout) == {"ok": True, "violations": []}
