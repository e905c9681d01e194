"""The ERP's invariants after a load-test run, read from the database (never from what Locust saw).

- `db_check`: every check of `erpops db check` holds (no negative stock, no over-reservation, ledger = on_hand ...);
- `order_answered_201`: every order answered 201 exists exactly once, under the id the answer gave;
- `replay_same_order`: every replay answered 200 names the order its external id was placed as;
- `reservations`: for the run's SKUs, reserved = Σ open quantity of the lines of orders not cancelled;
- `oversold`: for the run's SKUs, the open order lines never exceed the stock on hand;
- `outbox`: one outbox event per state change of the run's orders, purchase orders and stock adjustments.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.invariants import find_violations
from erp_models.loadtest.outbox_checks import outbox_mismatches

SAMPLES = 5


@dataclass(frozen=True)
class OrderAnswer:
    """One place/replay answer the runner saw (a line of orders.jsonl)."""

    external_id: str
    channel: str
    status: int
    order_id: int | None
    replay: bool


@dataclass(frozen=True)
class InvariantViolation:
    check: str
    description: str
    count: int
    samples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InvariantReport:
    ok: bool
    violations: list[InvariantViolation]
    checked: dict[str, int]  # what was looked at: answers, orders, stock rows, events

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "checked": dict(self.checked),
                "violations": [{"check": v.check, "description": v.description, "count": v.count,
                                "samples": list(v.samples)} for v in self.violations]}


def parse_order_answers(lines: Iterable[str]) -> list[OrderAnswer]:
    """orders.jsonl, one JSON object a line; blank lines are skipped."""
    answers = []
    for line in lines:
        if line.strip():
            raw = json.loads(line)
            order_id = raw.get("order_id")
            answers.append(OrderAnswer(external_id=str(raw["external_id"]), channel=str(raw["channel"]),
                                       status=int(raw["status"]), order_id=None if order_id is None else int(order_id),
                                       replay=bool(raw.get("replay", False))))
    return answers


def _violation(check: str, description: str, found: list[str]) -> list[InvariantViolation]:
    return [InvariantViolation(check, description, len(found), found[:SAMPLES])] if found else []


def check_invariants(session: Session, *, tag: str, answers: list[OrderAnswer]) -> InvariantReport:
    """Every invariant above; `ok` only when none is violated."""
    violations = [InvariantViolation(f"db_check:{v.check}", v.description, v.count,
                                     [json.dumps(s, default=str) for s in v.samples])
                  for v in find_violations(session)]
    violations += _answered_orders(session, answers)
    stock_rows, stock_violations = _reservations(session, tag)
    violations += stock_violations
    events, outbox = outbox_mismatches(session, tag=tag)
    violations += _violation("outbox", "a state change without exactly one outbox event", outbox)
    checked = {"answers": len(answers), "answered_201": sum(a.status == 201 for a in answers),
               "replays_200": sum(a.status == 200 for a in answers), "stock_rows": stock_rows, "events": events}
    return InvariantReport(ok=not violations, violations=violations, checked=checked)


def _answered_orders(session: Session, answers: list[OrderAnswer]) -> list[InvariantViolation]:
    answered = [a for a in answers if a.status in (200, 201)]
    keys = sorted({(a.channel, a.external_id) for a in answered})
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    for start in range(0, len(keys), 5000):
        chunk = keys[start:start + 5000]
        rows = session.execute(text(
            """SELECT c.code, o.external_id, o.id FROM sales_orders o JOIN channels c ON c.id = o.channel_id
               JOIN unnest(CAST(:chs AS text[]), CAST(:exts AS text[])) AS k(ch, ext)
                 ON k.ch = c.code AND k.ext = o.external_id"""),
            {"chs": [k[0] for k in chunk], "exts": [k[1] for k in chunk]})
        for channel, external_id, order_id in rows:
            found[(str(channel), str(external_id))].append(int(order_id))
    created: dict[tuple[str, str], int] = {}
    not_once, twice, replays = [], [], []
    for a in answered:
        key, ids = (a.channel, a.external_id), found.get((a.channel, a.external_id), [])
        if a.status == 201:
            if key in created:
                twice.append(f"{a.channel}/{a.external_id}: answered 201 twice ({created[key]}, {a.order_id})")
            created[key] = a.order_id or 0
            if ids != [a.order_id]:
                not_once.append(f"{a.channel}/{a.external_id}: answered 201 as order {a.order_id}, found {ids}")
        elif ids != [a.order_id]:
            replays.append(f"{a.channel}/{a.external_id}: replay answered order {a.order_id}, found {ids}")
    for a in answered:
        first = created.get((a.channel, a.external_id))
        if a.status == 200 and first is not None and first != a.order_id:
            replays.append(f"{a.channel}/{a.external_id}: replay answered order {a.order_id}, placed as {first}")
    return (_violation("order_answered_201", "an order answered 201 does not exist exactly once as answered",
                       not_once + twice)
            + _violation("replay_same_order", "a replay answered 200 points to another order than the first",
                         replays))


def _reservations(session: Session, tag: str) -> tuple[int, list[InvariantViolation]]:
    rows = session.execute(text(
        """SELECT k.code, w.code, s.on_hand, s.reserved, coalesce(o.open_qty, 0)
           FROM stock_levels s JOIN skus k ON k.id = s.sku_id JOIN warehouses w ON w.id = s.warehouse_id
           LEFT JOIN (SELECT l.sku_id, l.warehouse_id, sum(l.qty - l.qty_shipped) AS open_qty
                      FROM sales_order_lines l JOIN sales_orders so ON so.id = l.sales_order_id
                      WHERE so.status <> 'cancelled' GROUP BY l.sku_id, l.warehouse_id) o
             ON o.sku_id = s.sku_id AND o.warehouse_id = s.warehouse_id
           WHERE starts_with(k.code, :prefix) ORDER BY k.code, w.code"""),
        {"prefix": f"{tag}-"}).all()
    mismatched = [f"{sku}@{wh}: reserved {reserved}, open order lines {open_qty}"
                  for sku, wh, _, reserved, open_qty in rows if reserved != open_qty]
    oversold = [f"{sku}@{wh}: open order lines {open_qty} > on hand {on_hand}"
                for sku, wh, on_hand, _, open_qty in rows if open_qty > on_hand]
    return len(rows), (
        _violation("reservations", "reserved differs from the open quantity of the orders' lines", mismatched)
        + _violation("oversold", "open order lines exceed the stock on hand (oversold)", oversold))
