"""Warehouse staff shipping the load test's open orders and receiving goods against approved POs."""

from __future__ import annotations

import random
from typing import ClassVar
from urllib.parse import urlencode

from locust import between, task

from loadtests.config import UserKind
from loadtests.users.base import ErpUser
from loadtests.users.purchaser import create_approved_po


class WarehouseUser(ErpUser):
    """Ships orders the connectors placed (all open lines, by courier) and receives purchase orders in full.

    A shift repeats a round of one receipt, then `ships_per_receipt` shipments. It ships from the first page
    of the load test's placed orders; when a colleague shipped the same order first the ERP answers 409
    invalid_transition, which counts as an expected answer. A receipt needs an approved PO: the user drafts
    and approves its own (with the purchaser's token, under create_po and approve_po), so that no two staff
    receive the same PO.
    """

    abstract = True
    kind = UserKind.WAREHOUSE
    wait_time = between(0.1, 0.8)
    ships_per_receipt: ClassVar[int] = 3

    def on_start(self) -> None:
        super().on_start()
        self.round = 0

    @task
    def work(self) -> None:
        if self.round % (self.ships_per_receipt + 1) == 0:
            self.receive_goods()
        else:
            self.ship_order()
        self.round += 1

    def ship_order(self) -> None:
        query = urlencode({"status": "placed", "customer_ref": self.data.customer_ref, "limit": 20})
        page = self.call("GET", f"/api/v1/sales-orders?{query}", "orders_to_ship")
        if not page or not page["items"]:
            return
        order = random.choice(page["items"])
        self.call("POST", f"/api/v1/sales-orders/{order['id']}/shipments", "ship_order", ok=(201,),
                  json={"carrier": random.choice(("SF", "ZTO", "YTO")),
                        "tracking_no": f"{self.data.tag}-T{order['id']}"})

    def receive_goods(self) -> None:
        po_id = create_approved_po(self, self.headers_for(UserKind.PURCHASER))
        if po_id is not None:
            self.call("POST", f"/api/v1/purchase-orders/{po_id}/receipts", "receive_goods", json={}, ok=(201,))
