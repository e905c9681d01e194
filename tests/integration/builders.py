"""Builders of valid ERP rows with random references, so tests never collide and need no cleanup."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from erp_models.catalogue import Category, Product, Sku
from erp_models.enums import StockReason
from erp_models.inventory import StockLedgerEntry, StockLevel, Warehouse
from erp_models.sales import Channel, SalesOrder, SalesOrderLine
from erp_models.uow import UnitsOfWork
from infra.db import UnitOfWork


def ref(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def a_sku(session: Session, *, price_fen: int = 9900) -> Sku:
    category = Category(code=ref("CAT"), name="女装")
    session.add(category)
    session.flush()
    product = Product(code=ref("P"), name="真丝连衣裙", category_id=category.id)
    session.add(product)
    session.flush()
    sku = Sku(product_id=product.id, code=ref("SKU"), spec="颜色:黑色;尺码:M", weight_g=350, list_price=price_fen)
    session.add(sku)
    session.flush()
    return sku


def a_warehouse(session: Session) -> Warehouse:
    warehouse = Warehouse(code=ref("WH"), name="杭州仓", province="浙江省", city="杭州市")
    session.add(warehouse)
    session.flush()
    return warehouse


def stock_of(session: Session, sku: Sku, warehouse: Warehouse, on_hand: int, reserved: int = 0) -> StockLevel:
    """A stock level together with the opening ledger entry that explains it."""
    level = StockLevel(sku_id=sku.id, warehouse_id=warehouse.id, on_hand=on_hand, reserved=reserved)
    session.add(level)
    if on_hand:
        session.add(
            StockLedgerEntry(sku_id=sku.id, warehouse_id=warehouse.id, qty_delta=on_hand, reason=StockReason.OPENING)
        )
    session.flush()
    return level


def channel(session: Session, code: str = "tmall") -> Channel:
    return session.scalars(select(Channel).where(Channel.code == code)).one()


def an_order(session: Session, sku: Sku, *, external_id: str | None = None, qty: int = 1) -> SalesOrder:
    order = SalesOrder(channel_id=channel(session).id, external_id=external_id or ref("TM"), total=qty * 9900)
    session.add(order)
    session.flush()
    session.add(SalesOrderLine(sales_order_id=order.id, line_no=1, sku_id=sku.id, qty=qty, unit_price=9900))
    session.flush()
    return order


def units_on(engine: Engine) -> UnitsOfWork:
    """Units of work on `engine`'s database, as the services that take a `UnitsOfWork` open them."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    return lambda: UnitOfWork(factory)
