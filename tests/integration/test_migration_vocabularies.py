"""Migrating a foreign marketplace: a new channel and payment method, orders with freight and an address,
and historical shipments that move no stock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from erp_models.invariants import find_violations
from erp_models.migration import runs
from tests.integration.migration_driver import Migrated, migrate, rows, upgraded_engine, write_export

FILES = {
    "channels.csv": "code,name\nmercadolivre,Mercado Livre\ntmall,天猫（旧系统）\n",
    "methods.csv": "code,name\nboleto,Boleto bancário\n",
    "categories.csv": "code,name\nHOME,家居\n",
    "products.csv": "code,name,category\nP1,保温杯,HOME\n",
    "skus.csv": "sku,product,price\nS1,P1,129.00\n",
    "warehouses.csv": "code,name\nWH-SP,São Paulo\n",
    "stock.csv": "sku,warehouse,qty\nS1,WH-SP,7\n",
    "orders.csv": ("order_no,platform,created,amount,freight,receiver,zip,state,city,street\n"
                   "ML1,mercadolivre,2024-06-01 10:00:00,273.50,15.50,"
                   "Ana Souza,01310-100,SP,São Paulo,Av. Paulista 1000\n"
                   "TM2,tmall,2024-06-02 11:00:00,129.00,,,,,,\n"
                   "AZ3,amazon,2024-06-03 12:00:00,129.00,0,,,,,\n"),
    "lines.csv": "order_no,line,sku,qty,price\nML1,1,S1,2,129.00\nTM2,1,S1,1,129.00\nAZ3,1,S1,1,129.00\n",
    "payments.csv": ("serial,order_no,method,amount,paid\nB1,ML1,boleto,273.50,2024-06-01 10:05:00\n"
                     "A2,TM2,alipay,129.00,2024-06-02 11:01:00\nP3,TM2,paypal,1.00,2024-06-02 11:02:00\n"),
    "shipments.csv": ("order_no,carrier,tracking,warehouse,shipped,delivered\n"
                      "ML1,Correios,BR123456789,,2024-06-02 09:00:00,2024-06-05 15:00:00\n"
                      "TM2,顺丰,SF1000,WH-SP,2024-06-02 18:00:00,\n"),
}
DATE = '{date: {formats: ["%Y-%m-%d %H:%M:%S"], tz: America/Sao_Paulo}}'
MAPPING = f"""
name: marketplace-mini
entities:
  channels: {{target: channels, source: {{csv: {{path: channels.csv}}}}, legacy_key: "{{code}}",
             columns: {{code: {{from: code}}, name: {{from: name}}}}}}
  payment_methods: {{target: payment_methods, source: {{csv: {{path: methods.csv}}}}, legacy_key: "{{code}}",
                    columns: {{code: {{from: code}}, name: {{from: name}}}}}}
  categories: {{target: categories, source: {{csv: {{path: categories.csv}}}}, legacy_key: "{{code}}",
               columns: {{code: {{from: code}}, name: {{from: name}}}}}}
  products: {{target: products, source: {{csv: {{path: products.csv}}}}, legacy_key: "{{code}}",
             columns: {{code: {{from: code}}, name: {{from: name}}, category_code: {{from: category}}}}}}
  skus: {{target: skus, source: {{csv: {{path: skus.csv}}}}, legacy_key: "{{sku}}",
         columns: {{code: {{from: sku}}, product_code: {{from: product}}, list_price: {{from: price}}}}}}
  warehouses: {{target: warehouses, source: {{csv: {{path: warehouses.csv}}}}, legacy_key: "{{code}}",
               columns: {{code: {{from: code}}, name: {{from: name}}}}}}
  opening_stock: {{target: opening_stock, source: {{csv: {{path: stock.csv}}}}, legacy_key: "{{sku}}@{{warehouse}}",
                  columns: {{sku_code: {{from: sku}}, warehouse_code: {{from: warehouse}}, qty: {{from: qty}}}}}}
  sales_orders:
    target: sales_orders
    source: {{csv: {{path: orders.csv}}}}
    legacy_key: "{{order_no}}"
    columns:
      channel: {{from: platform}}
      external_id: {{from: order_no}}
      status: {{value: completed}}
      ordered_at: {{from: created, transforms: [{DATE}]}}
      total: {{from: amount}}
      freight: {{from: freight}}
      ship_to_name: {{from: receiver}}
      ship_postcode: {{from: zip}}
      ship_country: {{value: BR}}
      ship_province: {{from: state}}
      ship_city: {{from: city}}
      ship_address: {{from: street}}
    gate: {{max_quarantine_rate: 0.5}}
  sales_order_lines:
    target: sales_order_lines
    source: {{csv: {{path: lines.csv}}}}
    legacy_key: "{{order_no}}#{{line}}"
    columns: {{order_key: {{from: order_no}}, line_no: {{from: line}}, sku_code: {{from: sku}}, qty: {{from: qty}},
              unit_price: {{from: price}}}}
    gate: {{max_quarantine_rate: 0.5}}
  payments:
    target: payments
    source: {{csv: {{path: payments.csv}}}}
    legacy_key: "{{serial}}"
    columns: {{order_key: {{from: order_no}}, method: {{from: method}}, amount: {{from: amount}},
              paid_at: {{from: paid, transforms: [{DATE}]}}, external_ref: {{from: serial}}}}
    gate: {{max_quarantine_rate: 0.5}}
  shipments:
    target: shipments
    source: {{csv: {{path: shipments.csv}}}}
    legacy_key: "{{order_no}}/{{tracking}}"
    columns: {{order_key: {{from: order_no}}, carrier: {{from: carrier}}, tracking_no: {{from: tracking}},
              warehouse_code: {{from: warehouse}}, shipped_at: {{from: shipped, transforms: [{DATE}]}},
              delivered_at: {{from: delivered, transforms: [{DATE}]}}}}
"""


@pytest.fixture(scope="module")
def engine(new_database: Callable[[], URL]) -> Iterator[Engine]:
    yield from upgraded_engine(new_database)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_export(tmp_path_factory.mktemp("marketplace"), FILES, MAPPING)


@pytest.fixture(scope="module")
def loaded(engine: Engine, export: Path) -> Migrated:
    """One load of the export, which the tests below only read."""
    return migrate(engine, export)


def test_a_foreign_marketplace_migrates_with_its_own_channel_payment_method_and_freight(
    engine: Engine, loaded: Migrated
) -> None:
    assert rows(engine, "SELECT id, code, name FROM channels WHERE code IN ('tmall', 'mercadolivre') ORDER BY id") == [
        (1, "tmall", "天猫（旧系统）"), (6, "mercadolivre", "Mercado Livre")]  # the seeded row is adopted
    assert rows(engine, "SELECT code FROM payment_methods WHERE code = 'boleto'") == [("boleto",)]
    assert loaded["sales_orders"]["reasons"] == {"orphan_channel": 1}  # amazon: no such channel
    assert loaded["payments"]["reasons"] == {"orphan_method": 1}  # paypal: quarantined, never 'other'
    assert rows(engine, """SELECT o.external_id, o.total, o.freight, o.origin, o.ship_to_name, o.ship_postcode,
                                  o.ship_country, o.ship_city, sum(l.qty * l.unit_price) + o.freight
                           FROM sales_orders o JOIN sales_order_lines l ON l.sales_order_id = o.id
                           GROUP BY o.id ORDER BY o.external_id""") == [
        ("ML1", 27350, 1550, "migration", "Ana Souza", "01310-100", "BR", "São Paulo", 27350),
        ("TM2", 12900, 0, "migration", None, None, "BR", None, 12900)]
    assert rows(engine, """SELECT o.external_id, m.code FROM payments p JOIN payment_methods m
                           ON m.id = p.payment_method_id JOIN sales_orders o ON o.id = p.sales_order_id
                           ORDER BY 1""") == [("ML1", "boleto"), ("TM2", "alipay")]
    assert loaded["sales_orders"]["reconciliation"].sums["freight"] == (1550, 1550)


def test_historical_shipments_keep_their_dates_and_move_no_stock(engine: Engine, loaded: object) -> None:
    assert rows(engine, """SELECT o.external_id, s.carrier, s.tracking_no, w.code,
                                  to_char(s.shipped_at AT TIME ZONE 'America/Sao_Paulo', 'MM-DD HH24:MI'),
                                  to_char(s.delivered_at AT TIME ZONE 'America/Sao_Paulo', 'MM-DD HH24:MI')
                           FROM shipments s JOIN sales_orders o ON o.id = s.sales_order_id
                           LEFT JOIN warehouses w ON w.id = s.warehouse_id ORDER BY 1""") == [
        ("ML1", "Correios", "BR123456789", None, "06-02 09:00", "06-05 15:00"),
        ("TM2", "顺丰", "SF1000", "WH-SP", "06-02 18:00", None)]
    assert rows(engine, "SELECT on_hand, reserved FROM stock_levels") == [(7, 0)]  # the opening balance only
    assert rows(engine, "SELECT reason, count(*) FROM stock_ledger GROUP BY 1") == [("opening", 1)]
    assert rows(engine, "SELECT count(*) FROM shipment_lines") == [(0,)]
    assert rows(engine, "SELECT sum(qty_shipped) FROM sales_order_lines") == [(0,)]
    with Session(engine) as session:
        assert find_violations(session) == []


def test_a_rerun_of_the_marketplace_export_changes_nothing(engine: Engine, export: Path, loaded: object) -> None:
    again = migrate(engine, export)
    assert {name: (e["inserted"], e["updated"]) for name, e in again.entities.items()
            if (e["inserted"], e["updated"]) != (0, 0)} == {}
    assert all(e["reconciliation"].ok for e in again.entities.values())


def test_undoing_the_load_restores_the_seeded_vocabularies_and_removes_the_rest(engine: Engine,
                                                                                loaded: Migrated) -> None:
    with Session(engine) as session:
        runs.undo_run(session, run_id=loaded.run_id, entities=loaded.order)
        session.commit()
    assert rows(engine, "SELECT code, name FROM channels ORDER BY id") == [
        ("tmall", "天猫"), ("jd", "京东"), ("pinduoduo", "拼多多"), ("douyin", "抖音"), ("webshop", "官网商城")]
    assert rows(engine, "SELECT count(*) FROM payment_methods WHERE code = 'boleto'") == [(0,)]
    assert rows(engine, "SELECT (SELECT count(*) FROM sales_orders) + (SELECT count(*) FROM shipments)") == [(0,)]
