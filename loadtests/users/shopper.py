"""A shopper (through the shop front) looking up whether a SKU is in stock."""

from __future__ import annotations

import random

from locust import between, task

from loadtests.config import UserKind
from loadtests.users.base import ErpUser


class ShopperUser(ErpUser):
    """Reads one SKU's stock per warehouse, as a product page does on every view."""

    abstract = True
    kind = UserKind.SHOPPER
    wait_time = between(0.05, 0.5)

    @task
    def stock_lookup(self) -> None:
        self.call("GET", f"/api/v1/stock/{random.choice(self.data.skus)}", "stock_lookup")
