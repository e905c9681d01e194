"""Builders and read-backs for the procurement, channel and reorder tests: suppliers, events, audit rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from erp_models.partners import Supplier
from tests.integration.builders import ref


def a_supplier(session: Session, *, active: bool = True) -> Supplier:
    supplier = Supplier(code=ref("SUP"), name="杭州丝绸厂", province="浙江省", city="杭州市", active=active)
    session.add(supplier)
    session.flush()
    return supplier


def events_of(session: Session, aggregate_type: str, aggregate_id: int) -> list[tuple[str, dict[str, Any]]]:
    """(event_type, payload) of one aggregate's outbox events, oldest first."""
    rows = session.execute(
        text("""SELECT event_type, payload FROM outbox_events WHERE aggregate_type = :t AND aggregate_id = :id
                ORDER BY id"""),
        {"t": aggregate_type, "id": aggregate_id},
    )
    return [(str(event), dict(payload)) for event, payload in rows]


def audit_actions(session: Session, entity: str, entity_id: int) -> list[str]:
    """The audit log's actions on one record, oldest first."""
    return list(
        session.scalars(
            text("""SELECT action FROM audit_log WHERE entity = :e AND entity_ids @> CAST(:ids AS jsonb)
                    ORDER BY id"""),
            {"e": entity, "ids": f"[{entity_id}]"},
        )
    )


def ledger_total(session: Session, sku_id: int, warehouse_id: int) -> int:
    return int(
        session.execute(
            text("SELECT coalesce(sum(qty_delta), 0) FROM stock_ledger WHERE sku_id = :s AND warehouse_id = :w"),
            {"s": sku_id, "w": warehouse_id},
        ).scalar_one()
    )
