"""Runbook step kind 7, through the ERP API: place, replay, pay, ship and cancel orders on a smoke SKU, then
check that its stock moved as it should. Every HTTP answer becomes a step of the report, never an exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import httpx
from pydantic import BaseModel, computed_field

from erp_models.cutover.smoke_data import SALES, WAREHOUSE, SmokeFixture

TIMEOUT_S = 30.0
SHIPPED_QTY, CANCELLED_QTY = 2, 1
PAYMENT_METHOD, CARRIER = "alipay", "smoke"


class StepName(StrEnum):
    STOCK_BEFORE = "stock_before"
    PLACE = "place"
    REPLAY = "replay"
    PAY = "pay"
    SHIP = "ship"
    PLACE_SECOND = "place_second"
    CANCEL = "cancel"
    STOCK_AFTER = "stock_after"


class SmokeStep(BaseModel):
    name: StepName
    ok: bool
    status_code: int | None  # None: no HTTP answer (the API could not be reached)
    ms: float
    detail: str


class SmokeReport(BaseModel):
    api_url: str
    tag: str
    steps: list[SmokeStep]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return len(self.steps) == len(StepName) and all(step.ok for step in self.steps)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed_step(self) -> StepName | None:
        return next((step.name for step in self.steps if not step.ok), None)


class _StepFailed(Exception):
    def __init__(self, status_code: int | None, detail: str) -> None:
        super().__init__(detail)
        self.status_code, self.detail = status_code, detail


def run_api_smoke(api_url: str, fixture: SmokeFixture) -> SmokeReport:
    """Run the steps in order against `api_url`; the first failing step ends the run and names the failure."""
    with httpx.Client(base_url=api_url.rstrip("/"), timeout=TIMEOUT_S) as client:
        return _Smoke(client, fixture).run(api_url)


class _Smoke:
    def __init__(self, client: httpx.Client, fixture: SmokeFixture) -> None:
        self.client, self.fx = client, fixture
        self.headers = {kind: {"Authorization": f"Bearer {token}"} for kind, token in fixture.tokens.items()}
        self.before: dict[str, int] = {}
        self.order_id, self.second_id = 0, 0

    def run(self, api_url: str) -> SmokeReport:
        steps: list[SmokeStep] = []
        plan: list[tuple[StepName, Callable[[], tuple[int, str]]]] = [
            (StepName.STOCK_BEFORE, self.stock_before), (StepName.PLACE, self.place), (StepName.REPLAY, self.replay),
            (StepName.PAY, self.pay), (StepName.SHIP, self.ship), (StepName.PLACE_SECOND, self.place_second),
            (StepName.CANCEL, self.cancel), (StepName.STOCK_AFTER, self.stock_after)]
        for name, step in plan:
            started = time.perf_counter()
            status: int | None
            try:
                status, detail, ok = *step(), True
            except _StepFailed as failed:
                status, detail, ok = failed.status_code, failed.detail, False
            except httpx.HTTPError as exc:
                status, detail, ok = None, f"{type(exc).__name__}: {exc}", False
            steps.append(SmokeStep(name=name, ok=ok, status_code=status, detail=detail,
                                   ms=round((time.perf_counter() - started) * 1000, 1)))
            if not ok:
                break
        return SmokeReport(api_url=api_url, tag=self.fx.tag, steps=steps)

    def call(self, method: str, path: str, kind: str, expect: int, body: object = None) -> tuple[int, Any]:
        answer = self.client.request(method, path, headers=self.headers[kind], json=body)
        if answer.status_code != expect:
            raise _StepFailed(answer.status_code, f"{method} {path} answered {answer.status_code}, expected {expect}: "
                              + answer.text[:300])
        return answer.status_code, answer.json()

    def position(self) -> dict[str, int]:
        _, rows = self.call("GET", f"/api/v1/stock/{self.fx.sku}", SALES, 200)
        row = next((r for r in rows if r["warehouse"] == self.fx.warehouse), None)
        if row is None:  # never stocked there
            return {"on_hand": 0, "reserved": 0, "available": 0}
        return {key: int(row[key]) for key in ("on_hand", "reserved", "available")}

    def expect_stock(self, **delta: int) -> str:
        now = self.position()
        wanted = {key: self.before[key] + delta.get(key, 0) for key in self.before}
        if now != wanted:
            raise _StepFailed(200, f"stock of {self.fx.sku} is {now}, expected {wanted}")
        return f"stock {now}"

    def order_body(self, n: int, qty: int) -> dict[str, object]:
        return {"channel": self.fx.channel, "external_id": f"{self.fx.tag}-{n}", "customer_ref": self.fx.customer_ref,
                "lines": [{"sku": self.fx.sku, "qty": qty, "unit_price": self.fx.unit_price}]}

    def stock_before(self) -> tuple[int, str]:
        self.before = self.position()
        return 200, f"stock {self.before}"

    def place(self) -> tuple[int, str]:
        status, body = self.call("POST", "/api/v1/sales-orders", SALES, 201, self.order_body(1, SHIPPED_QTY))
        self.order_id = int(body["id"])
        return status, f"order {self.order_id} {body['status']}; " + self.expect_stock(reserved=SHIPPED_QTY,
                                                                                         available=-SHIPPED_QTY)

    def replay(self) -> tuple[int, str]:
        status, body = self.call("POST", "/api/v1/sales-orders", SALES, 200, self.order_body(1, SHIPPED_QTY))
        if body["id"] != self.order_id:
            raise _StepFailed(status, f"the replay answered order {body['id']}, not {self.order_id}")
        return status, f"the same order {self.order_id}"

    def pay(self) -> tuple[int, str]:
        _, order = self.call("GET", f"/api/v1/sales-orders/{self.order_id}", SALES, 200)
        status, body = self.call("POST", f"/api/v1/sales-orders/{self.order_id}/payments", SALES, 201,
                                 {"amount": order["total"], "method": PAYMENT_METHOD, "external_ref": self.fx.tag})
        if body["status"] != "paid":
            raise _StepFailed(status, f"order {self.order_id} is {body['status']} after paying {order['total']}")
        return status, f"paid {order['total']} {order['currency']} minor units by {PAYMENT_METHOD}"

    def ship(self) -> tuple[int, str]:
        status, body = self.call("POST", f"/api/v1/sales-orders/{self.order_id}/shipments", WAREHOUSE, 201,
                                 {"carrier": CARRIER, "tracking_no": self.fx.tag})
        if body["status"] != "shipped":
            raise _StepFailed(status, f"order {self.order_id} is {body['status']} after shipping everything")
        return status, "shipped; " + self.expect_stock(on_hand=-SHIPPED_QTY, available=-SHIPPED_QTY)

    def place_second(self) -> tuple[int, str]:
        status, body = self.call("POST", "/api/v1/sales-orders", SALES, 201, self.order_body(2, CANCELLED_QTY))
        self.second_id = int(body["id"])
        return status, f"order {self.second_id}; " + self.expect_stock(
            on_hand=-SHIPPED_QTY, reserved=CANCELLED_QTY, available=-SHIPPED_QTY - CANCELLED_QTY)

    def cancel(self) -> tuple[int, str]:
        status, body = self.call("POST", f"/api/v1/sales-orders/{self.second_id}/cancel", SALES, 200)
        if body["status"] != "cancelled":
            raise _StepFailed(status, f"order {self.second_id} is {body['status']} after cancelling it")
        return status, "reservation released; " + self.expect_stock(on_hand=-SHIPPED_QTY, available=-SHIPPED_QTY)

    def stock_after(self) -> tuple[int, str]:
        return 200, self.expect_stock(on_hand=-SHIPPED_QTY, available=-SHIPPED_QTY)
