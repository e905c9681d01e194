"""Re-migrating opening stock: a lower balance is posted through the ledger; an impossible one is quarantined."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.catalogue import Sku
from erp_models.invariants import find_violations
from erp_models.inventory import StockLevel, Warehouse
from erp_models.migration import loader, runs, staging
from erp_models.migration.targets import TARGETS
from tests.integration.builders import a_sku, a_warehouse, ref

TARGET = TARGETS["opening_stock"]


def stage_opening(session: Session, sku: Sku, warehouse: Warehouse, qty: int) -> tuple[uuid.UUID, str,
                                                                                       list[dict[str, Any]]]:
    """A run that stages one opening balance and prepares it; returns the run, its table and the rows set aside."""
    run_id = runs.start_run(session, mapping_name=ref("mapping"), mapping_hash="h", mode="load")
    table = staging.create_staging(session, run_id, "opening_stock", TARGET)
    frame = pd.DataFrame({"sku_code": [sku.code], "warehouse_code": [warehouse.code], "qty": [qty],
                          "legacy_key": [f"{sku.code}@{warehouse.code}"], "row_hash": [f"qty={qty}"], "_line": [2]})
    staging.copy_batch(session, table, frame, TARGET, 1)
    return run_id, table, staging.prepare(session, table, TARGET)


def load_opening(session: Session, sku: Sku, warehouse: Warehouse, qty: int) -> list[dict[str, Any]]:
    run_id, table, set_aside = stage_opening(session, sku, warehouse, qty)
    post(session, run_id, table)
    return set_aside


def post(session: Session, run_id: uuid.UUID, table: str) -> loader.Upserted:
    return loader.upsert_batch(session, table=table, target=TARGET, entity="opening_stock", run_id=run_id,
                               batch_no=1, mapped={"sku_code", "warehouse_code", "qty"})


def level(session: Session, sku: Sku, warehouse: Warehouse) -> StockLevel:
    session.expire_all()
    return session.query(StockLevel).filter_by(sku_id=sku.id, warehouse_id=warehouse.id).one()


def ledger(session: Session, sku: Sku, warehouse: Warehouse) -> list[int]:
    return list(session.execute(text("SELECT qty_delta FROM stock_ledger WHERE sku_id = :s AND warehouse_id = :w "
                                     "ORDER BY id"), {"s": sku.id, "w": warehouse.id}).scalars())


def test_a_lower_opening_balance_is_reached_through_a_negative_ledger_entry(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    load_opening(session, sku, warehouse, 260)

    assert load_opening(session, sku, warehouse, 100) == []

    assert level(session, sku, warehouse).on_hand == 100
    assert ledger(session, sku, warehouse) == [260, -160]
    assert find_violations(session) == []


def test_an_opening_balance_below_what_is_reserved_is_set_aside_before_loading(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    load_opening(session, sku, warehouse, 260)
    level(session, sku, warehouse).reserved = 50
    session.flush()

    [row] = load_opening(session, sku, warehouse, 30)

    assert row["reason"] == "opening_below_reserved"
    assert "new on_hand 30 < reserved 50" in row["detail"]
    assert row["legacy_key"] == f"{sku.code}@{warehouse.code}" and row["_line"] == 2
    assert (level(session, sku, warehouse).on_hand, ledger(session, sku, warehouse)) == (260, [260])
    assert find_violations(session) == []


def test_stock_reserved_after_preparing_quarantines_the_row_when_it_posts(session: Session) -> None:
    sku, warehouse = a_sku(session), a_warehouse(session)
    load_opening(session, sku, warehouse, 260)
    run_id, table, set_aside = stage_opening(session, sku, warehouse, 100)
    assert set_aside == []
    level(session, sku, warehouse).reserved = 120  # an order placed meanwhile
    session.flush()

    done = post(session, run_id, table)

    assert done.loaded == 0
    assert (level(session, sku, warehouse).on_hand, ledger(session, sku, warehouse)) == (260, [260])
    quarantined = session.execute(text("SELECT reason_code, detail, source_row FROM quarantined_rows "
                                       "WHERE run_id = :r"), {"r": run_id}).one()
    assert quarantined[0] == "opening_below_reserved" and "new on_hand 100 < reserved 120" in quarantined[1]
    assert quarantined[2] == 2
