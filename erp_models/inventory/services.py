"""Inventory services: stock movements through the ledger, reservations, transfers and cycle counts.

Every change is one atomic conditional UPDATE of the stock row (so concurrent writers queue on the
row lock and the CHECK constraints are never the first line of defence), plus its ledger entry,
outbox event and audit row in the same transaction. Callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from erp_models.catalogue.models import Sku
from erp_models.enums import StockReason
from erp_models.errors import Conflict, InsufficientStock, InvalidInput, NotFound
from erp_models.integration.outbox import record_event
from erp_models.inventory.models import StockLedgerEntry, Warehouse
from erp_models.security.audit import audit


@dataclass(frozen=True)
class StockPosition:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def sku_id_of(session: Session, code: str) -> int:
    found = session.scalar(select(Sku.id).where(Sku.code == code))
    if found is None:
        raise NotFound(f"no SKU with code {code!r}", sku=code)
    return found


def warehouse_id_of(session: Session, code: str) -> int:
    found = session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    if found is None:
        raise NotFound(f"no warehouse with code {code!r}", warehouse=code)
    return found


def _positive(qty: int, what: str = "qty") -> None:
    if qty <= 0:
        raise InvalidInput(f"{what} must be positive, got {qty}", **{what: qty})


def post_movement(
    session: Session, *, sku_id: int, warehouse_id: int, delta: int, reason: StockReason, actor: str,
    consume_reserved: int = 0, ref: tuple[str, int] | None = None, note: str | None = None,
) -> int:
    """Move stock by `delta` (and release `consume_reserved` of its reservation); returns the new on_hand."""
    if delta > 0:
        session.execute(
            text("INSERT INTO stock_levels (sku_id, warehouse_id) VALUES (:s, :w) ON CONFLICT DO NOTHING"),
            {"s": sku_id, "w": warehouse_id},
        )
    on_hand = session.execute(
        text(
            """UPDATE stock_levels SET on_hand = on_hand + :d, reserved = reserved - :r, version = version + 1
               WHERE sku_id = :s AND warehouse_id = :w AND reserved >= :r AND on_hand + :d >= reserved - :r
               RETURNING on_hand"""
        ),
        {"d": delta, "r": consume_reserved, "s": sku_id, "w": warehouse_id},
    ).scalar_one_or_none()
    if on_hand is None:
        raise InsufficientStock(
            f"moving {delta} would leave SKU {sku_id} in warehouse {warehouse_id} below its reservations",
            sku_id=sku_id, warehouse_id=warehouse_id, delta=delta,
        )
    ref_type, ref_id = ref or (None, None)
    session.execute(
        insert(StockLedgerEntry),
        {"sku_id": sku_id, "warehouse_id": warehouse_id, "qty_delta": delta, "reason": reason,
         "ref_type": ref_type, "ref_id": ref_id, "note": note, "actor": actor},
    )
    return int(on_hand)


def change_reservation(session: Session, *, sku_id: int, warehouse_id: int, qty: int) -> bool:
    """Reserve (`qty` > 0) or release (`qty` < 0) atomically; False when the stock row cannot take it."""
    row = session.execute(
        text(
            """UPDATE stock_levels SET reserved = reserved + :q, version = version + 1
               WHERE sku_id = :s AND warehouse_id = :w AND reserved + :q >= 0 AND on_hand - reserved >= :q
               RETURNING 1"""
        ),
        {"q": qty, "s": sku_id, "w": warehouse_id},
    ).first()
    return row is not None


def adjust_stock(session: Session, *, sku: str, warehouse: str, delta: int, reason: str, actor: str) -> StockPosition:
    """Correct stock by `delta` with a stated reason (damage, found goods, ...)."""
    if delta == 0:
        raise InvalidInput("an adjustment must change the stock", delta=delta)
    if not reason.strip():
        raise InvalidInput("an adjustment needs a reason")
    sku_id, wh_id = sku_id_of(session, sku), warehouse_id_of(session, warehouse)
    post_movement(session, sku_id=sku_id, warehouse_id=wh_id, delta=delta, reason=StockReason.ADJUSTMENT,
                  actor=actor, note=reason)
    record_event(session, "StockAdjusted", "sku", sku_id, sku=sku, warehouse=warehouse, delta=delta, reason=reason)
    audit(session, actor=actor, action="inventory.adjust", entity="stock_levels", ids=[sku_id, wh_id], delta=delta)
    return stock_position(session, sku=sku, warehouse=warehouse)


def transfer_stock(
    session: Session, *, sku: str, from_warehouse: str, to_warehouse: str, qty: int, actor: str
) -> list[StockPosition]:
    """Move `qty` of unreserved stock from one warehouse to another."""
    _positive(qty)
    if from_warehouse == to_warehouse:
        raise Conflict("a transfer needs two different warehouses: stock in one place cannot move to itself",
                       warehouse=from_warehouse)
    sku_id = sku_id_of(session, sku)
    source, target = warehouse_id_of(session, from_warehouse), warehouse_id_of(session, to_warehouse)
    moves = sorted([(source, -qty, StockReason.TRANSFER_OUT), (target, qty, StockReason.TRANSFER_IN)])
    for wh_id, delta, reason in moves:  # lock rows in warehouse order: opposite transfers cannot deadlock
        post_movement(session, sku_id=sku_id, warehouse_id=wh_id, delta=delta, reason=reason, actor=actor,
                      ref=("transfer", source))
    record_event(session, "StockTransferred", "sku", sku_id, sku=sku, source=from_warehouse,
                 target=to_warehouse, qty=qty)
    audit(session, actor=actor, action="inventory.transfer", entity="stock_levels", ids=[sku_id, source, target],
          qty=qty)
    return [stock_position(session, sku=sku, warehouse=w) for w in (from_warehouse, to_warehouse)]


def reserve_stock(session: Session, *, sku: str, warehouse: str, qty: int, actor: str) -> StockPosition:
    """Reserve `qty` (positive) or release it (negative) outside any order, e.g. for a promotion."""
    if qty == 0:
        raise InvalidInput("qty must not be zero", qty=qty)
    sku_id, wh_id = sku_id_of(session, sku), warehouse_id_of(session, warehouse)
    if not change_reservation(session, sku_id=sku_id, warehouse_id=wh_id, qty=qty):
        kind = "reserve" if qty > 0 else "release"
        raise InsufficientStock(f"cannot {kind} {abs(qty)} of {sku} in {warehouse}", sku=sku, warehouse=warehouse)
    event = "StockReserved" if qty > 0 else "StockReleased"
    record_event(session, event, "sku", sku_id, sku=sku, warehouse=warehouse, qty=abs(qty))
    audit(session, actor=actor, action="inventory.reserve", entity="stock_levels", ids=[sku_id, wh_id], qty=qty)
    return stock_position(session, sku=sku, warehouse=warehouse)


def count_stock(session: Session, *, sku: str, warehouse: str, counted: int, actor: str) -> StockPosition:
    """Record a cycle count: the difference to on_hand is posted to the ledger."""
    if counted < 0:
        raise InvalidInput("a counted quantity cannot be negative", counted=counted)
    sku_id, wh_id = sku_id_of(session, sku), warehouse_id_of(session, warehouse)
    session.execute(
        text("INSERT INTO stock_levels (sku_id, warehouse_id) VALUES (:s, :w) ON CONFLICT DO NOTHING"),
        {"s": sku_id, "w": wh_id},
    )
    on_hand, reserved = session.execute(
        text("SELECT on_hand, reserved FROM stock_levels WHERE sku_id = :s AND warehouse_id = :w FOR UPDATE"),
        {"s": sku_id, "w": wh_id},
    ).one()
    if counted < reserved:
        raise InsufficientStock(f"counted {counted} but {reserved} are reserved; resolve the orders first",
                                counted=counted, reserved=reserved)
    if counted != on_hand:
        post_movement(session, sku_id=sku_id, warehouse_id=wh_id, delta=counted - on_hand, reason=StockReason.COUNT,
                      actor=actor, note=f"cycle count: {on_hand} -> {counted}")
    record_event(session, "StockCounted", "sku", sku_id, sku=sku, warehouse=warehouse, counted=counted,
                 difference=counted - on_hand)
    audit(session, actor=actor, action="inventory.count", entity="stock_levels", ids=[sku_id, wh_id],
          counted=counted, difference=counted - on_hand)
    return stock_position(session, sku=sku, warehouse=warehouse)


def stock_position(session: Session, *, sku: str, warehouse: str) -> StockPosition:
    row = session.execute(
        text(
            """SELECT s.on_hand, s.reserved FROM stock_levels s JOIN skus k ON k.id = s.sku_id
               JOIN warehouses w ON w.id = s.warehouse_id WHERE k.code = :sku AND w.code = :wh"""
        ),
        {"sku": sku, "wh": warehouse},
    ).one_or_none()
    on_hand, reserved = row if row is not None else (0, 0)
    return StockPosition(sku, warehouse, int(on_hand), int(reserved))


def stock_of_sku(session: Session, *, sku: str) -> list[StockPosition]:
    """Every warehouse's position for one SKU (404 when the SKU does not exist)."""
    sku_id_of(session, sku)
    rows = session.execute(
        text(
            """SELECT w.code, s.on_hand, s.reserved FROM stock_levels s JOIN warehouses w ON w.id = s.warehouse_id
               JOIN skus k ON k.id = s.sku_id WHERE k.code = :sku ORDER BY w.code"""
        ),
        {"sku": sku},
    ).all()
    return [StockPosition(sku, wh, int(on_hand), int(reserved)) for wh, on_hand, reserved in rows]
