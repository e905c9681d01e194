"""A manager reading lists: orders, stock positions and purchase orders."""

from __future__ import annotations

import random

from locust import between, task

from loadtests.config import UserKind
from loadtests.users.base import ErpUser


class ManagerUser(ErpUser):
    """Pages through the lists a manager's dashboard shows, mostly the first page."""

    abstract = True
    kind = UserKind.MANAGER
    wait_time = between(0.2, 1.0)

    def _offset(self) -> int:
        return random.choice((0, 0, 0, 50))

    @task(3)
    def list_orders(self) -> None:
        self.call("GET", f"/api/v1/sales-orders?limit=50&offset={self._offset()}", "list_orders")

    @task(2)
    def list_stock(self) -> None:
        self.call("GET", f"/api/v1/stock?warehouse={self.data.warehouse}&limit=50&offset={self._offset()}",
                  "list_stock")

    @task(1)
    def list_pos(self) -> None:
        self.call("GET", f"/api/v1/purchase-orders?supplier={self.data.supplier}&limit=50", "list_pos")
