"""Locust users for the ERP API: channel order placement, and the bare-UPDATE baseline.

Run by QA directly, e.g.
  ERPOPS_LOAD_TOKEN=erp_... ERPOPS_LOAD_SKUS=SKU-1,SKU-2 locust -f loadtests/locustfile.py --host http://127.0.0.1:8000
Never import this module in a process that runs Prefect: Locust monkey-patches with gevent.
"""

from __future__ import annotations

import os
import random
import uuid

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

CHANNELS = ("tmall", "jd", "pinduoduo", "douyin", "webshop")


def _skus() -> list[str]:
    return [s for s in os.environ.get("ERPOPS_LOAD_SKUS", "").split(",") if s]


class PlaceOrderUser(FastHttpUser):
    """A marketplace connector placing one- and two-line orders with unique external ids."""

    wait_time = between(0, 0)

    def on_start(self) -> None:
        self.skus = _skus()
        self.auth = {"Authorization": f"Bearer {os.environ['ERPOPS_LOAD_TOKEN']}"}

    @task
    def place_order(self) -> None:
        lines = [{"sku": sku, "qty": random.randint(1, 3), "unit_price": 4990}
                 for sku in random.sample(self.skus, k=min(len(self.skus), random.choice((1, 2))))]
        body = {"channel": random.choice(CHANNELS), "external_id": uuid.uuid4().hex, "customer_ref": "load-buyer",
                "lines": lines}
        with self.client.post("/api/v1/sales-orders", json=body, headers=self.auth, name="place_order",
                              catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class BareUpdateUser(FastHttpUser):
    """The baseline: the same server answering with one UPDATE and no business logic."""

    wait_time = between(0, 0)

    def on_start(self) -> None:
        self.skus = _skus()

    @task
    def bare_update(self) -> None:
        self.client.post(f"/api/v1/_bench/update?sku={random.choice(self.skus)}", name="bare_update")
