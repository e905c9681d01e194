"""`generate_marketplace`: a synthetic export in the relational shape of a Brazilian marketplace dump.

Orders, items, payments, customers, products, sellers and categories in separate UTF-8 files joined by
opaque hex keys, with what such a dump makes hard: an order's total only as Σ item price + freight, payments
without a time (the order's approval time serves), the real customer behind a per-order customer id,
cancelled orders that still have items and payments, products without a category, foreign payment types,
and local times in America/Sao_Paulo that DST made ambiguous or skipped. The mapping beside it loads it
with no `sql:` source. The same arguments give the same bytes.
"""

from __future__ import annotations

import csv
import random
from contextlib import ExitStack
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TextIO

from erpops.sample_data.generator import MAPPING_FILE, SampleSummary

TIME = "%Y-%m-%d %H:%M:%S"
FILES: dict[str, tuple[str, ...]] = {
    "categories.csv": ("product_category_name", "product_category_name_english"),
    "sellers.csv": ("seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"),
    "products.csv": ("product_id", "product_category_name", "product_weight_g"),
    "customers.csv": ("customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city",
                      "customer_state"),
    "orders.csv": ("order_id", "customer_id", "sales_channel", "order_status", "order_purchase_timestamp",
                   "order_approved_at", "order_delivered_carrier_date", "order_delivered_customer_date"),
    "order_items.csv": ("order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date", "price",
                        "freight_value"),
    "order_payments.csv": ("order_id", "payment_sequential", "payment_type", "payment_installments",
                           "payment_value"),
}
CATEGORIES = [("cama_mesa_banho", "bed_bath_table"), ("beleza_saude", "health_beauty"),
              ("esporte_lazer", "sports_leisure"), ("moveis_decoracao", "furniture_decor"),
              ("informatica_acessorios", "computers_accessories"), ("utilidades_domesticas", "housewares"),
              ("relogios_presentes", "watches_gifts"), ("telefonia", "telephony"), ("brinquedos", "toys"),
              ("automotivo", "auto"), ("ferramentas_jardim", "garden_tools"), ("perfumaria", "perfumery")]
CITIES = [("sao paulo", "SP"), ("rio de janeiro", "RJ"), ("belo horizonte", "MG"), ("curitiba", "PR"),
          ("porto alegre", "RS"), ("salvador", "BA"), ("campinas", "SP"), ("brasilia", "DF")]
STATUSES = [("delivered", 86), ("shipped", 4), ("invoiced", 2), ("processing", 2), ("approved", 1),
            ("canceled", 4), ("unavailable", 1)]
# Local times in America/Sao_Paulo that DST made non-existent (clocks went 00:00 -> 01:00) or ambiguous
# (23:00-23:59 happened twice when clocks went back at midnight).
SKIPPED = [datetime(2017, 10, 15, 0, 12, 5), datetime(2018, 11, 4, 0, 47, 30)]
REPEATED = [datetime(2017, 2, 18, 23, 30, 0), datetime(2018, 2, 17, 23, 5, 41)]
# What each relational case asks of the mapping, for the summary.
CASES: dict[str, str] = {
    "cancelled_order": "rejected by a reject rule (rejected_cancelled_order); its items and payments with it",
    "uncategorised_product": "takes the default reference category sem_categoria (created once)",
    "repeat_customer": "several customer_id, one customer_unique_id: found by lookup, loaded once",
    "dst_nonexistent": "a skipped local time: read as the latest instant it can mean (nonexistent: latest)",
    "dst_ambiguous": "a local time that happened twice: read as the earliest (ambiguous: earliest)",
    "voucher_split": "an order paid by voucher plus card: two payments summing to the total",
}


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def generate_marketplace(out_dir: Path, *, orders: int = 300, seed: int = 7) -> SampleSummary:
    """Write the relational export and its `mapping.yaml` into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with ExitStack() as stack:
        rows = {name: _Csv(stack.enter_context((out_dir / name).open("w", encoding="utf-8", newline="")), header)
                for name, header in FILES.items()}
        cases = _write(rows, rng, orders)
    mapping = out_dir / MAPPING_FILE
    mapping.write_bytes(resources.files("erpops.sample_data").joinpath("marketplace.yaml").read_bytes())
    return SampleSummary(out_dir=out_dir, mapping=mapping, orders=orders, seed=seed, dirty_rate=0.0,
                         files={name: r.rows for name, r in rows.items()},
                         encodings=dict.fromkeys(FILES, "utf-8"), defects={k: v for k, v in cases.items() if v},
                         handling=CASES)


class _Csv:
    """Rows written as they are made (an export of millions of lines never sits in memory), counted."""

    def __init__(self, handle: TextIO, header: tuple[str, ...]) -> None:
        self.writer = csv.writer(handle, lineterminator="\n")
        self.writer.writerow(header)
        self.rows = 0

    def append(self, row: list[str]) -> None:
        self.writer.writerow(row)
        self.rows += 1


def _write(rows: dict[str, _Csv], rng: random.Random, orders: int) -> dict[str, int]:
    cases = dict.fromkeys(CASES, 0)
    for pair in CATEGORIES:
        rows["categories.csv"].append(list(pair))
    sellers = [_hex(rng) for _ in range(max(3, min(orders // 30, 3_000)))]
    for seller in sellers:
        city, state = rng.choice(CITIES)
        rows["sellers.csv"].append([seller, f"{rng.randint(1000, 99999):05d}", city, state])
    products = [_hex(rng) for _ in range(max(10, min(orders // 3, 30_000)))]
    for n, product in enumerate(products):
        category = "" if n % 17 == 3 else rng.choice(CATEGORIES)[0]
        cases["uncategorised_product"] += category == ""
        rows["products.csv"].append([product, category, str(rng.randint(50, 15000))])
    statuses, weights = zip(*STATUSES, strict=True)
    people: list[str] = []  # recent buyers, some of whom buy again (bounded: memory stays flat)
    start = datetime(2017, 1, 1)
    for n in range(orders):
        order, customer = _hex(rng), _hex(rng)
        again = bool(people) and rng.random() < 0.15
        person = rng.choice(people) if again else _hex(rng)
        cases["repeat_customer"] += again
        if not again and len(people) < 10_000:
            people.append(person)
        elif not again:
            people[rng.randrange(10_000)] = person
        city, state = rng.choice(CITIES)
        rows["customers.csv"].append([customer, person, f"{rng.randint(1000, 99999):05d}", city, state])
        status = "canceled" if n % 40 == 5 else "delivered" if n < 4 else rng.choices(statuses, weights)[0]
        bought = start + timedelta(seconds=rng.randint(0, 600 * 86400))
        approved: datetime | None = bought + timedelta(minutes=rng.randint(10, 2000))
        if n < 2 * len(SKIPPED):  # the DST edges: in the purchase time, then in the approval time
            edge = (SKIPPED + REPEATED)[n]
            bought = edge if n % 2 == 0 else edge - timedelta(hours=5)
            approved = edge if n % 2 else bought + timedelta(hours=3)
            cases["dst_nonexistent" if edge in SKIPPED else "dst_ambiguous"] += 1
        if status in ("canceled", "unavailable"):
            cases["cancelled_order"] += 1
            approved = approved if rng.random() < 0.5 else None
        assert approved is not None or status in ("canceled", "unavailable")
        carrier = approved + timedelta(hours=rng.randint(20, 72)) \
            if status in ("delivered", "shipped") and approved else None
        delivered = carrier + timedelta(days=rng.randint(2, 15)) if carrier and status == "delivered" else None
        rows["orders.csv"].append([order, customer, "olist_br", status, bought.strftime(TIME),
                                   approved.strftime(TIME) if approved else "",
                                   carrier.strftime(TIME) if carrier else "",
                                   delivered.strftime(TIME) if delivered else ""])
        total = 0
        for item in range(1, rng.choices([1, 2, 3, 4], [70, 18, 8, 4])[0] + 1):
            price, freight = rng.randint(990, 49900), rng.choice([0, rng.randint(500, 6000)])
            total += price + freight
            limit = (approved or bought) + timedelta(days=6)
            rows["order_items.csv"].append([order, str(item), rng.choice(products), rng.choice(sellers),
                                            limit.strftime(TIME), _money(price), _money(freight)])
        kind = rng.choices(["credit_card", "boleto", "voucher", "debit_card"], [74, 19, 5, 2])[0]
        if kind == "voucher" and total > 2000:
            cases["voucher_split"] += 1
            voucher = rng.randint(1000, total - 500)
            payments = [("voucher", 1, voucher), ("credit_card", rng.randint(1, 10), total - voucher)]
        else:
            payments = [(kind, rng.randint(1, 10) if kind == "credit_card" else 1, total)]
        for seq, (method, installments, amount) in enumerate(payments, start=1):
            rows["order_payments.csv"].append([order, str(seq), method, str(installments), _money(amount)])
    return cases
