"""A marketplace connector: places orders with unique external ids, replays some of them, bursts at promotions."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any, ClassVar

from locust import task

from loadtests.config import UserKind
from loadtests.users.base import ErpUser

ORDERS_PATH = "/api/v1/sales-orders"


class ConnectorUser(ErpUser):
    """Pushes a channel's orders to the ERP.

    At each promotion start (the user's first second, then every `promotion_every_s`) it places a tight burst
    of `burst_orders` orders with no pause, then settles to a steady pace. Every `replay_every`-th call (10 %)
    is a retry of an order it already placed (same channel, external id and body), which must answer 200
    with the same order id.
    """

    abstract = True
    kind = UserKind.CONNECTOR
    burst_orders: ClassVar[int] = 10
    promotion_every_s: ClassVar[float] = 30.0
    replay_every: ClassVar[int] = 10
    pause_s: ClassVar[tuple[float, float]] = (0.05, 0.5)

    def on_start(self) -> None:
        super().on_start()
        self.placed: list[tuple[dict[str, Any], int]] = []
        self.calls = 0
        self.burst_left = self.burst_orders
        self.next_promotion = time.monotonic() + self.promotion_every_s

    def wait_time(self) -> float:
        if time.monotonic() >= self.next_promotion:
            self.burst_left = self.burst_orders
            self.next_promotion += self.promotion_every_s
        if self.burst_left > 0:
            self.burst_left -= 1
            return 0.0
        return random.uniform(*self.pause_s)

    @task
    def place_or_replay(self) -> None:
        self.calls += 1
        if self.placed and self.calls % self.replay_every == 0:
            self.replay_order()
        else:
            self.place_order()

    def place_order(self) -> None:
        body = {"channel": self.data.channel, "external_id": f"{self.data.tag}-{uuid.uuid4().hex[:16]}",
                "customer_ref": self.data.customer_ref,
                "lines": [{"sku": sku, "qty": random.randint(1, 3), "unit_price": random.choice((990, 4990, 12900))}
                          for sku in self.some_skus(2)]}
        answer = self.call("POST", ORDERS_PATH, "place_order", json=body, ok=(201,), context=_context(body, False))
        if answer is not None:
            self.placed = [*self.placed[-199:], (body, int(answer["id"]))]

    def replay_order(self) -> None:
        body, order_id = random.choice(self.placed)
        with self.client.post(ORDERS_PATH, name="replay_order", json=body, headers=self.auth, catch_response=True,
                              context=_context(body, True)) as response:
            if response.status_code != 200:
                response.failure(f"replay answered {response.status_code}, not 200: {(response.text or '')[:200]}")
            elif response.json().get("id") != order_id:
                response.failure(f"replay answered order {response.json().get('id')}, not {order_id}")
            else:
                response.success()


def _context(body: dict[str, Any], replay: bool) -> dict[str, Any]:
    """What the runner's order log needs from a place or replay request, besides its answer."""
    return {"external_id": body["external_id"], "channel": body["channel"], "replay": replay}
