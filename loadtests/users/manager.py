"""A manager reading lists: orders, stock positions and purchase orders."""

from __future__ import annotations

import random
from urllib.parse import urlencode

from locust import between, task

from loadtests.config import UserKind
from loadtests.users.base import ErpUser


class ManagerUser(ErpUser):
    """Opens a dashboard of three lists (orders, the load test's stock, its supplier's POs), mostly their
    first pages."""

    abstract = True
    kind = UserKind.MANAGER
    wait_time = between(0.5, 2.0)

    def _offset(self) -> int:
        return random.choice((0, 0, 0, 50))

    @task
    def dashboard(self) -> None:
        self.call("GET", f"/api/v1/sales-orders?limit=50&offset={self._offset()}", "list_orders")
        self.call("GET", f"/api/v1/stock?{urlencode({'warehouse': self.data.warehouse, 'limit': 50})}"
                  f"&offset={self._offset()}", "list_stock")
        self.call("GET", f"/api/v1/purchase-orders?{urlencode({'supplier': self.data.supplier, 'limit': 50})}",
                  "list_pos")
