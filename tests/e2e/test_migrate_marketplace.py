"""The relational marketplace example (examples/marketplace/) migrates with no `sql:` source: totals from the
items, customers through the customers file, cancelled orders rejected with their items and payments."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.e2e.cli import run_erpops

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "marketplace"
CANCELLED = {"canceled", "unavailable"}


def rows(name: str) -> list[dict[str, str]]:
    with (EXAMPLE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cents(text: str) -> int:
    whole, _, fraction = text.partition(".")
    return int(whole) * 100 + int(fraction.ljust(2, "0"))


def test_the_marketplace_example_migrates_with_totals_customers_and_cancellations(
        migrate_env: dict[str, str]) -> None:
    mapping = yaml.safe_load((EXAMPLE / "mapping.yaml").read_text(encoding="utf-8"))
    sources = [e["source"] for e in mapping["entities"].values()] + list(mapping["sources"].values())
    assert all(set(source) == {"csv"} for source in sources)  # no `sql:` source, no scratch database
    orders = {o["order_id"]: o for o in rows("orders.csv")}
    cancelled = {k for k, o in orders.items() if o["order_status"] in CANCELLED}
    items, payments = rows("order_items.csv"), rows("order_payments.csv")
    freight: dict[str, int] = defaultdict(int)
    for item in items:
        freight[item["order_id"]] += cents(item["freight_value"])
    person = {c["customer_id"]: c["customer_unique_id"] for c in rows("customers.csv")}

    result = run_erpops("migrate", "--mapping", str(EXAMPLE / "mapping.yaml"), "--json", env=migrate_env, timeout=600)
    run = json.loads(result.stdout)
    assert (run["status"], result.returncode) == ("passed", 0), result.stderr[-2000:]
    entities = run["entities"]
    for name, entity in entities.items():
        assert entity["quarantined"] == 0, (name, entity["reasons"])
        assert entity["reconciliation"]["ok"], (name, entity["reconciliation"]["differences"])
    assert entities["sales_orders"]["reasons"] == {"rejected_cancelled_order": len(cancelled)}
    assert entities["sales_order_lines"]["reasons"] == {
        "rejected_cancelled_order": sum(i["order_id"] in cancelled for i in items)}
    assert entities["payments"]["reasons"] == {
        "rejected_cancelled_order": sum(p["order_id"] in cancelled for p in payments)}

    with psycopg.connect(migrate_env["ERPOPS_DATABASE_URL"].replace("postgresql+psycopg", "postgresql")) as conn:
        loaded = conn.execute("""
            SELECT o.external_id, o.total, coalesce(sum(l.qty * l.unit_price), 0), o.freight, c.code, ch.code
            FROM sales_orders o JOIN channels ch ON ch.id = o.channel_id
            LEFT JOIN sales_order_lines l ON l.sales_order_id = o.id
            LEFT JOIN customers c ON c.id = o.customer_id GROUP BY o.id, c.code, ch.code""").fetchall()
        methods = dict(conn.execute("""SELECT m.code, count(*) FROM payments p
                                       JOIN payment_methods m ON m.id = p.payment_method_id GROUP BY 1""").fetchall())
        paid_at = dict(conn.execute("""SELECT o.external_id, min(p.paid_at) FROM payments p
                                       JOIN sales_orders o ON o.id = p.sales_order_id GROUP BY 1""").fetchall())
        ordered_at = dict(conn.execute("SELECT external_id, ordered_at FROM sales_orders").fetchall())
        uncategorised = conn.execute("""SELECT count(*) FROM products p JOIN categories c ON c.id = p.category_id
                                        WHERE c.code = 'sem_categoria'""").fetchall()[0][0]
    assert {key for key, *_ in loaded} == set(orders) - cancelled
    for key, total, lines, order_freight, customer, channel in loaded:
        assert (total, order_freight) == (lines + freight[key], freight[key]), key  # its lines plus freight
        assert (customer, channel) == (person[orders[key]["customer_id"]], "olist_br"), key
    assert methods == Counter(p["payment_type"] for p in payments if p["order_id"] not in cancelled)
    assert uncategorised == sum(p["product_category_name"] == "" for p in rows("products.csv")) > 0
    # DST edges in America/Sao_Paulo (the first four orders): a skipped local time reads as the latest instant
    # it can mean, a repeated one as the earliest; payments take the order's approval time.
    first, second, third, fourth = list(orders)[:4]
    assert ordered_at[first] == utc("2017-10-15 03:12:05")  # 00:12:05 never happened: read at -03:00
    assert paid_at[second] == utc("2018-11-04 03:47:30")
    assert ordered_at[third] == utc("2017-02-19 01:30:00")  # 23:30 happened twice: the first, at -02:00
    assert paid_at[fourth] == utc("2018-02-18 01:05:41")

    assert run_erpops("db", "check", env=migrate_env).returncode == 0
    again = run_erpops("migrate", "--mapping", str(EXAMPLE / "mapping.yaml"), "--json", env=migrate_env, timeout=600)
    rerun = json.loads(again.stdout)
    assert rerun["status"] == "passed"
    assert Counter((e["inserted"], e["updated"]) for e in rerun["entities"].values()) == {(0, 0): len(entities)}
    assert all(e["unchanged"] == entities[n]["loaded"] for n, e in rerun["entities"].items())
