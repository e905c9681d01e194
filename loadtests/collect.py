"""Per-second, per-endpoint histograms, status counts and the order answers, taken from Locust's request event.

Locust keeps per-second request counts but not per-second response-time histograms, and nothing of the
answers' bodies, so the runner listens to every request itself. A worker hands what it has gathered to the
master with each stats report (`drain`), and the master `absorb`s it; a local run keeps everything in one.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, TextIO

from locust.stats import bucket_response_time


@dataclass
class SecondStats:
    """One endpoint's requests in one second."""

    requests: int = 0
    failures: int = 0
    histogram: Counter[int] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "failures": self.failures,
                "histogram": {str(ms): n for ms, n in sorted(self.histogram.items())}}


class Collector:
    """What the runner records besides Locust's own statistics; seconds are keyed by wall-clock epoch second,
    so that workers' seconds line up on the master. With `orders_sink` (the local runner's or the master's
    orders.jsonl) each order answer is written as it comes, so a long soak does not hold them all in memory;
    a worker keeps them until its next report."""

    def __init__(self, orders_sink: TextIO | None = None) -> None:
        self.orders_sink = orders_sink
        self.orders_seen = 0
        self._reset()

    def _reset(self) -> None:
        self.seconds: defaultdict[int, defaultdict[str, SecondStats]] = defaultdict(lambda: defaultdict(SecondStats))
        self.answers: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.orders: list[dict[str, Any]] = []

    def on_request(self, name: str, response_time: float | None, response: Any = None,
                   context: dict[str, Any] | None = None, exception: BaseException | None = None,
                   **_: Any) -> None:
        """Listener of Locust's `request` event."""
        entry = self.seconds[int(time.time())][name]
        entry.requests += 1
        entry.failures += exception is not None
        if response_time is not None:
            entry.histogram[bucket_response_time(response_time)] += 1
        status = getattr(response, "status_code", None) or 0
        self.answers[name][str(status)] += 1
        if context and "external_id" in context:
            self._keep([{"external_id": context["external_id"], "channel": context["channel"], "status": status,
                         "order_id": _order_id(response, status), "replay": bool(context.get("replay"))}])

    def _keep(self, orders: list[dict[str, Any]]) -> None:
        self.orders_seen += len(orders)
        if self.orders_sink is None:
            self.orders.extend(orders)
        else:
            self.orders_sink.writelines(json.dumps(order, ensure_ascii=False) + "\n" for order in orders)

    def drain(self) -> dict[str, Any]:
        """Everything gathered since the last drain, as JSON-able data; the collector starts empty again."""
        seconds = {str(t): {name: s.to_json() for name, s in per.items()} for t, per in self.seconds.items()}
        payload = {"seconds": seconds,
                   "answers": {name: dict(counts) for name, counts in self.answers.items()},
                   "orders": self.orders}
        self._reset()
        return payload

    def absorb(self, payload: dict[str, Any]) -> None:
        """Merge a worker's drained payload (histograms add bucket by bucket, never percentiles)."""
        for t, per in payload.get("seconds", {}).items():
            for name, data in per.items():
                entry = self.seconds[int(t)][name]
                entry.requests += data["requests"]
                entry.failures += data["failures"]
                entry.histogram.update({int(ms): n for ms, n in data["histogram"].items()})
        for name, counts in payload.get("answers", {}).items():
            self.answers[name].update(counts)
        self._keep(payload.get("orders", []))


def _order_id(response: Any, status: int) -> int | None:
    if status not in (200, 201):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    order_id = body.get("id") if isinstance(body, dict) else None
    return int(order_id) if isinstance(order_id, int) else None
