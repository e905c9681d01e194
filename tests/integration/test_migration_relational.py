"""Relational exports through the pipeline: lookups, aggregates, a default reference, and children rejected
with their parent (not quarantined as orphans), on real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import sessionmaker

from tests.integration.migration_driver import Migrated, migrate, rows, upgraded_engine, write_export

FILES = {
    "categories.csv": "cat,label\ntoys,Toys\n",
    "products.csv": "pid,cat\np1,toys\np2,\n",
    "people.csv": "cid,person\nc1,ANA\nc2,ANA\nc3,BIA\n",
    "orders.csv": ("oid,cid,status,bought,approved\n"
                   "o1,c1,delivered,2024-06-01 10:00:00,2024-06-01 10:05:00\n"
                   "o2,c2,canceled,2024-06-02 10:00:00,\n"
                   "o3,c3,delivered,2024-06-03 10:00:00,2024-06-03 11:00:00\n"),
    "items.csv": "oid,n,pid,price,freight\no1,1,p1,10.00,1.50\no1,2,p2,5.25,0\no2,1,p1,10.00,2\no3,1,p2,7,\n"
                 "o9,1,p1,1,0\n",
    "payments.csv": "oid,seq,value\no1,1,16.75\no2,1,12.00\no3,1,7.00\n",
}
MAPPING = """
name: relational-mini
sources: {items: {csv: {path: items.csv}}, people: {csv: {path: people.csv}}}
entities:
  categories: {target: categories, source: {csv: {path: categories.csv}}, legacy_key: "{cat}",
               columns: {code: {from: cat}, name: {from: label}}}
  products:
    target: products
    source: {csv: {path: products.csv}}
    legacy_key: "{pid}"
    columns: {code: {from: pid}, name: {from: pid},
              category_code: {from: cat, default_reference: {code: misc, name: Miscellaneous}}}
  skus:
    target: skus
    source: {csv: {path: products.csv}}
    legacy_key: "{pid}"
    columns: {code: {from: pid}, product_code: {from: pid},
              list_price: {aggregate: {source: items, key: pid, max: price}, default: "0"}}
  customers:
    target: customers
    source: {csv: {path: people.csv}}
    legacy_key: "{person}"
    columns: {code: {from: person}, name: {from: person}}
  sales_orders:
    target: sales_orders
    source: {csv: {path: orders.csv}}
    legacy_key: "{oid}"
    reject: [{column: status, in: [canceled], reason: rejected_cancelled_order}]
    columns:
      channel: {value: webshop}
      external_id: {from: oid}
      customer_code: {lookup: {source: people, key: cid, column: person, missing: quarantine}}
      ordered_at: {from: bought}
      total: {aggregate: {source: items, key: oid, sum: [price, freight], missing: quarantine}}
      freight: {aggregate: {source: items, key: oid, sum: [freight]}}
  sales_order_lines:
    target: sales_order_lines
    source: {csv: {path: items.csv}}
    legacy_key: "{oid}#{n}"
    columns: {order_key: {from: oid}, line_no: {from: n}, sku_code: {from: pid}, qty: {value: "1"},
              unit_price: {from: price}}
    gate: {max_quarantine_rate: 0.5}
  payments:
    target: payments
    source: {csv: {path: payments.csv}}
    legacy_key: "{oid}#{seq}"
    columns:
      order_key: {from: oid}
      method: {value: other}
      amount: {from: value}
      paid_at: {lookup: {source: sales_orders, key: oid, column: approved, missing: quarantine}}
"""


@pytest.fixture(scope="module")
def engine(new_database: Callable[[], URL]) -> Iterator[Engine]:
    yield from upgraded_engine(new_database)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_export(tmp_path_factory.mktemp("relational"), FILES, MAPPING)


@pytest.fixture(scope="module")
def loaded(engine: Engine, export: Path) -> Migrated:
    return migrate(engine, export)


def test_lines_and_payments_of_a_cancelled_order_are_rejected_with_it(
        loaded: Migrated) -> None:
    entities = loaded.entities
    assert entities["sales_orders"]["reasons"] == {"rejected_cancelled_order": 1}
    assert entities["sales_order_lines"]["reasons"] == {"rejected_cancelled_order": 1, "orphan_order_key": 1}  # o9
    assert entities["payments"]["reasons"] == {"rejected_cancelled_order": 1}  # its missing time does not matter


def test_totals_customers_and_times_come_from_the_other_files(engine: Engine, loaded: object) -> None:
    assert rows(engine, """SELECT o.external_id, o.total, o.freight, c.code, sum(l.unit_price) + o.freight
                           FROM sales_orders o JOIN customers c ON c.id = o.customer_id
                           JOIN sales_order_lines l ON l.sales_order_id = o.id GROUP BY o.id, c.code
                           ORDER BY 1""") == [("o1", 1675, 150, "ANA", 1675), ("o3", 700, 0, "BIA", 700)]
    assert rows(engine, """SELECT o.external_id, to_char(p.paid_at AT TIME ZONE 'Asia/Shanghai', 'MM-DD HH24:MI')
                           FROM payments p JOIN sales_orders o ON o.id = p.sales_order_id ORDER BY 1""") == [
        ("o1", "06-01 10:05"), ("o3", "06-03 11:00")]
    assert rows(engine, "SELECT code, list_price FROM skus ORDER BY 1") == [("p1", 1000), ("p2", 700)]


def test_a_product_without_category_gets_the_default_category_created_once(
        engine: Engine, loaded: Migrated) -> None:
    assert rows(engine, """SELECT p.code, c.code, c.name FROM products p JOIN categories c ON c.id = p.category_id
                           ORDER BY 1""") == [("p1", "toys", "Toys"), ("p2", "misc", "Miscellaneous")]
    categories = loaded["categories"]
    assert (categories["read"], categories["loaded"], categories["reconciliation"].ok) == (2, 2, True)


def test_a_rerun_changes_nothing_and_the_run_keeps_no_rejected_keys_once_dropped(
        engine: Engine, export: Path, loaded: Migrated) -> None:
    rerun = migrate(engine, export)
    run_id, again = rerun.run_id, rerun.entities
    assert {n: (e["inserted"], e["updated"]) for n, e in again.items() if (e["inserted"], e["updated"]) != (0, 0)
            } == {}
    assert again["payments"]["reasons"] == {"rejected_cancelled_order": 1}
    factory = sessionmaker(bind=engine)
    with factory() as session:
        from erp_models.migration import staging

        for name in again:
            staging.drop_staging(session, run_id, name)
        session.commit()
    assert rows(engine, f"SELECT count(*) FROM pg_tables WHERE schemaname = 'migration_staging' "
                        f"AND tablename LIKE 'r{run_id.hex[:12]}%'") == [(0,)]


ONE_ROW_PER_LINE = """
name: lines-feed-orders
entities:
  sales_orders:
    target: sales_orders
    source: {csv: {path: lines.csv}}
    legacy_key: "{oid}"
    dedupe: {keep: last}
    reject: [{column: pid, in: [POST], reason: rejected_non_product}]
    columns: {channel: {value: webshop}, external_id: {from: oid}, ordered_at: {from: bought},
              total: {running_total: {within: [oid], quantity: qty, price: price}}}
  sales_order_lines:
    target: sales_order_lines
    source: {csv: {path: lines.csv}}
    legacy_key: "{oid}#{n}"
    reject: [{column: pid, in: [POST], reason: rejected_non_product}]
    columns: {order_key: {from: oid}, line_no: {from: n}, sku_code: {from: pid}, qty: {from: qty},
              unit_price: {from: price}}
"""


def test_an_order_whose_postage_row_is_rejected_keeps_its_other_lines(
        engine: Engine, loaded: Migrated, tmp_path: Path) -> None:
    """One export row per order line feeds the orders: a rejected postage row rejects no order that other
    rows make, so that order's lines load; an order made only of rejected rows takes its lines with it."""
    lines = ("oid,n,pid,qty,price,bought\nL1,1,p1,1,10.00,2024-06-01 10:00:00\nL1,2,POST,1,3.00,2024-06-01 10:00:00\n"
             "L1,3,p2,1,7.00,2024-06-01 10:00:00\nL2,1,POST,1,3.00,2024-06-02 10:00:00\n")
    run = migrate(engine, write_export(tmp_path, {"lines.csv": lines}, ONE_ROW_PER_LINE))
    assert run["sales_order_lines"]["reasons"] == {"rejected_non_product": 2}
    assert rows(engine, """SELECT o.external_id, o.total, l.line_no FROM sales_orders o
                           JOIN sales_order_lines l ON l.sales_order_id = o.id
                           WHERE o.external_id LIKE 'L%' ORDER BY 3""") == [("L1", 1700, 1), ("L1", 1700, 3)]
