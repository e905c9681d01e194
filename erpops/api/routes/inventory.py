"""Stock: positions by SKU, a paginated list, adjustments, transfers, reservations, counts and reordering."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from erp_models.inventory.services import (
    StockPosition,
    adjust_stock,
    count_stock,
    reserve_stock,
    stock_of_sku,
    transfer_stock,
)
from erp_models.queries import list_stock
from erp_models.security.services import Principal
from erpops.api.deps import Db, require
from erpops.api.schemas import AdjustmentIn, CountIn, Limit, Offset, PageOut, ReservationIn, StockOut, TransferIn

router = APIRouter(prefix="/stock", tags=["inventory"])
Reader = Annotated[Principal, Depends(require("inventory.read"))]
Adjuster = Annotated[Principal, Depends(require("inventory.adjust"))]
Mover = Annotated[Principal, Depends(require("inventory.transfer"))]
Reserver = Annotated[Principal, Depends(require("inventory.reserve"))]
Counter = Annotated[Principal, Depends(require("inventory.count"))]
SkuCode = Annotated[str, Path(min_length=1, max_length=64)]


def out(position: StockPosition) -> StockOut:
    return StockOut(sku=position.sku, warehouse=position.warehouse, on_hand=position.on_hand,
                    reserved=position.reserved, available=position.available)


@router.get("/{sku}", response_model=list[StockOut])
def by_sku(sku: SkuCode, db: Db, _: Reader) -> list[StockOut]:
    """Per warehouse: on_hand, reserved and available of one SKU."""
    return [out(p) for p in db.read(lambda s: stock_of_sku(s, sku=sku))]


@router.get("", response_model=PageOut)
def list_(db: Db, _: Reader, warehouse: str | None = None, sku_prefix: str | None = None,
          limit: Limit = 50, offset: Offset = 0) -> PageOut:
    """Stock positions by SKU and warehouse, filtered by warehouse or SKU prefix, paginated."""
    page = db.read(lambda s: list_stock(s, warehouse=warehouse, sku_prefix=sku_prefix, limit=limit, offset=offset))
    return PageOut.of(page)


@router.post("/adjustments", response_model=StockOut, status_code=201)
def adjust(body: AdjustmentIn, db: Db, who: Adjuster) -> StockOut:
    """Correct stock by a signed delta with a reason; posted to the ledger."""
    return out(db.write(lambda s: adjust_stock(s, sku=body.sku, warehouse=body.warehouse, delta=body.delta,
                                               reason=body.reason, actor=who.username)))


@router.post("/transfers", response_model=list[StockOut], status_code=201)
def transfer(body: TransferIn, db: Db, who: Mover) -> list[StockOut]:
    """Move unreserved stock between two warehouses (two ledger entries)."""
    moved = db.write(lambda s: transfer_stock(s, sku=body.sku, from_warehouse=body.from_warehouse,
                                              to_warehouse=body.to_warehouse, qty=body.qty, actor=who.username))
    return [out(p) for p in moved]


@router.post("/reservations", response_model=StockOut, status_code=201)
def reserve(body: ReservationIn, db: Db, who: Reserver) -> StockOut:
    """Reserve available stock outside any order (a promotion, a hold); 409 when not available."""
    return out(db.write(lambda s: reserve_stock(s, sku=body.sku, warehouse=body.warehouse, qty=body.qty,
                                                actor=who.username)))


@router.post("/releases", response_model=StockOut, status_code=201)
def release(body: ReservationIn, db: Db, who: Reserver) -> StockOut:
    """Release stock reserved outside an order."""
    return out(db.write(lambda s: reserve_stock(s, sku=body.sku, warehouse=body.warehouse, qty=-body.qty,
                                                actor=who.username)))


@router.post("/counts", response_model=StockOut, status_code=201)
def count(body: CountIn, db: Db, who: Counter) -> StockOut:
    """Post a cycle count; the difference to on_hand goes to the ledger."""
    return out(db.write(lambda s: count_stock(s, sku=body.sku, warehouse=body.warehouse, counted=body.counted,
                                              actor=who.username)))
