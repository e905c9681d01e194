"""Content fingerprints: independent of row order, sensitive to every change of content."""

from __future__ import annotations

from sqlalchemy.orm import Session

from erp_models.base import Base
from erp_models.fingerprint import database_fingerprint, table_fingerprint
from erp_models.inventory import Warehouse

WAREHOUSES = [("WH-HZ", "杭州仓", "浙江省"), ("WH-GZ", "广州仓", "广东省"), ("WH-CD", "成都仓", "四川省")]


def load_warehouses(session: Session, rows: list[tuple[str, str, str]]) -> str:
    for code, name, province in rows:
        session.add(Warehouse(code=code, name=name, province=province))
    session.flush()
    return table_fingerprint(session, Base.metadata.tables["warehouses"]).digest


def test_the_same_rows_in_another_order_give_the_same_fingerprint(session: Session) -> None:
    nested = session.begin_nested()
    forwards = load_warehouses(session, WAREHOUSES)
    nested.rollback()
    backwards = load_warehouses(session, list(reversed(WAREHOUSES)))
    assert forwards == backwards


def test_a_changed_value_changes_the_fingerprint(session: Session) -> None:
    nested = session.begin_nested()
    original = load_warehouses(session, WAREHOUSES)
    nested.rollback()
    edited = load_warehouses(session, [*WAREHOUSES[:2], ("WH-CD", "成都仓", "重庆市")])
    assert original != edited


def test_surrogate_ids_do_not_enter_the_fingerprint(session: Session) -> None:
    nested = session.begin_nested()
    first = load_warehouses(session, WAREHOUSES)
    nested.rollback()  # the sequence keeps advancing, so the second load gets new ids
    again = load_warehouses(session, WAREHOUSES)
    assert first == again


def test_the_database_fingerprint_counts_rows_per_table(session: Session) -> None:
    before, overall_before = database_fingerprint(session)
    load_warehouses(session, WAREHOUSES)
    after, overall_after = database_fingerprint(session)
    rows = {f.table: f.rows for f in after}
    assert rows["warehouses"] == {f.table: f.rows for f in before}["warehouses"] + 3
    assert overall_before != overall_after
    assert "migration_runs" not in rows and "audit_log" not in rows  # bookkeeping is not content
