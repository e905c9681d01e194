"""The benchmark's users (loadtests/bench_api.py): order placement against the bare-UPDATE baseline.

They need the API started with ERPOPS_API_BENCH_ENDPOINTS=true (the bare endpoint) and read
ERPOPS_LOAD_TOKEN (a channel_integration token) and ERPOPS_LOAD_SKUS (comma-separated SKU codes in stock).
"""

from __future__ import annotations

import os
import random
import uuid

from locust import FastHttpUser, constant, task

CHANNELS = ("tmall", "jd", "pinduoduo", "douyin", "webshop")


def _skus() -> list[str]:
    return [s for s in os.environ.get("ERPOPS_LOAD_SKUS", "").split(",") if s]


class PlaceOrderUser(FastHttpUser):
    """A marketplace connector placing one- and two-line orders with unique external ids, with no pause."""

    wait_time = constant(0)

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

    wait_time = constant(0)

    def on_start(self) -> None:
        self.skus = _skus()

    @task
    def bare_update(self) -> None:
        self.client.post(f"/api/v1/_bench/update?sku={random.choice(self.skus)}", name="bare_update")
