"""Transactions of the sample export: channel orders with their lines and payments, and purchase orders."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from erpops.sample_data.dirt import Dirt, Sink, yuan
from erpops.sample_data.master import Sku, customer_code
from erpops.sample_data.vocab import PAY_METHODS, PLATFORMS, PO_STATUSES

START = datetime(2024, 1, 1)
EXPORTED = datetime(2024, 7, 1)  # the moment the legacy system was exported
STAMP = "%Y-%m-%d %H:%M:%S"
LINE_COUNTS, LINE_WEIGHTS = (1, 2, 3, 4), (50, 30, 15, 5)
LINE_DEFECTS = ("null_required", "negative_qty", "orphan", "exact_duplicate", "mixed_decimal")
# An order's first line only gets defects that leave it loadable, so no loaded order ends up without lines
# (`erpops db check`: order_without_lines); its orphans are ghost lines of vanished orders that follow it.
FIRST_LINE_DEFECTS = ("orphan", "exact_duplicate", "mixed_decimal")


def _suffix(index: int) -> str:
    """Nine digits that look random and differ for every index below 100_000_007 (a prime)."""
    return f"{(index * 48_271 + 52_817_339) % 100_000_007:09d}"


@dataclass(frozen=True)
class Line:
    no: int
    sku: Sku
    qty: int
    price: int  # unit price in fen


@dataclass
class OrderSinks:
    orders: Sink
    lines: Sink
    payments: Sink


def _status(rng: random.Random, placed: datetime) -> tuple[str, datetime]:
    """The legacy status and when the order last changed."""
    age = EXPORTED - placed
    if rng.random() < 0.05:
        status, changed = "已取消", placed + timedelta(minutes=rng.randint(5, 180))
    elif age > timedelta(days=14):
        status, changed = "已完成", placed + timedelta(days=rng.randint(5, 14), minutes=rng.randint(0, 1439))
    elif age > timedelta(days=2):
        status, changed = "已发货", placed + timedelta(hours=rng.randint(6, 48))
    else:
        status, changed = rng.choice((("已付款", placed + timedelta(minutes=rng.randint(1, 30))),
                                      ("已发货", placed + timedelta(hours=rng.randint(2, 20)))))
    return status, min(changed, EXPORTED - timedelta(seconds=1))


def _serial(rng: random.Random, method: str, paid: datetime, suffix: str) -> str:
    if method == "支付宝":
        return f"{paid:%Y%m%d}22001{suffix}{rng.randrange(10**6):06d}"
    if method == "微信支付":
        return f"4200001{rng.randrange(10**4):04d}{paid:%Y%m%d}{suffix}"
    return f"{paid:%Y%m%d%H%M%S}{suffix}"


def write_orders(sinks: OrderSinks, rng: random.Random, dirt: Dirt, count: int, customers: int,
                 skus: list[Sku]) -> None:
    """`count` orders in time order, ~1-4 lines each, one payment unless cancelled."""
    span = (EXPORTED - START).total_seconds() - 3600
    weights = [weight for _, _, weight in PLATFORMS]
    ghosts = count
    for index in range(count):
        platform, prefix, _ = rng.choices(PLATFORMS, weights)[0]
        placed = START + timedelta(seconds=int((index + rng.random()) * span / count))
        number = f"{prefix}{placed:%Y%m%d}{_suffix(index)}"
        customer = customer_code(rng.randrange(customers))
        picked = rng.sample(range(len(skus)), min(len(skus), rng.choices(LINE_COUNTS, LINE_WEIGHTS)[0]))
        lines = []
        for no, position in enumerate(picked, start=1):
            sku = skus[position]
            discount = rng.choice((100, 100, 95, 90, 85))
            lines.append(Line(no, sku, rng.choice((1, 1, 1, 2, 2, 3)), sku.price * discount // 1000 * 10))
        total = sum(line.qty * line.price for line in lines)
        status, changed = _status(rng, placed)
        for line in lines:
            ghosts += _write_line(sinks.lines, dirt, number, line, prefix, placed, ghosts)
        updated = f"{changed:%Y-%m-%dT%H:%M:%S}+08:00"  # ISO text with one offset: sorts as it ages
        order: list[object] = [number, platform, customer, f"{placed:{STAMP}}", status, yuan(total), updated]
        _write_with_defects(sinks.orders, dirt, order, time_at=3, money_at=5, cents=total)
        if status != "已取消":
            method = rng.choice(PAY_METHODS[platform])
            paid = placed + timedelta(seconds=rng.randint(5, 900))
            serial = _serial(rng, method, paid, _suffix(index))
            payment: list[object] = [number, method, yuan(total), f"{paid:{STAMP}}", serial]
            _write_with_defects(sinks.payments, dirt, payment, time_at=3, money_at=2, cents=total)


def _write_with_defects(sink: Sink, dirt: Dirt, row: list[object], *, time_at: int, money_at: int,
                        cents: int) -> None:
    defect = dirt.pick(sink.name, ("bad_date", "mixed_decimal", "exact_duplicate"))
    if defect == "bad_date":
        row[time_at] = dirt.bad_date()
    elif defect == "mixed_decimal":
        row[money_at] = dirt.money(cents)
    sink.write(row)
    if defect == "exact_duplicate":
        sink.write(row)


def _write_line(sink: Sink, dirt: Dirt, number: str, line: Line, prefix: str, placed: datetime,
                ghosts: int) -> int:
    """One order line, perhaps damaged; returns 1 when a ghost line (of an order that is gone) followed it."""
    row: list[object] = [number, line.no, line.sku.code, line.qty, yuan(line.price)]
    defect = dirt.pick(sink.name, LINE_DEFECTS if line.no > 1 else FIRST_LINE_DEFECTS)
    ghost = defect == "orphan" and (line.no == 1 or dirt.rng.random() < 0.5)
    if defect == "null_required":
        row[2] = ""
    elif defect == "negative_qty":
        row[3] = -line.qty
    elif defect == "orphan" and not ghost:
        row[2] = line.sku.code.rsplit("-", 1)[0] + "-99"  # a variant that was deleted
    elif defect == "mixed_decimal":
        row[4] = dirt.money(line.price)
    sink.write(row)
    if defect == "exact_duplicate":
        sink.write(row)
    if ghost:
        sink.write([f"{prefix}{placed:%Y%m%d}{_suffix(ghosts)}", 1, line.sku.code, line.qty, yuan(line.price)])
    return int(ghost)


def write_purchase_orders(orders: Sink, lines: Sink, rng: random.Random, dirt: Dirt, count: int,
                          suppliers: list[str], warehouses: list[str], skus: list[Sku]) -> None:
    statuses, weights = [s for s, _ in PO_STATUSES], [w for _, w in PO_STATUSES]
    for index in range(count):
        day = datetime(2023, 12, 1) + timedelta(days=int((index + rng.random()) * 200 / count))
        number = f"PO{day:%Y%m}{index + 1:05d}"
        status = rng.choices(statuses, weights)[0]
        total = 0
        picked = rng.sample(skus, min(len(skus), rng.randint(1, 5)))
        for no, sku in enumerate(picked, start=1):
            ordered = rng.randint(2, 50) * 10
            received = ordered if status in ("已收货", "已关闭") else 0
            if status == "部分收货":
                received = rng.randint(1, ordered - 1)
            cost = sku.price * rng.randint(35, 55) // 1000 * 10
            total += ordered * cost
            text = dirt.money(cost) if dirt.pick(lines.name, ("mixed_decimal",)) else yuan(cost)
            lines.write([number, no, sku.code, ordered, received, text])
        text = dirt.money(total) if dirt.pick(orders.name, ("mixed_decimal",)) else yuan(total, grouped=True)
        orders.write([number, rng.choice(suppliers), rng.choice(warehouses), status,
                      f"{day.year}/{day.month}/{day.day}", text])
