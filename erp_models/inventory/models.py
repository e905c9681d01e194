"""Inventory: warehouses, stock levels per SKU and warehouse, the stock ledger and reorder rules."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from erp_models.base import Base, Code, CreatedAt, IntPK, Name
from erp_models.enums import StockReason, checked_enum


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[IntPK]
    code: Mapped[Code] = mapped_column(unique=True)
    name: Mapped[Name]
    province: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class StockLevel(Base):
    """Current stock of one SKU in one warehouse; always equal to the sum of its ledger entries."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("sku_id", "warehouse_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_nonnegative"),
        CheckConstraint("reserved >= 0", name="reserved_nonnegative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id: Mapped[IntPK]
    # sku_id is covered by the unique constraint's index.
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0, server_default="0")
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class StockLedgerEntry(Base):
    """One signed stock movement. Append-only: corrections are new entries with reason ``reversal``."""

    __tablename__ = "stock_ledger"
    __table_args__ = (
        CheckConstraint("qty_delta <> 0", name="qty_delta_nonzero"),
        Index("ix_stock_ledger_sku_id_warehouse_id", "sku_id", "warehouse_id"),
        Index("ix_stock_ledger_ref_type_ref_id", "ref_type", "ref_id"),
    )

    id: Mapped[IntPK]
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"), index=True)
    qty_delta: Mapped[int]
    reason: Mapped[StockReason] = mapped_column(checked_enum(StockReason, "reason"))
    # The document that caused the movement, e.g. ("goods_receipt_line", 42).
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[CreatedAt]


class ReorderRule(Base):
    __tablename__ = "reorder_rules"
    __table_args__ = (
        UniqueConstraint("sku_id", "warehouse_id"),
        CheckConstraint("min_qty >= 0", name="min_qty_nonnegative"),
        CheckConstraint("max_qty >= min_qty", name="max_qty_at_least_min"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_nonnegative"),
    )

    id: Mapped[IntPK]
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"), index=True)
    min_qty: Mapped[int]
    max_qty: Mapped[int]
    lead_time_days: Mapped[int] = mapped_column(default=7, server_default="7")
