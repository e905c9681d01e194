"""A purchaser drafting purchase orders from the load test's supplier and approving them."""

from __future__ import annotations

import random
import uuid
from typing import Any

from locust import between, task

from loadtests.config import UserKind
from loadtests.users.base import ErpUser

POS_PATH = "/api/v1/purchase-orders"


def create_approved_po(user: ErpUser, headers: dict[str, str]) -> int | None:
    """Draft a PO of one to three of the fixture's SKUs into its warehouse and approve it; its id, or None
    when a step failed (the failure is already recorded under create_po or approve_po)."""
    data = user.data
    body: dict[str, Any] = {"supplier": data.supplier, "warehouse": data.warehouse,
                            "number": f"{data.tag}-PO-{uuid.uuid4().hex[:12]}",
                            "lines": [{"sku": sku, "qty": random.randint(10, 100),
                                       "unit_cost": random.randint(500, 3000)} for sku in user.some_skus(3)]}
    created = user.call("POST", POS_PATH, "create_po", json=body, ok=(201,), headers=headers)
    if created is None:
        return None
    po_id = int(created["id"])
    approved = user.call("POST", f"{POS_PATH}/{po_id}/approve", "approve_po", headers=headers)
    return po_id if approved is not None else None


class PurchaserUser(ErpUser):
    """Replenishes the warehouse: each task drafts one PO and approves it."""

    abstract = True
    kind = UserKind.PURCHASER
    wait_time = between(0.2, 1.0)

    @task
    def create_and_approve_po(self) -> None:
        create_approved_po(self, self.auth)
