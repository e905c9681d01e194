"""Procurement: purchase orders to suppliers and the goods receipts that fulfil them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from erp_models.base import Base, CreatedAt, Currency, IntPK, Money
from erp_models.enums import PurchaseOrderStatus, checked_enum


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_nonnegative"),
        # The analysis keeps one draft of its own per supplier and warehouse, which its next run revises.
        Index("ux_purchase_orders_analysis_draft", "supplier_id", "warehouse_id", unique=True,
              postgresql_where=text("origin = 'analysis' AND status = 'draft'")),
    )

    id: Mapped[IntPK]
    number: Mapped[str] = mapped_column(String(64), unique=True)
    # What drafted it when not a person: "analysis" for the analysis flow's reorder proposals; NULL otherwise.
    origin: Mapped[str | None] = mapped_column(String(32))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="RESTRICT"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"), index=True)
    status: Mapped[PurchaseOrderStatus] = mapped_column(
        checked_enum(PurchaseOrderStatus, "status"),
        default=PurchaseOrderStatus.DRAFT,
        server_default=PurchaseOrderStatus.DRAFT.value,
        index=True,
    )
    currency: Mapped[Currency]
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expected_on: Mapped[date | None] = mapped_column(Date)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    total: Mapped[Money] = mapped_column(default=0, server_default="0")
    created_at: Mapped[CreatedAt]

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="purchase_order",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PurchaseOrderLine.line_no",
    )


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "line_no"),
        CheckConstraint("line_no > 0", name="line_no_positive"),
        CheckConstraint("qty_ordered > 0", name="qty_ordered_positive"),
        CheckConstraint("qty_received >= 0", name="qty_received_nonnegative"),
        CheckConstraint("qty_received <= qty_ordered", name="qty_received_within_ordered"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_nonnegative"),
    )

    id: Mapped[IntPK]
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    line_no: Mapped[int]
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"), index=True)
    qty_ordered: Mapped[int]
    qty_received: Mapped[int] = mapped_column(default=0, server_default="0")
    unit_cost: Mapped[Money]

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines", lazy="raise")


class GoodsReceipt(Base):
    __tablename__ = "goods_receipts"

    id: Mapped[IntPK]
    number: Mapped[str] = mapped_column(String(64), unique=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="RESTRICT"), index=True
    )
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    lines: Mapped[list[GoodsReceiptLine]] = relationship(
        back_populates="goods_receipt",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="GoodsReceiptLine.id",
    )


class GoodsReceiptLine(Base):
    __tablename__ = "goods_receipt_lines"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)

    id: Mapped[IntPK]
    goods_receipt_id: Mapped[int] = mapped_column(
        ForeignKey("goods_receipts.id", ondelete="CASCADE"), index=True
    )
    purchase_order_line_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order_lines.id", ondelete="RESTRICT"), index=True
    )
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"), index=True)
    qty: Mapped[int]

    goods_receipt: Mapped[GoodsReceipt] = relationship(back_populates="lines", lazy="raise")
